"""Versioned schema migrations, recorded in a `schema_migrations` table.

A migration is an ordered list of statements. Released migrations never change: a later release
that needs a different view or column adds a new migration, so an existing store upgrades in
place on the next start.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Callable, Protocol

from .ddl import Placement, quote, render
from .events_table import TableOptions, events_ddl, trace_lookup_ddl, ttl_clause
from .landing_schema import LANDING_TABLES, landing_columns
from .otel_views import otel_view_statements
from .otlp_views import MIGRATION_4_VIEW_SELECTS, URL_VIEWS, VIEW_SELECTS
from .otlp_views_v1 import VIEW_SELECTS as V1_VIEW_SELECTS
from .worker_views import worker_statements

log = logging.getLogger(__name__)


class CommandClient(Protocol):
    """The part of a clickhouse-connect client migrations need."""

    def command(self, cmd: str, parameters: object = None, data: object = None, settings: object = None) -> object: ...

    def query(self, query: str, parameters: object = None, settings: object = None) -> object: ...


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    # The statements for a placement (single node or cluster), rendered from the sql/ templates.
    statements: Callable[[Placement, TableOptions], list[str]]


def _initial_schema(placement: Placement, options: TableOptions) -> list[str]:
    db = placement.database
    stmts = [*events_ddl(placement, options), *trace_lookup_ddl(placement)]
    for message, table in LANDING_TABLES.items():
        stmts.append(render("landing_table", placement.slots(table=table, columns=landing_columns(message))))
    for view, select in V1_VIEW_SELECTS.items():
        stmts.append(render("mapping_view", placement.slots(
            view=view, target=placement.mapping_target, select=select(db))))
    return stmts


def _faster_mapping(placement: Placement, options: TableOptions) -> list[str]:
    """Migration 4: the mapping views of `otlp_views.py` (same rows, a fraction of the cost per
    insert), and a deduplication window on `trace_id_ts`, so that every table an insert writes
    through stores a retried or replayed batch once."""
    stmts = [render("mapping_view_query", placement.slots(view=view, select=select(placement.database)))
             for view, select in MIGRATION_4_VIEW_SELECTS.items()]
    stmts.append(render("trace_id_ts_dedup", placement.slots(options.dedup_window)))
    return stmts


def _url_parts(placement: Placement, options: TableOptions) -> list[str]:
    """Migration 5: host and path of a URL as the shared rule reads them (tailhouse.pipeline.rules.http),
    so `http_host` is filled for `localhost`, single-label and IPv6 hosts and URLs with user info,
    which ClickHouse's `domain()` read as '', and SQL and Python agree on every URL."""
    return [render("mapping_view_query", placement.slots(view=view, select=VIEW_SELECTS[view](placement.database)))
            for view in URL_VIEWS]


MIGRATIONS: list[Migration] = [
    Migration(1, "events table, OTLP landing tables and mapping views", _initial_schema),
    Migration(2, "Cloudflare Workers views: worker_logs, worker_errors, worker_requests, endpoint and error aggregates",
              worker_statements),
    Migration(3, "OpenTelemetry Collector exporter compatible views (otel_traces, otel_logs, otel_metrics_*)",
              otel_view_statements),
    Migration(4, "Faster OTLP mapping views (one attribute rendering per level); trace_id_ts deduplicates",
              _faster_mapping),
    Migration(5, "HTTP host and path of a URL by the shared mapping rule (localhost, IPv6, user info)", _url_parts),
]


def schema_statements(db: str, options: TableOptions, up_to: int | None = None,
                      placement: Placement | None = None) -> list[str]:
    """Every DDL statement of the current schema, in order (for `tailhouse schema` and tests).

    `up_to` stops after that migration version (the schema an older release created);
    `placement` renders it for a cluster (default: database `db` on a single node).
    """
    where = placement or Placement(db)
    stmts = [render("database", where.slots())]
    for m in sorted(MIGRATIONS, key=lambda m: m.version):
        if up_to is not None and m.version > up_to:
            break
        stmts += m.statements(where, options)
    return stmts


class SchemaObjectMissing(RuntimeError):
    """An object an applied migration created is gone and could not be recreated."""


_CREATE = re.compile(r"^\s*CREATE\s+(?:OR\s+REPLACE\s+)?(?:TABLE|(?:MATERIALIZED\s+)?VIEW|DICTIONARY)\s+"
                     r"(?:IF\s+NOT\s+EXISTS\s+)?`?\w+`?\.`?(\w+)`?", re.IGNORECASE)
_DROP = re.compile(r"^\s*DROP\s+(?:TABLE|VIEW|DICTIONARY)\s+(?:IF\s+EXISTS\s+)?`?\w+`?\.`?(\w+)`?", re.IGNORECASE)
_ALTER = re.compile(r"^\s*ALTER\s+TABLE\s+`?\w+`?\.`?(\w+)`?", re.IGNORECASE)


