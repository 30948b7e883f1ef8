"""TraceItem → `events` rows: every rule of collector/tail/mapping.py, on items shaped as workerd sends them."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from tailhouse.collector.tail.mapping import MappingOptions, TailMapper, event_kind, parse_traceparent, redact_url
from tailhouse.collector.tail.proto_items import trace_item_from_proto
from tailhouse.collector.tail.validate import InvalidTraceItem, validate_trace_item
from tailhouse.exporters.clickhouse.events_table import EVENT_COLUMN_NAMES

RECEIVED_MS = 1_795_347_407_000
OPTIONS = MappingOptions.build("unknown_worker", ["authorization", "cookie", "x-api-key"],
                               ["token", "key", "password", "secret"])
TRACE = "0af7651916cd43dd8448eb211c80319c"


def item(**overrides: Any) -> dict[str, Any]:
    """A fetch TraceItem as workerd sends it (captured from workerd, plus cf fields of the edge)."""
    base: dict[str, Any] = {
        "wallTime": 12, "cpuTime": 3, "truncated": False, "executionModel": "stateless", "outcome": "ok",
        "scriptName": "shop-api", "diagnosticsChannelEvents": [], "exceptions": [], "logs": [],
        "eventTimestamp": 1795347406596,
        "event": {
            "request": {
                "url": "https://shop.example.com/v1/orders?token=abc&page=2",
                "method": "POST",
                "headers": {"user-agent": "curl/8", "cookie": "sid=1", "x-api-key": "k", "accept": "*/*"},
                "cf": {"colo": "AMS", "country": "NL", "city": "Amsterdam", "asn": 13335, "httpProtocol": "HTTP/2",
                       "tlsClientAuth": {"certPresented": "0"}},
            },
            "response": {"status": 201},
        },
    }
    base.update(overrides)
    return base


def rows_of(trace_item: dict[str, Any], options: MappingOptions = OPTIONS) -> list[dict[str, Any]]:
    rows = TailMapper(options).rows(validate_trace_item(trace_item), RECEIVED_MS)
    for row in rows:
        unknown = set(row) - EVENT_COLUMN_NAMES
        assert not unknown, f"not `events` columns: {unknown}"
    return rows


def log(level: str, *args: Any, ts: int = 1795347406600, **extra: Any) -> dict[str, Any]:
    return {"level": level, "message": list(args), "timestamp": ts, **extra}


# -- rows and kinds ----------------------------------------------------------------------------------

def test_one_tail_row_plus_one_log_row_per_log_and_exception_all_sharing_trace_and_span() -> None:
    rows = rows_of(item(
        logs=[log("log", "a"), log("warn", "b")],
        exceptions=[{"name": "TypeError", "message": "x is undefined", "timestamp": 1795347406610, "stack": "at f"}],
    ))
    assert [(r["event_type"], r["event_name"]) for r in rows] == [
        ("tail", "fetch"), ("log", "console.log"), ("log", "console.warn"), ("log", "exception")]
    assert len({r["trace_id"] for r in rows}) == 1
    assert len({r["span_id"] for r in rows}) == 1
    assert len({r["event_id"] for r in rows}) == 4
    assert all(r["source"] == "tail" for r in rows)


@pytest.mark.parametrize("event, kind", [
    ({"request": {"url": "https://a/", "method": "GET", "headers": {}}}, "fetch"),
    ({"cron": "*/5 * * * *", "scheduledTime": 1795347406650}, "scheduled"),
    ({"queue": "orders", "batchSize": 2}, "queue"),
    ({"scheduledTime": "2026-11-22T11:36:46.685Z"}, "alarm"),
    ({"rpcMethod": "add"}, "rpc"),
    ({"consumedEvents": [{"scriptName": "a"}, {"scriptName": None}]}, "tail"),
    ({"mailFrom": "a@example.com", "rcptTo": "b@example.com", "rawSize": 2048}, "email"),
    ({}, "custom"),
    ({"getWebSocketEvent": {"webSocketEventType": "message"}}, "websocket"),
    ({"reason": "inactive"}, "hibernate"),
    ({"somethingNew": 1}, "unknown"),
    (None, "unknown"),
])
def test_event_kind_is_inferred_from_the_keys_of_event(event: dict[str, Any] | None, kind: str) -> None:
    assert event_kind(event) == kind
    tail = rows_of(item(event=event))[0]
    assert tail["event_name"] == kind


def test_event_fields_of_each_kind_are_kept_as_attributes() -> None:
    cases = {
        "scheduled": ({"cron": "*/5 * * * *", "scheduledTime": 1795347406650},
                      {"faas.cron": ("*/5 * * * *", None), "cloudflare.scheduled_time": ("1795347406650", "int")}),
        "queue": ({"queue": "orders", "batchSize": 2},
                  {"messaging.destination.name": ("orders", None), "messaging.batch.message_count": ("2", "int")}),
        "alarm": ({"scheduledTime": "2026-11-22T11:36:46.685Z"},
                  {"cloudflare.scheduled_time": ("2026-11-22T11:36:46.685Z", None)}),
        "rpc": ({"rpcMethod": "add"}, {"rpc.method": ("add", None)}),
        "tail": ({"consumedEvents": [{"scriptName": "a"}]},
                 {"cloudflare.tail.consumed_events": ('[{"scriptName":"a"}]', "array")}),
        "email": ({"mailFrom": "a@example.com", "rcptTo": "b@example.com", "rawSize": 2048},
                  {"cloudflare.email.mail_from": ("a@example.com", None), "cloudflare.email.raw_size": ("2048", "int"),
                   "cloudflare.email.rcpt_to": ("b@example.com", None)}),
        "unknown": ({"somethingNew": {"a": 1}}, {"cloudflare.event.somethingNew": ('{"a":1}', "kvlist")}),
    }
    for kind, (event, expected) in cases.items():
        tail = rows_of(item(event=event))[0]
        assert tail["event_name"] == kind
        for key, (text, typ) in expected.items():
            assert tail["attributes"][key] == text, (kind, key)
            assert tail["attribute_types"].get(key) == typ, (kind, key)


def test_body_summarises_the_invocation() -> None:
    assert rows_of(item())[0]["body"] == "POST /v1/orders 201"
    assert rows_of(item(event={"queue": "orders", "batchSize": 2}))[0]["body"] == "queue orders (2 messages)"
    assert rows_of(item(outcome="exceededCpu", event={"rpcMethod": "add"}))[0]["body"] == "rpc add (exceededCpu)"


# -- kept as sent ------------------------------------------------------------------------------------

def test_invocation_fields_are_kept_as_sent() -> None:
    tail = rows_of(item(
        outcome="exceededCpu", cpuTime=51.5, wallTime=1234.25, entrypoint="Counter", executionModel="durableObject",
        durableObjectId="201e1d17", scriptVersion={"id": "v-1", "tag": "release-7", "message": "fix"},
        dispatchNamespace="customers", scriptTags=["team:shop", "tier:1"], truncated=True,
    ))[0]
    assert tail["outcome"] == "exceededCpu"
    assert tail["cpu_time_ms"] == 51.5
    assert tail["duration_ns"] == 1_234_250_000
    assert tail["timestamp"] == "2026-11-22T11:36:46.596000000Z"
    assert tail["end_timestamp"] == "2026-11-22T11:36:47.830250000Z"
    assert tail["service_version"] == "v-1"
    assert tail["service_namespace"] == tail["ns"] == "customers"
    assert tail["service_instance_id"] == "201e1d17"
    a, t = tail["attributes"], tail["attribute_types"]
    assert a["cloudflare.entrypoint"] == "Counter"
    assert a["cloudflare.execution_model"] == "durableObject"
    assert a["cloudflare.durable_object_id"] == "201e1d17"
    assert (a["cloudflare.script_version.id"], a["cloudflare.script_version.tag"],
            a["cloudflare.script_version.message"]) == ("v-1", "release-7", "fix")
    assert a["cloudflare.dispatch_namespace"] == "customers"
    assert json.loads(a["cloudflare.script_tags"]) == ["team:shop", "tier:1"] and t["cloudflare.script_tags"] == "array"
    assert a["cloudflare.truncated"] == "true" and t["cloudflare.truncated"] == "bool"
    assert a["cloudflare.script_name"] == "shop-api"
    assert tail["resource_attributes"]["service.name"] == "shop-api"
    assert tail["resource_attributes"]["cloud.provider"] == "cloudflare"


def test_null_script_name_uses_the_configured_default_service_name() -> None:
    rows = rows_of(item(scriptName=None, logs=[log("log", "x")]),
                   MappingOptions.build("edge-default", [], []))
    assert {r["service_name"] for r in rows} == {"edge-default"}
    assert "cloudflare.script_name" not in rows[0]["attributes"]


def test_unknown_fields_are_kept_in_data_and_attributes() -> None:
    tail = rows_of(item(
        preview={"id": "p1"}, futureField=[1, 2], tailAttributes={"plan": "pro", "beta": True},
        diagnosticsChannelEvents=[{"channel": "my:channel", "message": {"x": 1}, "timestamp": 1795347406601}],
        eventTimestamp=None, logs=[log("log", "first", ts=1795347406500)],
    ))[0]
    data = json.loads(tail["data"])
    assert data["preview"] == {"id": "p1"}
    assert data["futureField"] == [1, 2]
    assert data["diagnosticsChannelEvents"] == [{"channel": "my:channel", "message": {"x": 1}, "timestamp": 1795347406601}]
    assert data["eventTimestamp"] is None
    # without eventTimestamp the invocation starts at its first log line
    assert tail["timestamp"] == "2026-11-22T11:36:46.500000000Z"
    assert tail["attributes"]["cloudflare.tail_attributes.plan"] == "pro"
    assert tail["attribute_types"]["cloudflare.tail_attributes.beta"] == "bool"


# -- request and response ----------------------------------------------------------------------------

def test_request_and_response_columns_with_redaction() -> None:
    tail = rows_of(item())[0]
    assert tail["http_method"] == "POST"
    assert tail["http_url"] == "https://shop.example.com/v1/orders?token=REDACTED&page=2"
    assert tail["http_host"] == "shop.example.com"
    assert tail["http_path"] == "/v1/orders"
    assert tail["http_status_code"] == 201
    assert tail["user_agent"] == "curl/8"
    assert (tail["geo_colo"], tail["geo_country"], tail["geo_city"], tail["geo_asn"]) == ("AMS", "NL", "Amsterdam", 13335)
    a = tail["attributes"]
    assert a["http.request.header.cookie"] == "REDACTED"
    assert a["http.request.header.x-api-key"] == "REDACTED"
    assert a["http.request.header.accept"] == "*/*"
    assert a["cloudflare.cf.httpProtocol"] == "HTTP/2"
    assert json.loads(a["cloudflare.cf.tlsClientAuth"]) == {"certPresented": "0"}
    assert "abc" not in json.dumps(tail)
    assert "sid=1" not in json.dumps(tail)


def test_redaction_is_case_insensitive_and_keeps_other_params() -> None:
    params = frozenset({"token", "secret"})
    assert redact_url("https://a/p?Token=1&x=a%20b&SECRET=2#frag", params) == "https://a/p?Token=REDACTED&x=a%20b&SECRET=REDACTED#frag"
    assert redact_url("https://a/p?x=1", params) == "https://a/p?x=1"
    tail = rows_of(item(event={"request": {"url": "https://a/", "method": "GET",
                                           "headers": {"Authorization": "Bearer s"}}}))[0]
    assert tail["attributes"]["http.request.header.authorization"] == "REDACTED"


def test_fetch_without_response_has_status_zero() -> None:
    tail = rows_of(item(outcome="exception", event={"request": {"url": "https://a/x", "method": "GET", "headers": {}}}))[0]
    assert tail["http_status_code"] == 0
    assert tail["http_path"] == "/x"


def test_log_rows_carry_the_request_context() -> None:
    rows = rows_of(item(logs=[log("log", "hi")]))
    assert (rows[1]["http_method"], rows[1]["http_path"], rows[1]["geo_colo"]) == ("POST", "/v1/orders", "AMS")


# -- correlation -------------------------------------------------------------------------------------

def _with_headers(headers: dict[str, str], **kw: Any) -> dict[str, Any]:
    return item(event={"request": {"url": "https://a/", "method": "GET", "headers": headers}}, **kw)


def test_traceparent_gives_trace_id_parent_and_flags() -> None:
    rows = rows_of(_with_headers({"traceparent": f"00-{TRACE}-b7ad6b7169203331-01", "tracestate": "k=v"},
                                 logs=[log("log", "x")]))
    assert {r["trace_id"] for r in rows} == {TRACE}
    assert rows[0]["parent_span_id"] == "b7ad6b7169203331"
    assert rows[0]["trace_flags"] == 1
    assert rows[0]["trace_state"] == "k=v"


@pytest.mark.parametrize("value", [
    "garbage", f"00-{'0' * 32}-b7ad6b7169203331-01", f"00-{TRACE}-{'0' * 16}-01", f"ff-{TRACE}-b7ad6b7169203331-01",
    f"00-{TRACE}-b7ad6b7169203331-01-extra",
])
def test_invalid_traceparent_is_ignored(value: str) -> None:
    assert parse_traceparent(value) is None
    assert rows_of(_with_headers({"traceparent": value}))[0]["trace_id"] != TRACE


def test_without_traceparent_the_trace_id_is_derived_deterministically() -> None:
    first = rows_of(item(logs=[log("log", "x")]))
    again = rows_of(copy.deepcopy(item(logs=[log("log", "x")])))
    other = rows_of(item(eventTimestamp=1795347406597))
    assert len(first[0]["trace_id"]) == 32 and int(first[0]["trace_id"], 16) > 0
    assert first[0]["trace_id"] == first[1]["trace_id"] == again[0]["trace_id"]
    assert first[0]["event_id"] == again[0]["event_id"]
    assert other[0]["trace_id"] != first[0]["trace_id"]


def test_cf_ray_gives_request_id_and_ties_the_trace_to_the_ray() -> None:
    a = rows_of(_with_headers({"cf-ray": "8f1a2b3c4d5e6f70-AMS"}))[0]
    b = rows_of(_with_headers({"cf-ray": "8f1a2b3c4d5e6f70-AMS"}, eventTimestamp=1795347406999))[0]
    assert a["request_id"] == "8f1a2b3c4d5e6f70-AMS"
    assert a["trace_id"] == b["trace_id"]


@pytest.mark.parametrize("headers, expected", [
    ({"x-correlation-id": "c-1", "x-request-id": "r-1"}, "c-1"),
    ({"X-Request-Id": "r-1"}, "r-1"),
])
def test_correlation_id_from_headers(headers: dict[str, str], expected: str) -> None:
    rows = rows_of(_with_headers(headers, logs=[log("log", "x")]))
    assert rows[0]["correlation_id"] == rows[1]["correlation_id"] == expected


@pytest.mark.parametrize("field", ["correlation_id", "trace_id"])
def test_correlation_id_from_a_json_log_line(field: str) -> None:
    line = json.dumps({"level": "info", "message": "order placed", field: "corr-123"})
    rows = rows_of(item(logs=[log("log", "plain"), log("log", line)]))
    assert [r["correlation_id"] for r in rows] == ["corr-123", "corr-123", "corr-123"]


# -- console messages --------------------------------------------------------------------------------

def test_console_arguments_are_joined_with_objects_as_json() -> None:
    row = rows_of(item(logs=[log("log", "handling", "/hello", {"user": "u1", "n": 3}, 42, 1.5, None, True)]))[1]
    assert row["body"] == 'handling /hello {"user":"u1","n":3} 42 1.5 null true'
    assert json.loads(row["attributes"]["cloudflare.log.arguments"]) == ["handling", "/hello", {"user": "u1", "n": 3},
                                                                        42, 1.5, None, True]
    assert row["attribute_types"]["cloudflare.log.arguments"] == "array"


def test_a_single_json_object_string_becomes_attributes() -> None:
    line = json.dumps({"level": "error", "message": "payment failed", "correlation_id": "c-9", "order_id": 7,
                       "amount": 9.5, "retry": False, "ctx": {"a": 1}})
    row = rows_of(item(logs=[log("log", line)]))[1]
    assert row["body"] == "payment failed"
    a, t = row["attributes"], row["attribute_types"]
    assert (a["level"], a["message"], a["correlation_id"]) == ("error", "payment failed", "c-9")
    assert (a["order_id"], t["order_id"]) == ("7", "int")
    assert (a["amount"], t["amount"]) == ("9.5", "double")
    assert (a["retry"], t["retry"]) == ("false", "bool")
    assert (json.loads(a["ctx"]), t["ctx"]) == ({"a": 1}, "kvlist")
    # the line's own level decides its severity
    assert (row["severity_text"], row["severity_number"], row["importance"]) == ("ERROR", 17, 1)
    assert row["correlation_id"] == "c-9"


def test_a_string_that_only_looks_like_json_stays_a_message() -> None:
    row = rows_of(item(logs=[log("log", "{not json")]))[1]
    assert row["body"] == "{not json"
    assert set(row["attributes"]) == {"cloudflare.log.level"}


def test_error_info_lines_up_with_the_arguments() -> None:
    info = [None, {"name": "Error", "message": "upstream 503", "stack": "at fetch (producer.js:30:38)"}]
    row = rows_of(item(logs=[log("error", "upstream failed", "Error: upstream 503", errorInfo=info)]))[1]
    assert row["body"] == "upstream failed Error: upstream 503"
    assert (row["exception_type"], row["exception_message"], row["exception_stacktrace"]) == (
        "Error", "upstream 503", "at fetch (producer.js:30:38)")
    assert json.loads(row["attributes"]["cloudflare.log.error_info"]) == info


@pytest.mark.parametrize("level, text, number, importance", [
    ("debug", "DEBUG", 5, 3), ("log", "INFO", 9, 3), ("info", "INFO", 9, 3), ("warn", "WARN", 13, 2),
    ("error", "ERROR", 17, 1), ("fatal", "FATAL", 21, 0),  # FATAL is CRITICAL, as for OTLP logs
])
def test_log_severity_and_importance(level: str, text: str, number: int, importance: int) -> None:
    row = rows_of(item(logs=[log(level, "x")]))[1]
    assert (row["severity_text"], row["severity_number"], row["importance"]) == (text, number, importance)
    assert row["attributes"]["cloudflare.log.level"] == level


# -- importance and errors ---------------------------------------------------------------------------

@pytest.mark.parametrize("overrides, importance", [
    ({}, 3),
    ({"logs": [log("warn", "w")]}, 2),
    ({"logs": [log("error", "e")]}, 1),
    ({"event": {"request": {"url": "https://a/", "method": "GET", "headers": {}}, "response": {"status": 503}}}, 1),
    ({"outcome": "canceled"}, 0),
    ({"outcome": "exceededMemory"}, 0),
    ({"exceptions": [{"name": "Error", "message": "m", "timestamp": 1795347406600}]}, 0),
])
def test_tail_row_importance(overrides: dict[str, Any], importance: int) -> None:
    tail = rows_of(item(**overrides))[0]
    assert tail["importance"] == importance
    assert (tail["status_code"] == "Error") == (importance == 0 or tail["http_status_code"] >= 500)


def test_exception_rows() -> None:
    rows = rows_of(item(outcome="exception", exceptions=[
        {"name": "TypeError", "message": "widget 42 not found", "timestamp": 1795347406623,
         "stack": "at Producer.fetch (producer.js:21:13)"}]))
    tail, exc = rows
    assert (exc["event_type"], exc["event_name"]) == ("log", "exception")
    assert (exc["exception_type"], exc["exception_message"], exc["exception_stacktrace"]) == (
        "TypeError", "widget 42 not found", "at Producer.fetch (producer.js:21:13)")
    assert (exc["severity_text"], exc["severity_number"], exc["importance"]) == ("ERROR", 17, 0)
    assert exc["body"] == "TypeError: widget 42 not found"
    assert exc["timestamp"] == "2026-11-22T11:36:46.623000000Z"
    assert tail["exception_type"] == "TypeError" and tail["importance"] == 0


# -- Durable Object observability events -------------------------------------------------------------

def test_do_observability_channel_events_become_log_rows() -> None:
    rows = rows_of(item(executionModel="durableObject", diagnosticsChannelEvents=[
        {"channel": "do:observability", "timestamp": 1795347406601,
         "message": {"type": "DO.Lifecycle.created", "className": "Counter", "id": "abc"}},
        {"channel": "other", "timestamp": 1795347406602, "message": "ignored-as-row"},
    ]))
    assert [r["event_name"] for r in rows] == ["fetch", "DO.Lifecycle.created"]
    do = rows[1]
    assert do["event_type"] == "log"
    assert do["attributes"]["className"] == "Counter"
    assert do["attributes"]["cloudflare.do_event.source"] == "diagnostics_channel"
    assert do["trace_id"] == rows[0]["trace_id"]
    assert json.loads(rows[0]["data"])["diagnosticsChannelEvents"][0]["channel"] == "other"


def test_a_log_with_the_do_event_marker_is_named_after_the_event() -> None:
    marker = {"__do_event": "DO.Storage.alarm_set", "scheduledFor": 1795347406700}
    rows = rows_of(item(logs=[log("log", marker), log("log", json.dumps(marker))]))
    assert [r["event_name"] for r in rows[1:]] == ["DO.Storage.alarm_set", "DO.Storage.alarm_set"]
    assert rows[1]["attribute_types"]["scheduledFor"] == "int"


# -- transports agree --------------------------------------------------------------------------------

def test_grpc_items_map_to_the_same_rows_as_json_items() -> None:
    from google.protobuf import json_format

    from tailhouse.tail.v1 import tail_pb2

    source = item(
        scriptVersion={"id": "v-1"}, scriptTags=["a"], durableObjectId="d1", entrypoint="Counter",
        logs=[log("error", "upstream failed", "Error: x", {"n": 3}, errorInfo=[None, {"name": "Error", "message": "x"}, None]),
              log("log", json.dumps({"correlation_id": "c1", "n": 2}))],
        exceptions=[{"name": "TypeError", "message": "m", "timestamp": 1795347406610, "stack": "s"}],
        diagnosticsChannelEvents=[{"channel": "do:observability", "message": {"type": "DO.x"}, "timestamp": 1795347406601}],
    )
    msg = tail_pb2.TraceItem()
    proto_json = copy.deepcopy({k: v for k, v in source.items() if k != "event"})
    proto_json["fetch"] = source["event"]
    for entry in proto_json["logs"]:
        # protobuf has no null list entries: an empty LogErrorInfo stands for null
        entry["errorInfo"] = [e or {} for e in entry.get("errorInfo", [])]
    json_format.ParseDict(proto_json, msg)
    assert rows_of(trace_item_from_proto(msg)) == rows_of(source)


def test_grpc_oneof_kinds_round_trip() -> None:
    from tailhouse.tail.v1 import tail_pb2

    msg = tail_pb2.TraceItem(outcome="ok")
    msg.alarm.scheduled_time.FromMilliseconds(1795347406685)
    assert trace_item_from_proto(msg)["event"] == {"scheduledTime": "2026-11-22T11:36:46.685Z"}
    msg = tail_pb2.TraceItem(outcome="ok")
    msg.custom.SetInParent()
    assert rows_of(trace_item_from_proto(msg))[0]["event_name"] == "custom"
    msg = tail_pb2.TraceItem(outcome="ok")
    msg.other.update({"reason": "inactive"})
    assert rows_of(trace_item_from_proto(msg))[0]["event_name"] == "hibernate"
    msg = tail_pb2.TraceItem(outcome="ok")
    item_dict = trace_item_from_proto(msg)
    assert item_dict["event"] is None and item_dict["scriptName"] is None


# -- validation --------------------------------------------------------------------------------------

@pytest.mark.parametrize("bad, path", [
    ({"outcome": 1}, "outcome"),
    ({"outcome": None}, "outcome"),
    ({"wallTime": "12"}, "wallTime"),
    ({"truncated": "no"}, "truncated"),
    ({"scriptTags": ["a", 1]}, "scriptTags[1]"),
    ({"logs": {"level": "log"}}, "logs"),
    ({"logs": [log("log", "x", ts="yesterday")]}, "logs[0].timestamp"),
    ({"exceptions": [{"name": 5, "message": "m"}]}, "exceptions[0].name"),
    ({"event": {"request": {"url": "https://a/", "headers": {"x": 1}}}}, "event.request.headers.x"),
    ({"event": {"request": {"url": "https://a/", "headers": {}}, "response": {"status": "200"}}}, "event.response.status"),
    ({"event": "fetch"}, "event"),
])
def test_fields_of_the_wrong_type_are_refused_naming_the_field(bad: dict[str, Any], path: str) -> None:
    with pytest.raises(InvalidTraceItem) as err:
        validate_trace_item(item(**bad))
    assert err.value.path == path


def test_a_json_error_line_raises_the_invocation_importance() -> None:
    line = json.dumps({"level": "error", "message": "payment failed"})
    assert rows_of(item(logs=[log("log", line)]))[0]["importance"] == 1
