"""The cloudflare_tail receivers against a real service with embedded ClickHouse: storage, views, bad input."""

from __future__ import annotations

import gzip
import json
import uuid
from pathlib import Path
from typing import Any, Iterator

import grpc
import pytest

from tailhouse.collector.config import parse_config
from tailhouse.pipeline.config_loader import ConfigError
from harness import RunningService, config_text
from tail_support import TOKEN, post, tail_service
from tailhouse.tail.v1 import tail_pb2

EXPORT = "/tailhouse.tail.v1.TailService/Export"


@pytest.fixture(scope="module")
def svc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningService]:
    running = tail_service(tmp_path_factory.mktemp("tail-receivers"))
    yield running
    running.stop()


def script() -> str:
    """A script name of its own, so tests sharing the service don't see each other's rows."""
    return f"worker-{uuid.uuid4().hex[:8]}"


def fetch_item(name: str, path: str = "/api/orders", status: int = 200, wall: float = 10, **kw: Any) -> dict[str, Any]:
    return {
        "wallTime": wall, "cpuTime": 2, "truncated": False, "executionModel": "stateless", "outcome": "ok",
        "scriptName": name, "diagnosticsChannelEvents": [], "exceptions": [], "logs": [],
        "eventTimestamp": 1795347406596,
        "event": {"request": {"url": f"https://shop.example.com{path}?key=k1", "method": "GET",
                              "headers": {"cf-ray": "8f1a2b3c-AMS", "x-api-key": "secret-value"},
                              "cf": {"colo": "AMS", "country": "NL", "city": "Amsterdam", "asn": 13335}},
                  "response": {"status": status}},
        **kw,
    }


def rows(svc: RunningService, name: str) -> list[dict[str, Any]]:
    return svc.store_dicts("SELECT * FROM events WHERE service_name = {s:String} ORDER BY event_type DESC, timestamp", s=name)


# -- storing -----------------------------------------------------------------------------------------

def test_gzip_post_stores_typed_rows_in_events(svc: RunningService) -> None:
    name = script()
    item = fetch_item(name, logs=[
        {"level": "log", "message": [json.dumps({"message": "order placed", "order_id": 7, "correlation_id": "c-1"})],
         "timestamp": 1795347406600},
        {"level": "error", "message": ["db down", "Error: timeout"], "timestamp": 1795347406601,
         "errorInfo": [None, {"name": "Error", "message": "timeout", "stack": "at q"}]},
    ])
    status, answer, _ = post(svc.tail_url, [item], gzipped=True)
    assert status == 200, answer
    assert answer == {"accepted": 1, "rejected": 0, "rows": 3, "errors": []}
    stored = rows(svc, name)
    assert [(r["event_type"], r["event_name"]) for r in stored] == [("tail", "fetch"), ("log", "console.log"),
                                                                    ("log", "console.error")]
    tail, json_log, error_log = stored
    assert tail["http_url"] == "https://shop.example.com/api/orders?key=REDACTED"
    assert tail["attributes"]["http.request.header.x-api-key"] == "REDACTED"
    assert tail["request_id"] == "8f1a2b3c-AMS"
    assert tail["geo_asn"] == 13335 and tail["geo_colo"] == "AMS"
    assert tail["duration_ns"] == 10_000_000 and tail["cpu_time_ms"] == 2.0
    assert str(tail["timestamp"]) == "2026-11-22 11:36:46.596000"
    assert json_log["attributes"]["order_id"] == "7" and json_log["attribute_types"]["order_id"] == "int"
    assert json_log["correlation_id"] == "c-1" and json_log["body"] == "order placed"
    assert error_log["exception_type"] == "Error" and error_log["importance"] == 1
    assert {r["trace_id"] for r in stored} == {tail["trace_id"]}


def test_a_bad_item_is_refused_alone_and_the_others_are_stored(svc: RunningService) -> None:
    name = script()
    bad = fetch_item(name, wallTime="slow")
    status, answer, _ = post(svc.tail_url, [fetch_item(name), bad, "not an object", fetch_item(name, path="/b")])
    assert status == 200
    assert (answer["accepted"], answer["rejected"], answer["rows"]) == (2, 2, 2)
    assert answer["errors"] == [
        {"index": 1, "error": "wallTime: expected a finite number, got string"},
        {"index": 2, "error": "a TraceItem must be an object, got string"},
    ]
    assert sorted(r["http_path"] for r in rows(svc, name)) == ["/api/orders", "/b"]


