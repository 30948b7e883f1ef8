"""tailhouse.tail.v1 TraceItem messages → the TraceItem JSON shape the mapping takes.

The .proto names its fields so that their proto3 JSON names are TraceItem's keys; this module
only undoes what JSON and protobuf express differently: the `event` oneof (one field per kind)
becomes the `event` object, unset optional fields become null, an empty LogErrorInfo stands for
a null errorInfo entry, and `extra` fields are merged into the item.
"""

from __future__ import annotations

from typing import Any

from google.protobuf import json_format

from tailhouse.tail.v1 import tail_pb2

EVENT_FIELDS = ("fetch", "scheduled", "alarm", "queue", "email", "tail", "rpc", "custom", "other")
_NULLABLE = ("scriptName", "eventTimestamp")


def trace_item_from_proto(msg: tail_pb2.TraceItem) -> dict[str, Any]:
    """The JSON-shaped TraceItem of a protobuf TraceItem."""
    item: dict[str, Any] = json_format.MessageToDict(msg, always_print_fields_with_no_presence=True)
    kind = msg.WhichOneof("event")
    event = item.get(kind) if kind else None
    for name in EVENT_FIELDS:
        item.pop(name, None)
    if kind == "alarm" and event is not None:
        event.setdefault("scheduledTime", None)  # keeps an alarm recognisable by its keys
    item["event"] = event
    for key in _NULLABLE:
        item.setdefault(key, None)
    if not msg.HasField("script_version"):
        item.pop("scriptVersion", None)
    if not msg.script_tags:
        item.pop("scriptTags", None)
    for log in item.get("logs", []):
        infos = log.get("errorInfo") or []
        if infos:
            log["errorInfo"] = [i if i.get("name") or i.get("message") else None for i in infos]
        else:
            log.pop("errorInfo", None)
    extra = item.pop("extra", None) or {}
    for key, value in extra.items():
        item.setdefault(key, value)
    return item
