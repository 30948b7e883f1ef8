"""Generates the Python code for the tail gRPC service from `proto/` (run after editing a .proto).

    python -m tailhouse.collector.tail.codegen

The generated modules are committed (so installing Tailhouse needs no protobuf compiler and the
code always matches the protobuf runtime the package declares); `tests/test_tail_proto.py`
recompiles `proto/` and fails when the committed code no longer matches the .proto.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROTO_DIR = ROOT / "proto"
PROTO_FILES = ["tailhouse/tail/v1/tail.proto"]


def protoc_args(out_dir: Path, *extra: str) -> list[str]:
    """grpc_tools.protoc arguments compiling PROTO_FILES (with the well-known types) into out_dir."""
    import grpc_tools

    well_known = Path(grpc_tools.__file__).parent / "_proto"
    return ["protoc", f"-I{PROTO_DIR}", f"-I{well_known}", *extra,
            f"--python_out={out_dir}", f"--pyi_out={out_dir}", *PROTO_FILES]


def generate(out_dir: Path = ROOT) -> None:
    """Compile the .proto files into `out_dir` (the repository root by default)."""
    from grpc_tools import protoc

    code = protoc.main(protoc_args(out_dir))
    if code != 0:
        raise RuntimeError(f"protoc failed with exit code {code}")


def main() -> int:
    generate()
    print(f"generated Python code for {', '.join(PROTO_FILES)} under {ROOT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
