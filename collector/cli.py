"""`tailhouse` command line: run, validate, sql, schema, trace, report, tail, deadletter."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from datetime import datetime

from tailhouse.exporters.clickhouse.config import ClickHouseExporterConfig, split_endpoint
from tailhouse.pipeline.config_loader import ConfigError, parse_duration
from tailhouse.pipeline.rules.severity import LEVEL_NAMES

from .admin_client import (SqlSession, WritesNotAllowed, admin_base, admin_headers, admin_post_json,
                           clickhouse_exporters, first_clickhouse_exporter, run_query)
from .config import Config, load_config
from .logsetup import setup_logging
from .query import QueryUsageError, check_param_name, output_format
from .service_config import LOG_FORMATS
from .sql_guard import run_sql

log = logging.getLogger("tailhouse")

EXIT_CONFIG = 2


def _load(path: str) -> Config:
    try:
        return load_config(path)
    except ConfigError as exc:
        print(f"tailhouse: invalid config {path}: {exc}", file=sys.stderr)
        raise SystemExit(EXIT_CONFIG) from None


async def _run(config: Config) -> None:
    from .service import Service  # heavy imports (grpc, chdb) only for `run`

    service = Service(config)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await service.start()
    line = ", ".join(f"{e.component} {e.protocol} {e.address}" for e in service.endpoints)
    print(f"tailhouse started: {line}", flush=True)
    log.info("started: %s", line)
    await stop.wait()
    log.info("stopping: flushing pending data (up to %.0fs)", config.service.shutdown_timeout)
    await service.stop()
    log.info("stopped")


def cmd_run(args: argparse.Namespace) -> int:
    config = _load(args.config)
    logs = config.service.telemetry.logs
    setup_logging(logs.level, args.log_format or logs.format)
    from tailhouse.exporters.clickhouse.migrations import SchemaObjectMissing

    try:
        asyncio.run(_run(config))
    except SchemaObjectMissing as exc:
        # A table or view the schema needs is gone and could not be recreated: say which, don't limp on.
        print(f"tailhouse: cannot start: {exc}", file=sys.stderr)
        return 1
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    config = _load(args.config)
    pipelines = ", ".join(config.service.pipelines)
    print(f"{args.config}: valid (pipelines: {pipelines})")
    return 0


def cmd_sql(args: argparse.Namespace) -> int:
    from .sql_shell import SqlCommand

    config = _load(args.config)
    try:
        command = SqlCommand.from_args(args, sys.stdin, sys.stdout)
    except (QueryUsageError, OSError) as exc:
        print(f"tailhouse sql: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    try:
        session = SqlSession(config, args.write)
    except WritesNotAllowed as exc:
        print(f"tailhouse sql: {exc}", file=sys.stderr)
        return 1
    try:
        return command.run(session)
    finally:
        session.close()


def cmd_schema(args: argparse.Namespace) -> int:
    """Print the DDL of the configured schema (for `create_schema: false` users to apply themselves)."""
    from tailhouse.exporters.clickhouse.sharding.lookup import schema_ddl

    config = _load(args.config)
    statements = schema_ddl(first_clickhouse_exporter(config))
    sys.stdout.write("".join(f"{stmt};\n\n" for stmt in statements))
    return 0


def cmd_trace(args: argparse.Namespace) -> int:
    """Print a trace's rows in time order, read from the shard (or Distributed table) that holds it."""
    from tailhouse.exporters.clickhouse.sharding.failover_client import FailoverClient
    from tailhouse.exporters.clickhouse.sharding.lookup import InvalidTraceId, trace_lookup

    config = _load(args.config)
    exporter = first_clickhouse_exporter(config)
    try:
        lookup = trace_lookup(exporter, args.trace_id)
        fmt = output_format(args.format, sys.stdout.isatty())
    except (InvalidTraceId, QueryUsageError) as exc:
        print(f"tailhouse trace: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    try:
        if all(e.startswith("chdb://") for e in lookup.endpoints):
            # One embedded engine holds every shard: through the running service when there is one.
            out = run_query(config, lookup.sql, fmt)
        else:
            from tailhouse.exporters.clickhouse.client import client_for

            client = FailoverClient(lookup.endpoints, lambda e: client_for(exporter, None, endpoint=split_endpoint(e)[0]))
            try:
                out = run_sql(client, lookup.sql, fmt)  # type: ignore[arg-type]
            finally:
                client.close()
    except Exception as exc:
        print(f"tailhouse trace: {str(exc).strip()}", file=sys.stderr)
        return 1
    if args.show_shard and lookup.shard is not None:
        print(f"shard {lookup.shard + 1} of {len(exporter.sharding.shards) if exporter.sharding else 1}", file=sys.stderr)
    sys.stdout.buffer.write(out)
    sys.stdout.flush()
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from .reports import REPORTS, ReportOptions, parse_json_each_row, render, render_json

    config = _load(args.config)
    try:
        # Days are not a Go duration unit, but `--since 7d` is what people type.
        days = args.since[:-1] if args.since.endswith("d") else ""
        since = float(days) * 86400 if days.replace(".", "", 1).isdigit() else parse_duration(args.since, "--since")
    except ConfigError as exc:
        print(f"tailhouse report: {exc} (days work too, e.g. 7d)", file=sys.stderr)
        return EXIT_CONFIG
    opts = ReportOptions(since_seconds=since, service=args.service or "", level=args.level or "",
                         search=args.search or "", limit=args.limit)
    session = SqlSession(config)  # one probe of the service (or one direct client) for all of a report's queries
    try:
        tables = REPORTS[args.report](lambda sql: parse_json_each_row(session.run(sql, "JSONEachRow")), opts)
    except Exception as exc:
        print(f"tailhouse report: {str(exc).strip()}", file=sys.stderr)
        return 1
    finally:
        session.close()
    print(render_json(tables) if args.format == "json" else render(tables))
    return 0


def cmd_deadletter(args: argparse.Namespace) -> int:
    from tailhouse.exporters.deadletter import DeadLetterStore

    config = _load(args.config)
    try:
        exporters = clickhouse_exporters(config, args.exporter)
    except ConfigError as exc:
        print(f"tailhouse deadletter: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    if args.action == "list":
        total = 0
        for name, ecfg in exporters:
            store = DeadLetterStore(config.dead_letter_dir(name, ecfg))
            for d in store.list():
                total += 1
                when = datetime.fromtimestamp(d.created).isoformat(timespec="seconds")
                print(f"{name}\t{d.id}\t{d.kind}\t{d.items} items\t{when}\t{d.error}")
        print(f"{total} dead letters", file=sys.stderr)
        return 0
    settings = dict(s.split("=", 1) for s in args.setting or [])
    failed = 0
    for name, ecfg in exporters:
        payload: dict[str, object] = {"exporter": name, "ids": args.id or [], "settings": settings}
        try:
            answer = admin_post_json(config, "/deadletter/replay", payload)
            if answer is None:  # no running service: insert directly
                results = _replay_directly(config, name, ecfg, args.id, settings)
            else:
                results = list(answer["results"])  # type: ignore[call-overload]
        except Exception as exc:
            print(f"tailhouse deadletter replay: {str(exc).strip()}", file=sys.stderr)
            return 1
        for r in results:
            status = "stored" if r["stored"] else f"failed again: {r['error']}"
            failed += 0 if r["stored"] else 1
            print(f"{name}\t{r['id']}\t{r['items']} items\t{status}")
    return 1 if failed else 0


def _replay_directly(config: Config, name: str, ecfg: ClickHouseExporterConfig, ids: list[str] | None,
                     settings: dict[str, str]) -> list[dict[str, object]]:
    from tailhouse.exporters.clickhouse.client import client_for
    from tailhouse.exporters.clickhouse.exporter import replay_dead_letters
    from tailhouse.exporters.deadletter import DeadLetterStore

    from .admin import replay_result_dict

    client = client_for(ecfg, config.chdb_path(ecfg), ecfg.database)
    try:
        store = DeadLetterStore(config.dead_letter_dir(name, ecfg))
        return [replay_result_dict(r) for r in replay_dead_letters(client, ecfg.database, store, ids, settings)]
    finally:
        client.close()


def cmd_tail(args: argparse.Namespace) -> int:
    from .live.client import run_tail

    headers: dict[str, str] = {}
    if args.admin:
        admin = args.admin
    elif args.config:
        config = _load(args.config)
        admin, headers = admin_base(config), admin_headers(config)  # the admin auth token, as `sql` sends it
    else:
        print("tailhouse tail: give --config (the running service's config) or --admin URL", file=sys.stderr)
        return EXIT_CONFIG
    if args.since is not None:
        try:
            args.since = float(parse_duration(args.since, "--since"))
        except ConfigError as exc:
            print(f"tailhouse tail: {exc}", file=sys.stderr)
            return EXIT_CONFIG
    return run_tail(admin, args, headers=headers)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tailhouse", description="OpenTelemetry and Cloudflare Workers tail events into ClickHouse")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("run", help="run the collector in the foreground")
    p.add_argument("--config", required=True)
    p.add_argument("--log-format", choices=LOG_FORMATS, default=None,
                   help="text (default) or json; overrides service.telemetry.logs.format")
    p.set_defaults(func=cmd_run)
    p = sub.add_parser("validate", help="check a config file and exit")
    p.add_argument("--config", required=True)
    p.set_defaults(func=cmd_validate)
    p = sub.add_parser(
        "sql", help="run queries against the configured ClickHouse (as clickhouse-client does)",
        description="Run SQL against the configured ClickHouse: through the running service when one answers, "
                    "else directly. The query comes from the argument, --query, --queries-file or stdin; "
                    "with none of them on a terminal, an interactive prompt opens. "
                    "--param_NAME=VALUE binds {NAME:Type} placeholders.")
    p.add_argument("--config", required=True)
    p.add_argument("--format", "-f", default=None, metavar="FORMAT",
                   help="any ClickHouse output format (TSV, TSVWithNames, CSV, JSONEachRow, Pretty, Vertical, "
                        "Parquet, ...); default: PrettyCompact on a terminal, TSV otherwise. "
                        "A FORMAT clause in the query wins")
    p.add_argument("--write", action="store_true",
                   help="allow writes (INSERT, DDL); needs service.telemetry.admin.allow_writes: true")
    p.add_argument("--query", "-q", dest="query_option", metavar="SQL", help="the query (same as the argument)")
    p.add_argument("--queries-file", action="append", metavar="FILE",
                   help="read statements separated by ; from FILE (repeatable; - is stdin)")
    p.add_argument("--multiline", "-m", action="store_true",
                   help="interactive: a query ends with ; rather than at the end of the line")
    p.add_argument("--ignore-error", action="store_true", help="keep running the next statements after an error")
    p.add_argument("--history-file", default=None,
                   help="interactive history (default: $TAILHOUSE_HISTORY_FILE or ~/.tailhouse_history)")
    p.add_argument("query", nargs="?", help="the query; several statements may be separated by ;")
    p.set_defaults(func=cmd_sql, params={})
    p = sub.add_parser("schema", help="print the DDL of the configured schema (cluster-aware)")
    p.add_argument("--config", required=True)
    p.set_defaults(func=cmd_schema)
    p = sub.add_parser("trace", help="print a trace's rows in time order (reads the shard that holds it)")
    p.add_argument("--config", required=True)
    p.add_argument("--format", default=None,
                   help="any ClickHouse output format; default: a table on a terminal, TSV otherwise")
    p.add_argument("--show-shard", action="store_true", help="name the shard read on stderr")
    p.add_argument("trace_id")
    p.set_defaults(func=cmd_trace)
    p = sub.add_parser("report", help="canned on-call reports: recent, errors, performance, alerts")
    p.add_argument("report", choices=["recent", "errors", "performance", "alerts"])
    p.add_argument("--config", required=True)
    p.add_argument("--since", default="1h", help="time window, e.g. 15m, 1h, 7d (default 1h)")
    p.add_argument("--service", help="only this service.name")
    p.add_argument("--level", choices=LEVEL_NAMES,
                   help="recent: minimum log level")
    p.add_argument("--search", help="recent: text to find in log messages (case-insensitive)")
    p.add_argument("--limit", type=int, default=50, help="rows per table (default 50)")
    p.add_argument("--format", choices=["table", "json"], default="table")
    p.set_defaults(func=cmd_report)
    p = sub.add_parser("tail", help="follow events as they are accepted (live, via the admin endpoint)")
    p.add_argument("--config", help="config of the running service (to find its admin endpoint)")
    p.add_argument("--admin", help="admin endpoint URL instead of --config, e.g. http://127.0.0.1:13133")
    p.add_argument("--type", action="append", choices=["span", "log", "metric", "tail"],
                   help="only this event type (repeatable)")
    p.add_argument("--service", help="service.name glob, e.g. 'checkout*'")
    p.add_argument("--level", choices=LEVEL_NAMES, help="minimum severity")
    p.add_argument("--trace", help="only this trace id (32 hex digits)")
    p.add_argument("--grep", help="text to find in body, name, exception message, status message or URL")
    p.add_argument("--where", help="SQL condition over the event's columns, e.g. \"duration_ns > 100000000\"")
    p.add_argument("--topic", action="append", help="TYPE.SERVICE.NAME pattern, e.g. 'tail.*.exception' (repeatable)")
    p.add_argument("--format", choices=["pretty", "json"], default="pretty")
    p.add_argument("--since", help="first print stored events of this window, e.g. 5m")
    p.add_argument("--limit", type=int, default=10_000, help="--since: at most this many stored events")
    p.set_defaults(func=cmd_tail)
    p = sub.add_parser("deadletter", help="list or replay requests ClickHouse refused permanently")
    p.add_argument("action", choices=["list", "replay"])
    p.add_argument("--config", required=True)
    p.add_argument("--exporter", help="only this exporter (default: all clickhouse exporters)")
    p.add_argument("--id", action="append", help="replay: only this dead letter (repeatable)")
    p.add_argument("--setting", action="append", metavar="NAME=VALUE",
                   help="replay: a ClickHouse setting for the inserts, e.g. max_partitions_per_insert_block=1000")
    p.set_defaults(func=cmd_deadletter)
    return parser


def split_param_args(argv: list[str]) -> tuple[list[str], dict[str, str]]:
    """Take clickhouse-client's `--param_NAME=VALUE` / `--param_NAME VALUE` out of `argv`."""
    rest: list[str] = []
    params: dict[str, str] = {}
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--":
            rest.extend(argv[i:])
            break
        if arg.startswith("--param_"):
            name, eq, value = arg[len("--param_"):].partition("=")
            if not eq:
                if i + 1 >= len(argv):
                    raise QueryUsageError(f"{arg} needs a value: {arg}=VALUE")
                i += 1
                value = argv[i]
            params[check_param_name(name)] = value
        else:
            rest.append(arg)
        i += 1
    return rest, params


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `tailhouse` console script."""
    parser = build_parser()
    try:
        rest, params = split_param_args(sys.argv[1:] if argv is None else argv)
    except QueryUsageError as exc:
        parser.error(str(exc))
    args = parser.parse_args(rest)
    if params:
        if args.command != "sql":
            parser.error("--param_NAME=VALUE belongs to `tailhouse sql`")
        args.params = params
    return int(args.func(args))


if __name__ == "__main__":
    raise SystemExit(main())