def test_a_resent_body_is_acknowledged_and_stored_once(svc: RunningService) -> None:
    # A tail worker resends the same body when it lost an acknowledgement (timeout, cut connection).
    name = script()
    body = [fetch_item(name, logs=[{"level": "log", "message": ["hi"], "timestamp": 1795347406600}])]
    first = post(svc.tail_url, body)
    again = post(svc.tail_url, body)
    assert first[:2] == again[:2] == (200, {"accepted": 1, "rejected": 0, "rows": 2, "errors": []})
    assert len(rows(svc, name)) == 2


def test_empty_array_is_accepted(svc: RunningService) -> None:
    assert post(svc.tail_url, [])[:2] == (200, {"accepted": 0, "rejected": 0, "rows": 0, "errors": []})


def test_missing_content_type_is_taken_as_json(svc: RunningService) -> None:
    name = script()
    assert post(svc.tail_url, [fetch_item(name)], content_type=None)[0] == 200
    assert len(rows(svc, name)) == 1


# -- views -------------------------------------------------------------------------------------------

def test_worker_views_answer_the_readme_queries(svc: RunningService) -> None:
    name = script()
    items = [fetch_item(name, wall=w) for w in (10, 20, 30, 40)]
    items.append(fetch_item(name, status=503, wall=100))
    for colo in ("AMS", "FRA", "AMS"):
        failing = fetch_item(name, path="/api/pay", outcome="exception", wall=5, exceptions=[
            {"name": "TypeError", "message": "card is undefined", "timestamp": 1795347406610, "stack": "at pay"}])
        failing["event"]["request"]["cf"]["colo"] = colo
        items.append(failing)
    items.append({**fetch_item(name), "event": {"cron": "0 * * * *", "scheduledTime": 1795347406596}})
    assert post(svc.tail_url, items)[0] == 200

    errors = svc.store_dicts("SELECT kind, exception_type, http_path FROM worker_errors WHERE script_name = {s:String} "
                             "ORDER BY kind", s=name)
    assert [e["kind"] for e in errors] == ["exception"] * 3 + ["invocation"] * 3
    assert {e["exception_type"] for e in errors} == {"TypeError"}

    logs = svc.store_dicts("SELECT event_name FROM worker_logs WHERE script_name = {s:String}", s=name)
    assert [r["event_name"] for r in logs] == ["exception"] * 3

    reqs = svc.store_dicts("SELECT count() AS n FROM worker_requests WHERE script_name = {s:String}", s=name)
    assert reqs == [{"n": 8}]

    hourly = svc.store_dicts(
        "SELECT event_kind, http_path, sum(requests) AS requests, sum(errors) AS errors, max(error_rate) AS error_rate, "
        "max(p50_wall_time_ms) AS p50, max(p95_wall_time_ms) AS p95, max(p99_wall_time_ms) AS p99 "
        "FROM worker_endpoint_hourly WHERE script_name = {s:String} GROUP BY event_kind, http_path ORDER BY http_path",
        s=name)
    assert [(h["event_kind"], h["http_path"], h["requests"], h["errors"]) for h in hourly] == [
        ("scheduled", "", 1, 0), ("fetch", "/api/orders", 5, 1), ("fetch", "/api/pay", 3, 3)]
    orders = hourly[1]
    assert orders["error_rate"] == pytest.approx(0.2)
    assert orders["p50"] == pytest.approx(30)
    assert 40 < orders["p95"] <= 100 and orders["p95"] <= orders["p99"] <= 100

    patterns = svc.store_dicts("SELECT * FROM error_patterns WHERE script_name = {s:String}", s=name)
    assert len(patterns) == 1
    p = patterns[0]
    assert (p["exception_type"], p["exception_message"], p["count"]) == ("TypeError", "card is undefined", 3)
    assert p["colos"] == ["AMS", "FRA"] and p["distinct_colos"] == 2
    assert p["first_seen"] <= p["last_seen"]


