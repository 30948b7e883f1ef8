"""The committed generated code of proto/ matches the .proto files (regenerate: python -m tailhouse.collector.tail.codegen)."""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

from google.protobuf import descriptor_pb2

from tailhouse.collector.tail import codegen
from tailhouse.tail.v1 import tail_pb2

HINT = "generated code is out of date with proto/: run `python -m tailhouse.collector.tail.codegen` and commit the result"


def _compile(tmp_path: Path) -> descriptor_pb2.FileDescriptorSet:
    from grpc_tools import protoc

    out = tmp_path / "tail.pb"
    args = codegen.protoc_args(tmp_path, f"--descriptor_set_out={out}")
    assert protoc.main(args) == 0, "protoc failed on proto/"
    return descriptor_pb2.FileDescriptorSet.FromString(out.read_bytes())


def _drop_json_names(messages: Iterable[descriptor_pb2.DescriptorProto]) -> None:
    # --descriptor_set_out fills in json_name; the descriptor embedded in generated code leaves it out.
    for message in messages:
        for f in message.field:
            f.ClearField("json_name")
        _drop_json_names(message.nested_type)


def test_committed_descriptor_matches_the_proto(tmp_path: Path) -> None:
    compiled = _compile(tmp_path)
    (fresh,) = [f for f in compiled.file if f.name == "tailhouse/tail/v1/tail.proto"]
    _drop_json_names(fresh.message_type)
    committed = descriptor_pb2.FileDescriptorProto.FromString(tail_pb2.DESCRIPTOR.serialized_pb)
    assert committed == fresh, HINT


def test_committed_type_stubs_match_the_proto(tmp_path: Path) -> None:
    _compile(tmp_path)
    fresh = (tmp_path / "tailhouse/tail/v1/tail_pb2.pyi").read_text()
    committed = (codegen.ROOT / "tailhouse/tail/v1/tail_pb2.pyi").read_text()
    assert committed == fresh, HINT


def test_service_is_declared_as_the_receiver_serves_it() -> None:
    service = tail_pb2.DESCRIPTOR.services_by_name["TailService"]
    export = service.methods_by_name["Export"]
    assert service.full_name == "tailhouse.tail.v1.TailService"
    assert (export.input_type.full_name, export.output_type.full_name) == (
        "tailhouse.tail.v1.ExportTailRequest", "tailhouse.tail.v1.ExportTailResponse")
