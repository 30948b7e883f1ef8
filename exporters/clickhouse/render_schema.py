"""Render the whole schema, single node and cluster, into the golden files under tests/testdata/schema/.

The golden files are committed, so every change to the SQL the collector runs shows up in a diff
for review. `tests/test_schema_golden.py` re-renders and fails on any difference; after a reviewed
change, regenerate them with:

    python -m tailhouse.exporters.clickhouse.render_schema
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

from .ddl import Placement
from .events_table import TableOptions
from .migrations import ledger_ddl, schema_statements, ttl_ddl
from .sharding.cluster_ddl import ClusterLayout, cluster_schema_statements

GOLDEN_DIR = Path(__file__).resolve().parents[2] / "tests" / "testdata" / "schema"
DATABASE = "tailhouse"
CLUSTER = "tailhouse_cluster"


@dataclass(frozen=True)
class Variant:
    """One rendering of the schema: a file name and the statements that go into it."""

    file: str
    title: str
    layout: ClusterLayout | None
    options: TableOptions


# Three renderings cover every slot: replication and the sharding mode change independent parts of
# the DDL, so one cluster file per combination would repeat the large mapping views for nothing.
VARIANTS: list[Variant] = [
    Variant("single_node.sql", "single node", None, TableOptions()),
    Variant("cluster_client.sql", "cluster, client sharding, not replicated, ttl 7 days",
            ClusterLayout(DATABASE, CLUSTER, replicated=False, mode="client"), TableOptions(ttl_days=7)),
    Variant("cluster_distributed_replicated.sql", "cluster, distributed sharding, replicated",
            ClusterLayout(DATABASE, CLUSTER, replicated=True, mode="distributed"), TableOptions()),
]


def render(variant: Variant) -> str:
    """The golden text of one variant: the schema as `tailhouse schema` prints it, then what `migrate`
    runs around the migrations (the `schema_migrations` ledger, the ttl update)."""
    if variant.layout is None:
        stmts = schema_statements(DATABASE, variant.options)
    else:
        stmts = cluster_schema_statements(variant.layout, variant.options)
    placement = variant.layout or Placement(DATABASE)
    bookkeeping = [ledger_ddl(placement), *ttl_ddl(placement, variant.options)]
    header = (f"-- Rendered schema: {variant.title} (database {DATABASE}). Generated, do not edit:\n"
              "-- python -m tailhouse.exporters.clickhouse.render_schema\n\n")
    return (header + "".join(f"{stmt};\n\n" for stmt in stmts)
            + "-- Run by migrate() besides the migrations:\n\n" + "".join(f"{stmt};\n\n" for stmt in bookkeeping))


def main(argv: list[str] | None = None) -> int:
    """Write (or with --check, compare) every golden file; exit 1 when --check finds a difference."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dir", type=Path, default=GOLDEN_DIR, help="where the golden files are")
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    args = parser.parse_args(argv)
    stale = []
    for variant in VARIANTS:
        path = args.dir / variant.file
        text = render(variant)
        if args.check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(path.name)
        else:
            args.dir.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    if stale:
        print(f"schema golden files differ from the rendered schema: {', '.join(stale)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
