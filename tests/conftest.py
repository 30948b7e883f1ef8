"""Shared fixtures: a real `tailhouse run` process per test module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from harness import RunningService, start


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningService]:
    """A `tailhouse run` of testdata/configs/default.yaml storing in a temp dir, stopped after the module."""
    svc = start(tmp_path_factory.mktemp("svc"), "default", mode="subprocess")
    yield svc
    code = svc.stop()
    assert code == 0, "service did not shut down cleanly:\n" + "".join(svc.stderr_lines[-40:])
