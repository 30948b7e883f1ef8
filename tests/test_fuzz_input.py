"""Fault scenario 4: 10,000 malformed or random requests over gRPC and HTTP (seeded, so reproducible).

Half go over gRPC (the three OTLP services and the tail service), half over HTTP (OTLP/HTTP
protobuf and JSON, and the tail receiver's POST /v1/tail). Bodies are random bytes, valid
requests with flipped, cut or inserted bytes, and random JSON. Every answer must be a success
(a mutation can still be a valid request) or a clear client error (gRPC INVALID_ARGUMENT, HTTP
4xx) with a message; never an internal error, a hang or a crash. Afterwards the service must be
healthy and store good data.
"""

from __future__ import annotations

import http.client
import json
import random
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import grpc

from fault_support import trace_request
from harness import start

SEED = 20240604
PER_TRANSPORT = 5000
GRPC_METHODS = [
    "/opentelemetry.proto.collector.trace.v1.TraceService/Export",
    "/opentelemetry.proto.collector.logs.v1.LogsService/Export",
    "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export",
    "/tailhouse.tail.v1.TailService/Export",
]
HTTP_PATHS = ["/v1/traces", "/v1/logs", "/v1/metrics"]


def _mutate(rng: random.Random, valid: bytes) -> bytes:
    data = bytearray(valid)
    choice = rng.randrange(4)
    if choice == 0:
        for _ in range(rng.randint(1, 8)):
            data[rng.randrange(len(data))] = rng.randrange(256)
    elif choice == 1:
        del data[rng.randrange(len(data)):]
    elif choice == 2:
        pos = rng.randrange(len(data))
        data[pos:pos] = rng.randbytes(rng.randint(1, 16))
    else:
        return rng.randbytes(rng.randint(0, 512))
    return bytes(data)


def _random_json(rng: random.Random, depth: int = 0) -> object:
    kind = rng.randrange(7 if depth < 3 else 4)
    if kind == 0:
        return rng.randint(-2**70, 2**70)
    if kind == 1:
        return rng.choice(["", "x" * rng.randint(0, 50), "\u0000\ud7ff", "traceId", "resourceSpans"])
    if kind == 2:
        return rng.choice([None, True, False, 1.5e308])
    if kind == 3:
        return rng.random()
    if kind == 4:
        return [_random_json(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    keys = ["resourceSpans", "scopeSpans", "spans", "traceId", "spanId", "name", "logs", "outcome", "event",
            "resourceLogs", "resourceMetrics", "eventTimestamp", "scriptName", "attributes"]
    return {rng.choice(keys): _random_json(rng, depth + 1) for _ in range(rng.randint(0, 5))}


def _json_body(rng: random.Random) -> bytes:
    body = json.dumps(_random_json(rng, 1 if rng.random() < 0.5 else 0)).encode()
    return _mutate(rng, body) if rng.random() < 0.3 and body else body


def test_ten_thousand_malformed_requests(tmp_path: Path) -> None:
    svc = start(tmp_path, "fuzz", mode="subprocess")
    ports = {"http_port": svc.port("otlp/http"), "tail_http_port": svc.port("tail/http"),
             "tail_grpc_port": svc.port("tail/grpc")}
    rng = random.Random(SEED)
    valid = trace_request("fuzz-seed", "seed", 5)
    grpc_cases = []
    for _ in range(PER_TRANSPORT):
        method = rng.choice(GRPC_METHODS)
        grpc_cases.append((method, _mutate(rng, valid)))
    http_cases = []
    for _ in range(PER_TRANSPORT):
        target = rng.randrange(3)
        if target == 0:
            http_cases.append((ports["http_port"], rng.choice(HTTP_PATHS), "application/x-protobuf", _mutate(rng, valid)))
        elif target == 1:
            http_cases.append((ports["http_port"], rng.choice(HTTP_PATHS), "application/json", _json_body(rng)))
        else:
            http_cases.append((ports["tail_http_port"], "/v1/tail", "application/json", _json_body(rng)))
    outcomes: Counter[str] = Counter()
    problems: list[str] = []

    def grpc_batch(cases: list[tuple[str, bytes]]) -> None:
        endpoint = svc.grpc_endpoint
        channels = {}
        for method, body in cases:
            target = endpoint if "tailhouse" not in method else f"127.0.0.1:{ports['tail_grpc_port']}"
            ch = channels.setdefault(target, grpc.insecure_channel(target))
            call = ch.unary_unary(method, request_serializer=None, response_deserializer=None)
            try:
                call(body, timeout=30)
                outcomes["grpc OK"] += 1
            except grpc.RpcError as err:
                outcomes[f"grpc {err.code().name}"] += 1
                if err.code() != grpc.StatusCode.INVALID_ARGUMENT or not err.details():
                    problems.append(f"gRPC {method}: {err.code().name} {err.details()!r}")
        for ch in channels.values():
            ch.close()

    def http_batch(cases: list[tuple[int, str, str, bytes]]) -> None:
        conns: dict[int, http.client.HTTPConnection] = {}
        for port, path, ctype, body in cases:
            conn = conns.setdefault(port, http.client.HTTPConnection("127.0.0.1", port, timeout=30))
            conn.request("POST", path, body=body, headers={"Content-Type": ctype})
            resp = conn.getresponse()
            text = resp.read()
            outcomes[f"http {resp.status}"] += 1
            if not (resp.status == 200 or (400 <= resp.status < 500 and text)):
                problems.append(f"HTTP {path}: {resp.status} {text[:200]!r}")
        for c in conns.values():
            c.close()

    started = time.monotonic()
    try:
        with ThreadPoolExecutor(4) as pool:
            chunks = [pool.submit(grpc_batch, grpc_cases[i::2]) for i in range(2)]
            chunks += [pool.submit(http_batch, http_cases[i::2]) for i in range(2)]
            for c in chunks:
                c.result()
        took = time.monotonic() - started
        assert svc.proc.poll() is None, "the service died"
        errors = sum(n for k, n in outcomes.items() if not k.endswith(("OK", " 200")))
        print(f"FAULT malformed-input: requests={sum(outcomes.values())} clear_errors={errors} "
              f"accepted={sum(outcomes.values()) - errors} problems={len(problems)} seconds={took:.1f} {dict(outcomes)}")
        assert sum(outcomes.values()) == 2 * PER_TRANSPORT
        assert not problems, problems[:10]
        # Still healthy and storing good data.
        assert svc.get_json("/health")[0] == 200
        name = f"after-fuzz-{uuid.uuid4().hex[:8]}"
        with grpc.insecure_channel(svc.grpc_endpoint) as ch:
            ch.unary_unary(GRPC_METHODS[0], request_serializer=None, response_deserializer=None)(
                trace_request(name, name, 7), timeout=30)
        assert svc.scalar(f"SELECT count() FROM events WHERE service_name = '{name}'") == 7
    finally:
        assert svc.stop() == 0, "".join(svc.stderr_lines[-30:])
