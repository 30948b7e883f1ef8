"""Static DDL: the `.sql` templates under `sql/`, their named slots, and where the schema goes.

Each template is one statement with named slots, `{database}`, `{on_cluster}`, `{engine}`,
`{ttl}`, … (leading `--` lines are its comment and are not sent). A single node and a cluster
render the same templates with other slot values: `ON CLUSTER`, a `Replicated*MergeTree` engine
and its deduplication setting, and in `distributed` sharding the mapping views' target table.
Generated SQL (column lists, the OTLP mapping SELECTs) goes in as a slot value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

# Where replicated tables keep their metadata in Keeper; {shard} and {replica} are server macros
# (a slot value is never searched for slots, so these braces reach ClickHouse as written).
REPLICA_PATH = "'/clickhouse/tables/{shard}/{database}/{table}', '{replica}'"

EVENTS_ALL = "events_all"
EVENTS_INGEST = "events_ingest"

_SLOT = re.compile(r"\{([a-z_]+)\}")


class TemplateError(LookupError):
    """A template is missing, or a slot it names got no value."""


def quote(name: str) -> str:
    """A backquoted ClickHouse identifier (the one quoting rule of the schema)."""
    return "`" + name.replace("`", "``") + "`"


@cache  # templates are package data that never change while the process runs
def template(name: str) -> str:
    """The text of `sql/<name>.sql` without its leading comment lines and final newline."""
    path = files(__package__).joinpath("sql", f"{name}.sql")
    if not path.is_file():
        raise TemplateError(f"no SQL template {name}.sql")
    lines = path.read_text(encoding="utf-8").splitlines()
    while lines and lines[0].startswith("--"):
        lines.pop(0)
    return "\n".join(lines)


def render(name: str, slots: dict[str, str]) -> str:
    """`sql/<name>.sql` with every `{slot}` replaced by its value; TemplateError names a slot without one."""
    text = template(name)

    def fill(m: re.Match[str]) -> str:
        try:
            return slots[m.group(1)]
        except KeyError:
            raise TemplateError(f"{name}.sql: no value for slot {{{m.group(1)}}}") from None

    return _SLOT.sub(fill, text)


@dataclass(frozen=True)
class Placement:
    """Where the schema goes: a database, and the ClickHouse cluster it spans ('' on a single node).

    `replicated` gives MergeTree tables a Replicated engine; `mode` is the sharding mode, and in
    `distributed` mode the mapping views insert into the Distributed table `events_ingest`.
    """

    database: str
    cluster: str = ""
    replicated: bool = False
    mode: str = "client"  # client | distributed

    @property
    def on_cluster(self) -> bool:
        """True when DDL runs ON CLUSTER."""
        return bool(self.cluster)

    @property
    def mapping_target(self) -> str:
        """The table the OTLP mapping views write to."""
        return EVENTS_INGEST if self.on_cluster and self.mode == "distributed" else "events"

    def engine(self, family: str) -> str:
        """`family` (MergeTree, AggregatingMergeTree) as this placement creates it."""
        return f"Replicated{family}({REPLICA_PATH})" if self.replicated else family

    def slots(self, dedup_window: int | None = None, **extra: str) -> dict[str, str]:
        """The slot values every template may use, plus `extra` (a statement's own slots).

        `{dedup_setting}` has a value only when `dedup_window` is given.
        """
        slots = {
            "database": quote(self.database),
            "cluster": quote(self.cluster),
            "on_cluster": f" ON CLUSTER {quote(self.cluster)}" if self.on_cluster else "",
            "engine": self.engine("MergeTree"),
            "aggregating_engine": self.engine("AggregatingMergeTree"),
            "all": "",
        }
        if dedup_window is not None:
            # Replicated tables deduplicate inserts through Keeper, with their own window setting.
            name = "replicated_deduplication_window" if self.replicated else "non_replicated_deduplication_window"
            slots["dedup_setting"] = f"{name} = {dedup_window}"
        return {**slots, **extra}
