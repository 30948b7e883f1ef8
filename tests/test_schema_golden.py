"""The rendered schema is pinned by golden files, so every SQL change shows up in a reviewed diff.

After a reviewed change to the schema (a template under exporters/clickhouse/sql/, a migration,
a generated view), regenerate the golden files and commit them with the change:

    python -m tailhouse.exporters.clickhouse.render_schema
"""

from __future__ import annotations

import difflib
import re
from importlib.resources import files

import pytest

from tailhouse.exporters.clickhouse import ddl
from tailhouse.exporters.clickhouse.ddl import Placement, TemplateError, quote, render
from tailhouse.exporters.clickhouse.events_table import TableOptions
from tailhouse.exporters.clickhouse.migrations import schema_statements
from tailhouse.exporters.clickhouse.render_schema import GOLDEN_DIR, VARIANTS, Variant
from tailhouse.exporters.clickhouse.render_schema import render as render_variant
from tailhouse.exporters.clickhouse.sharding.cluster_ddl import ClusterLayout, cluster_schema_statements

REGENERATE = "python -m tailhouse.exporters.clickhouse.render_schema"


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: v.file)
def test_rendered_schema_matches_the_golden_file(variant: Variant) -> None:
    golden = GOLDEN_DIR / variant.file
    assert golden.exists(), f"{golden} is missing: run `{REGENERATE}` and commit it"
    want = golden.read_text(encoding="utf-8")
    got = render_variant(variant)
    if got != want:
        diff = "".join(list(difflib.unified_diff(
            want.splitlines(keepends=True), got.splitlines(keepends=True),
            fromfile=f"golden/{variant.file}", tofile="rendered"))[:80])
        pytest.fail(f"the rendered schema ({variant.title}) differs from {golden.name}.\n"
                    f"If the change is intended, review it and regenerate: `{REGENERATE}`\n{diff}")


def test_every_template_is_used_by_the_schema() -> None:
    """A template no rendering uses is dead SQL (or a rendering that forgot it)."""
    rendered = "".join(render_variant(v) for v in VARIANTS)
    for path in files(ddl.__package__).joinpath("sql").iterdir():
        if not path.name.endswith(".sql"):
            continue
        body = ddl.template(path.name.removesuffix(".sql"))
        # the text up to the first slot is a literal prefix every rendering of it starts with
        prefix = re.split(r"\{[a-z_]+\}", body, maxsplit=1)[0]
        assert prefix and prefix in rendered, f"sql/{path.name} is not used by any rendered schema"


def test_single_node_and_cluster_render_the_same_statements() -> None:
    """Cluster DDL is the single-node DDL with other slot values: without replication, the same
    statements in the same order apart from ON CLUSTER and the Distributed tables a cluster adds."""
    single = schema_statements("db", TableOptions())
    cluster = schema_statements("db", TableOptions(), placement=ClusterLayout("db", "c"))
    local = [s for s in cluster if "ENGINE = Distributed(" not in s]
    assert [s.replace(" ON CLUSTER `c`", "", 1) for s in local] == single


def test_cluster_ddl_names_every_object_on_cluster() -> None:
    for stmt in cluster_schema_statements(ClusterLayout("db", "c", mode="distributed"), TableOptions()):
        assert " ON CLUSTER `c`" in stmt.split("\n", 1)[0], stmt[:200]


def test_a_slot_without_a_value_is_named() -> None:
    with pytest.raises(TemplateError, match=r"events_modify_ttl\.sql: no value for slot \{ttl\}"):
        render("events_modify_ttl", Placement("db").slots())
    with pytest.raises(TemplateError, match=r"dedup_setting"):
        render("trace_id_ts_dedup", Placement("db").slots())
    with pytest.raises(TemplateError, match=r"no SQL template nope\.sql"):
        render("nope", {})


def test_slot_values_are_not_searched_for_slots() -> None:
    """The replica path's {shard}/{replica} macros are ClickHouse's, passed through as written."""
    stmt = render("trace_id_ts", Placement("db", "c", replicated=True).slots())
    assert "ReplicatedMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}')" in stmt


def test_quote_escapes_backquotes() -> None:
    assert quote("events") == "`events`"
    assert quote("we`ird") == "`we``ird`"
