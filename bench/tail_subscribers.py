"""Live tail cost: OTLP/gRPC ingest rate with 0 and with 10 live-tail subscribers, in one run.

Phases, one service: no subscriber; 10 filtered subscribers; 10 unfiltered; no subscriber again
(the baseline is the mean of the two, as the machine's speed drifts).

    python -m bench.tail_subscribers --seconds 15

One `tailhouse run`; sender processes push pre-serialized 1,000-span requests (as bench.otlp_grpc)
for `--seconds` with no subscriber, then again with `--subscribers` clients following GET /tail
twice: filtered (`--where`, by default the 2% of spans answering 5xx: what someone watching for
errors runs) and unfiltered (every span decoded and sent to each of them, the worst case: at
this rate they fall behind and are cut loose, by design). The rate is acknowledged spans per second: what a subscriber could slow down is
the intake. The last line is `RESULT ack_spans_per_s_0=… ack_spans_per_s_N_filtered=…
ratio_filtered=… ack_spans_per_s_N_unfiltered=… ratio_unfiltered=… …`.
"""

from __future__ import annotations

import argparse
import socket
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

from bench.otlp_grpc import METHODS, SPANS_PER_REQUEST, _send_all, make_requests


class Reader(threading.Thread):
    """A live-tail subscriber on a raw socket that reads as fast as it can and counts events."""

    def __init__(self, port: int, query: str) -> None:
        super().__init__(daemon=True)
        self.sock = socket.create_connection(("127.0.0.1", port))
        # an IP Host: the admin endpoint refuses other host names (DNS rebinding)
        self.sock.sendall(f"GET /tail?{query} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())
        self.events = 0
        self.cut = False
        self.start()

    def run(self) -> None:
        tail = b""
        try:
            while True:
                chunk = self.sock.recv(1 << 20)
                if not chunk:
                    return
                data = tail + chunk
                self.events += data.count(b"\ndata: {") + data.startswith(b"data: {")
                self.cut = self.cut or b"event: cut" in data
                tail = data[-16:]
                self.events -= tail.count(b"\ndata: {")  # counted again with the next chunk
        except OSError:
            return

    def close(self) -> None:
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()


def _send(endpoint: str, requests: list[bytes], seconds: float, args: argparse.Namespace) -> tuple[int, int, list[float]]:
    """Trace requests from `args.senders` processes for `seconds`: (spans acked, failed calls, ack ms)."""
    return _send_all(endpoint, requests, seconds, args.senders, args.concurrency, METHODS["traces"])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=15)
    ap.add_argument("--subscribers", type=int, default=10)
    ap.add_argument("--senders", type=int, default=2)
    ap.add_argument("--concurrency", type=int, default=4)
    ap.add_argument("--where", default="http_status_code >= 500",
                    help="--where of the filtered subscribers (default: the 2%% of spans answering 5xx)")
    args = ap.parse_args()

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from harness import start  # the same harness the tests use

    requests = make_requests(16)
    with tempfile.TemporaryDirectory() as d:
        svc = start(Path(d), "default", mode="subprocess", batch_size=8192, batch_timeout="1s")
        try:
            _send(svc.grpc_endpoint, requests, 2, args)  # warm up
            acked0, errors0, _ = _send(svc.grpc_endpoint, requests, args.seconds, args)
            rate0 = acked0 / args.seconds
            print(f"0 subscribers: {rate0:,.0f} spans/s acknowledged ({errors0} failed calls)", flush=True)

            phases = []
            for label, where in (("filtered", args.where), ("unfiltered", "")):
                phases.append((label, *_with_subscribers(svc, requests, args, where)))
            # the machine's speed drifts: a second baseline after the subscribers left, averaged with the first
            time.sleep(2)
            acked2, _, _ = _send(svc.grpc_endpoint, requests, args.seconds, args)
            print(f"0 subscribers again: {acked2 / args.seconds:,.0f} spans/s acknowledged", flush=True)
            rate0 = (rate0 + acked2 / args.seconds) / 2
            svc.flush(timeout=1800)
        finally:
            svc.stop()
    n = args.subscribers
    (_, rate_f, live_f), (_, rate_u, live_u) = phases
    print(f"RESULT ack_spans_per_s_0={rate0:.0f} ack_spans_per_s_{n}_filtered={rate_f:.0f} "
          f"ratio_filtered={rate_f / rate0 if rate0 else 0:.2f} ack_spans_per_s_{n}_unfiltered={rate_u:.0f} "
          f"ratio_unfiltered={rate_u / rate0 if rate0 else 0:.2f} events_received_filtered={live_f[1]} "
          f"subscribers_cut_filtered={live_f[0]['cut_subscribers']} subscribers_cut_unfiltered="
          f"{live_u[0]['cut_subscribers'] - live_f[0]['cut_subscribers']} spans_per_request={SPANS_PER_REQUEST}")


def _with_subscribers(svc, requests, args, where: str):  # type: ignore[no-untyped-def]
    """(ack spans/s with `args.subscribers` subscribers filtered by `where`, (hub stats, events received))."""
    query = urllib.parse.urlencode({"where": where} if where else {})
    # subscriptions only grow: the previous phase's readers leaving cannot hide the new ones
    before = svc.get_json("/stats")[1]["live_tail"]["subscriptions"]
    readers = [Reader(svc.admin_port, query) for _ in range(args.subscribers)]
    deadline = time.monotonic() + 30
    while svc.get_json("/stats")[1]["live_tail"]["subscriptions"] < before + args.subscribers:
        if time.monotonic() > deadline:
            raise RuntimeError("subscribers did not connect")
        time.sleep(0.05)
    acked, errors, _ = _send(svc.grpc_endpoint, requests, args.seconds, args)
    rate = acked / args.seconds
    time.sleep(1)
    live = svc.get_json("/stats")[1]["live_tail"]
    for r in readers:
        r.close()
    received = sum(r.events for r in readers)
    print(f"{args.subscribers} subscribers ({'where ' + where if where else 'no filter: every span'}): "
          f"{rate:,.0f} spans/s acknowledged ({errors} failed calls); they received {received:,} events; "
          f"hub so far: {live}", flush=True)
    return rate, (live, received)


if __name__ == "__main__":
    main()
