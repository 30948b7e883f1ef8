"""The format-schema file beside the embedded store is written safely by parallel inserts."""

from __future__ import annotations

import threading
from pathlib import Path

from tailhouse.exporters.clickhouse.landing_schema import insert_settings, with_schema_file


def test_parallel_inserts_write_the_schema_file_without_tripping_over_each_other(tmp_path: Path) -> None:
    settings = insert_settings("ExportTraceServiceRequest")
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def write() -> None:
        start.wait()
        try:
            for _ in range(20):
                with_schema_file(settings, tmp_path)
        except BaseException as exc:  # reported by the test thread
            errors.append(exc)

    for _ in range(5):
        for old in tmp_path.glob("*.proto"):
            old.unlink()  # each round starts with no schema file, so every writer races to create it
        threads = [threading.Thread(target=write) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        start.reset()
    assert not errors, errors[:3]
    (schema,) = tmp_path.glob("*.proto")
    assert schema.read_text() == settings["format_schema"] and not list(tmp_path.glob("*.tmp"))