# -- bad input over HTTP -----------------------------------------------------------------------------

@pytest.mark.parametrize("token", [None, "wrong", ""])
def test_missing_or_wrong_token_is_401(svc: RunningService, token: str | None) -> None:
    status, answer, headers = post(svc.tail_url, [fetch_item(script())], token=token)
    assert status == 401
    assert "token" in answer["error"] or "Authorization" in answer["error"]
    assert headers.get("WWW-Authenticate", "").startswith("Bearer")


@pytest.mark.parametrize("body, fragment", [
    (b"[{", "not valid JSON"),
    (b'{"outcome": "ok"}', "must be a JSON array"),
    (b"[NaN]", "not valid JSON"),
    (b"\xff\xfe", "not"),
])
def test_undecodable_or_non_array_body_is_400(svc: RunningService, body: bytes, fragment: str) -> None:
    status, answer, _ = post(svc.tail_url, body)
    assert status == 400
    assert fragment in answer["error"]


def test_all_items_with_wrong_field_types_is_400_naming_the_fields(svc: RunningService) -> None:
    name = script()
    status, answer, _ = post(svc.tail_url, [fetch_item(name, outcome=5), fetch_item(name, logs=[{"timestamp": "x"}])])
    assert status == 400
    assert answer["rejected"] == 2
    assert [e["error"] for e in answer["errors"]] == ["outcome: expected a string, got number",
                                                      "logs[0].timestamp: expected a finite number, got string"]
    assert rows(svc, name) == []


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml"])
def test_wrong_content_type_is_415(svc: RunningService, content_type: str) -> None:
    status, answer, _ = post(svc.tail_url, [], content_type=content_type)
    assert status == 415
    assert "application/json" in answer["error"]


def test_unknown_content_encoding_is_415(svc: RunningService) -> None:
    status, answer, _ = post(svc.tail_url, b"[]", headers={"Content-Encoding": "br"})
    assert status == 415 and "br" in answer["error"]


def test_broken_gzip_is_400(svc: RunningService) -> None:
    status, answer, _ = post(svc.tail_url, gzip.compress(b"[]")[:-6], headers={"Content-Encoding": "gzip"})
    assert status == 400 and "gzip" in answer["error"]


def test_too_large_body_is_413_as_sent_and_once_decompressed(svc: RunningService) -> None:
    big = json.dumps([fetch_item(script(), logs=[{"level": "log", "message": ["x" * 70_000], "timestamp": 1}])])
    status, answer, _ = post(svc.tail_url, big)
    assert status == 413 and "larger" in answer["error"]
    # 64 KiB limit: compresses to far less, but inflates past it
    status, answer, _ = post(svc.tail_url, big, gzipped=True)
    assert status == 413 and "decompressed" in answer["error"]


def test_get_is_not_allowed(svc: RunningService) -> None:
    import urllib.error
    import urllib.request

    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(svc.tail_url, timeout=10)
    assert err.value.code == 405


# -- gRPC --------------------------------------------------------------------------------------------

def _call(svc: RunningService, request: bytes, token: str | None = TOKEN) -> tail_pb2.ExportTailResponse:
    with grpc.insecure_channel(svc.tail_grpc_endpoint) as channel:
        export = channel.unary_unary(EXPORT, request_serializer=None,
                                     response_deserializer=tail_pb2.ExportTailResponse.FromString)
        metadata = [("authorization", f"Bearer {token}")] if token is not None else None
        return export(request, metadata=metadata, timeout=60)


def _grpc_item(name: str) -> tail_pb2.TraceItem:
    msg = tail_pb2.TraceItem(script_name=name, outcome="ok", execution_model="stateless", wall_time=7, cpu_time=1,
                             event_timestamp=1795347406596)
    msg.rpc.rpc_method = "add"
    log = msg.logs.add(level="log", timestamp=1795347406597)
    log.message.extend(["rpc add", 2, 3])
    return msg


