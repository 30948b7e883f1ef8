"""What gets installed: the tailhouse namespace over the source folders, and the entry points.

The package list in pyproject.toml is explicit (the folder → namespace mapping rules out
`packages.find`), so a new sub-package that is not listed would be missing from the wheel and the
image while an editable install still finds it. These checks catch that without building a wheel.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
SETUPTOOLS = PYPROJECT["tool"]["setuptools"]


def _folder(package: str) -> Path:
    """The source folder of an installed package name, by pyproject's package-dir."""
    mapping = SETUPTOOLS.get("package-dir", {})
    parts = package.split(".")
    for cut in range(len(parts), 0, -1):
        prefix = ".".join(parts[:cut])
        if prefix in mapping:
            return ROOT / mapping[prefix] / Path(*parts[cut:])
    return ROOT / Path(*parts)


def test_every_source_package_is_listed() -> None:
    listed = set(SETUPTOOLS["packages"])
    on_disk = set()
    for package in listed:
        for init in _folder(package).rglob("__init__.py"):
            if "__pycache__" not in init.parts:
                rel = init.parent.relative_to(_folder(package))
                on_disk.add(".".join([package, *rel.parts]))
    assert sorted(on_disk - listed) == [], "sub-packages missing from pyproject.toml [tool.setuptools] packages"
    assert all((_folder(p) / "__init__.py").is_file() for p in listed)


def test_the_image_copies_every_package_root() -> None:
    copied = {m.group(1) for m in re.finditer(r"^COPY\s+(\S+)\s", (ROOT / "Dockerfile").read_text(), re.MULTILINE)}
    roots = {_folder(p).relative_to(ROOT).parts[0] for p in SETUPTOOLS["packages"]}
    assert roots <= copied, f"Dockerfile does not COPY {sorted(roots - copied)}"
    package_data = SETUPTOOLS.get("package-data", {})
    assert all(p in SETUPTOOLS["packages"] for p in package_data), package_data


def test_the_console_script_names_an_installed_module() -> None:
    target = PYPROJECT["project"]["scripts"]["tailhouse"]
    assert target.split(":")[0].rsplit(".", 1)[0] in SETUPTOOLS["packages"]


def test_entry_points_run_from_outside_the_source_tree(tmp_path: Path) -> None:
    # From another directory, only what is installed is importable.
    for argv in ([sys.executable, "-m", "tailhouse", "--help"],
                 [sys.executable, "-m", "tailhouse.collector.cli", "--help"],
                 [str(Path(sys.executable).parent / "tailhouse"), "--help"]):
        result = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True, timeout=60)
        assert result.returncode == 0 and "usage: tailhouse" in result.stdout, (argv, result.stderr)