@dataclass(frozen=True)
class SchemaObject:
    """A table or view the applied migrations leave in the database, and how to recreate it."""

    name: str
    version: int
    statements: tuple[str, ...]  # the CREATE, then later ALTERs of the same object


def expected_objects(db: str, options: TableOptions, versions: set[int],
                     placement: Placement | None = None) -> dict[str, SchemaObject]:
    """Objects that migrations `versions` created and no later one of them dropped, in creation order."""
    found: dict[str, SchemaObject] = {}
    for m in sorted(MIGRATIONS, key=lambda m: m.version):
        if m.version not in versions:
            continue
        for stmt in m.statements(placement or Placement(db), options):
            if created := _CREATE.match(stmt):
                found.pop(created.group(1), None)
                found[created.group(1)] = SchemaObject(created.group(1), m.version, (stmt,))
            elif dropped := _DROP.match(stmt):
                found.pop(dropped.group(1), None)
            elif (altered := _ALTER.match(stmt)) and altered.group(1) in found:
                obj = found[altered.group(1)]
                found[obj.name] = SchemaObject(obj.name, obj.version, (*obj.statements, stmt))
    return found


def applied_versions(client: CommandClient, db: str) -> set[int]:
    """Versions recorded in `db`.schema_migrations."""
    return {int(r[0]) for r in client.query(f"SELECT version FROM {quote(db)}.schema_migrations").result_rows}  # type: ignore[attr-defined]


def missing_objects(client: CommandClient, db: str, options: TableOptions | None = None,
                    placement: Placement | None = None) -> list[SchemaObject]:
    """Objects applied migrations created that are no longer in `db` (a dropped table or view)."""
    present = {str(r[0]) for r in client.query(  # type: ignore[attr-defined]
        "SELECT name FROM system.tables WHERE database = %(db)s", parameters={"db": db}).result_rows}
    if "schema_migrations" not in present:
        return [SchemaObject("schema_migrations", 0, ())] if present else []
    expected = expected_objects(db, options or TableOptions(), applied_versions(client, db), placement)
    return [obj for name, obj in expected.items() if name not in present]


def describe_missing(db: str, missing: list[SchemaObject]) -> str:
    """`db.name (migration N)` for each missing object."""
    return ", ".join(f"{db}.{o.name} (migration {o.version})" for o in missing)


def restore_missing_objects(client: CommandClient, db: str, options: TableOptions, run: Callable[[str], None],
                            placement: Placement | None = None) -> list[str]:
    """Recreate objects of applied migrations that are gone (a `DROP TABLE events` is otherwise a
    permanent outage: every insert fails and the migration counts as applied). Returns their names;
    raises SchemaObjectMissing naming them when they cannot be recreated."""
    missing = missing_objects(client, db, options, placement)
    if not missing:
        return []
    what = describe_missing(db, missing)
    log.warning("schema objects missing from %s: %s; recreating them", db, what)
    try:
        for obj in missing:
            for stmt in obj.statements:
                run(stmt)
    except Exception as exc:  # any ClickHouse error: report which objects, and why
        raise SchemaObjectMissing(f"schema objects missing and not recreated: {what}: {exc}") from exc
    return [o.name for o in missing]


def ledger_ddl(placement: Placement) -> str:
    """CREATE TABLE of `schema_migrations`, which records the applied versions."""
    return render("schema_migrations", placement.slots())


def ttl_ddl(placement: Placement, options: TableOptions) -> list[str]:
    """What `migrate` runs after the migrations so a changed ttl reaches an existing `events`."""
    if options.ttl_days <= 0:
        return []
    return [render("events_modify_ttl", placement.slots(ttl=ttl_clause(options)))]


def migrate(client: CommandClient, db: str, options: TableOptions, placement: Placement | None = None) -> list[int]:
    """Apply the migrations not yet recorded in `db`.schema_migrations; return the versions applied.

    `placement` names the cluster the schema spans, if any: the statements then run `ON CLUSTER`,
    so one call migrates every shard and replica.
    """
    where = placement or Placement(db)

    def run(stmt: str) -> None:
        client.command(stmt)

    run(render("database", where.slots()))
    run(ledger_ddl(where))
    restore_missing_objects(client, db, options, run, where)
    done = applied_versions(client, db)
    applied: list[int] = []
    # By version, whatever order the list was assembled in (migrations are added on parallel branches).
    for m in sorted(MIGRATIONS, key=lambda m: m.version):
        if m.version in done:
            continue
        log.info("applying schema migration %d (%s) to database %s", m.version, m.name, db)
        for stmt in m.statements(where, options):
            run(stmt)
        client.command(
            f"INSERT INTO {quote(db)}.schema_migrations (version, name) VALUES ({m.version}, %(name)s)",
            parameters={"name": m.name},
        )
        applied.append(m.version)
    for stmt in ttl_ddl(where, options):
        run(stmt)
    return applied