def test_grpc_export_stores_rows(svc: RunningService) -> None:
    name = script()
    req = tail_pb2.ExportTailRequest(items=[_grpc_item(name)])
    resp = _call(svc, req.SerializeToString())
    assert (resp.accepted, resp.rejected, resp.rows) == (1, 0, 2)
    stored = rows(svc, name)
    assert [(r["event_type"], r["event_name"]) for r in stored] == [("tail", "rpc"), ("log", "console.log")]
    assert stored[0]["attributes"]["rpc.method"] == "add"
    assert stored[0]["duration_ns"] == 7_000_000
    assert stored[1]["body"] == "rpc add 2 3"


def test_grpc_reports_single_bad_items(svc: RunningService) -> None:
    name = script()
    bad = _grpc_item(name)
    bad.cpu_time = float("nan")
    resp = _call(svc, tail_pb2.ExportTailRequest(items=[_grpc_item(name), bad]).SerializeToString())
    assert (resp.accepted, resp.rejected, resp.rows) == (1, 1, 2)
    assert resp.errors[0].index == 1 and resp.errors[0].message == "cpuTime: expected a finite number, got string"
    assert len(rows(svc, name)) == 2


@pytest.mark.parametrize("token", [None, "wrong"])
def test_grpc_wrong_token_is_unauthenticated(svc: RunningService, token: str | None) -> None:
    with pytest.raises(grpc.RpcError) as err:
        _call(svc, tail_pb2.ExportTailRequest(items=[_grpc_item(script())]).SerializeToString(), token=token)
    assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED


def test_grpc_undecodable_request_is_invalid_argument(svc: RunningService) -> None:
    with pytest.raises(grpc.RpcError) as err:
        _call(svc, b"\x0a\xff\xff\xff")
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "ExportTailRequest" in err.value.details()


def test_grpc_all_items_bad_is_invalid_argument(svc: RunningService) -> None:
    bad = _grpc_item(script())
    bad.extra.update({"scriptTags": [1]})  # unknown-to-proto fields still get validated
    with pytest.raises(grpc.RpcError) as err:
        _call(svc, tail_pb2.ExportTailRequest(items=[bad]).SerializeToString())
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "scriptTags[0]: expected a string" in err.value.details()


# -- config ------------------------------------------------------------------------------------------

ISSUE_CONFIG = config_text("tail_issue_example")


def test_config_keys_work_as_written(tmp_path: Path) -> None:
    cfg = parse_config(ISSUE_CONFIG, tmp_path, environ={"TAILHOUSE_TAIL_TOKEN": "s3cret"})
    tail = cfg.receivers["cloudflare_tail"]
    assert (tail.http.endpoint, tail.grpc.endpoint, tail.auth.bearer_token) == ("127.0.0.1:4319", "127.0.0.1:4320", "s3cret")
    assert tail.redact.query_params == ["token", "key", "password", "secret"]
    assert tail.default_service_name == "unknown_worker"
    # An auth block whose token came out empty is a config error (as on every server), never auth silently off.
    with pytest.raises(ConfigError) as err:
        parse_config(ISSUE_CONFIG, tmp_path, environ={})
    assert err.value.path == "receivers.cloudflare_tail.auth.bearer_token"


@pytest.mark.parametrize("change, path", [
    (("logs: {receivers: [otlp, cloudflare_tail]", "traces: {receivers: [otlp, cloudflare_tail]"),
     "service.pipelines.traces.receivers[1]"),
    (("    http: {endpoint: 127.0.0.1:4319}\n    grpc: {endpoint: 127.0.0.1:4320}\n", ""), "receivers.cloudflare_tail"),
    (("http: {endpoint: 127.0.0.1:4319}", "http: {endpoint: localhost}"), "receivers.cloudflare_tail.http.endpoint"),
    (("redact:", "redact:\n      body: [x]\n    ignored:"), "receivers.cloudflare_tail.redact.body"),
])
def test_config_errors_name_the_key(tmp_path: Path, change: tuple[str, str], path: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_config(ISSUE_CONFIG.replace(*change), tmp_path, environ={"TAILHOUSE_TAIL_TOKEN": "t"})
    assert err.value.path == path
