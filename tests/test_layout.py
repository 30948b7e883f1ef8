"""Data flows one way: receivers → pipeline contracts ← exporters (checked over the import statements)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# pyproject.toml's package-dir: these folders are installed under the tailhouse namespace.
FOLDER_PACKAGES = {"collector": "tailhouse.collector", "exporters": "tailhouse.exporters"}


def module_package(path: Path) -> tuple[str, ...]:
    """The dotted package a source file belongs to once installed (folder → namespace mapping applied)."""
    parts = path.relative_to(ROOT).with_suffix("").parts[:-1]
    if parts and parts[0] in FOLDER_PACKAGES:
        parts = (*FOLDER_PACKAGES[parts[0]].split("."), *parts[1:])
    return parts


def _imports(path: Path) -> set[str]:
    """Top-level module paths a file imports (relative imports resolved against its package)."""
    tree = ast.parse(path.read_text(), str(path))
    package = module_package(path)
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                out.add(".".join([*base, node.module] if node.module else base))
            elif node.module:
                out.add(node.module)
    return out


def _offenders(folder: str, forbidden: tuple[str, ...]) -> list[str]:
    """`folder` (or one file) importing any of `forbidden`; a folder that no longer holds code fails the check."""
    where = ROOT / folder
    paths = [where] if where.is_file() else sorted(where.rglob("*.py"))
    assert paths, f"{folder} holds no Python files: the layout changed, update this test"
    found = []
    for path in paths:
        for name in _imports(path):
            if any(name == f or name.startswith(f + ".") for f in forbidden):
                found.append(f"{path.relative_to(ROOT)} imports {name}")
    return found


def test_receivers_and_intake_do_not_import_exporters() -> None:
    for where in ("collector/receivers", "collector/server", "collector/tail", "collector/intake.py"):
        assert _offenders(where, ("tailhouse.exporters",)) == []


def test_exporters_do_not_import_the_collector() -> None:
    assert _offenders("exporters", ("tailhouse.collector",)) == []


def test_pipeline_contracts_import_neither_side() -> None:
    assert _offenders("tailhouse/pipeline", ("tailhouse.collector", "tailhouse.exporters")) == []


def test_the_check_sees_relative_imports() -> None:
    # collector/receivers/otlp/grpc.py imports ...intake: resolved to tailhouse.collector.intake
    assert "tailhouse.collector.intake" in _imports(ROOT / "collector" / "receivers" / "otlp" / "grpc.py")


def test_the_service_builds_components_from_the_registry_only() -> None:
    # collector/service.py wires pipelines; concrete receiver and exporter classes are named only
    # in the registry (collector/components.py).
    # It imports the receivers' factory contract (receivers/factory.py), no receiver, processor or exporter.
    imported = _imports(ROOT / "collector" / "service.py") - {"tailhouse.collector.receivers.factory"}
    concrete = ("tailhouse.collector.receivers", "tailhouse.collector.processors", "tailhouse.collector.tail",
                "tailhouse.exporters")
    assert not [n for n in imported if n.startswith(concrete)], imported


def test_everything_imports_the_tailhouse_namespace() -> None:
    # `collector` and `exporters` are folder names, not import names: installed, they exist only as
    # tailhouse.collector and tailhouse.exporters (a bare `import collector` works from a source tree only).
    for folder in ("collector", "exporters", "tailhouse", "tests", "bench"):
        assert _offenders(folder, ("collector", "exporters")) == []
