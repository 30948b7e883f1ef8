"""GET /tail on the admin endpoint: live events as Server-Sent Events.

Query parameters are the filters of `TailFilter` (type, service, level, trace, grep, where,
topic), checked before the stream starts (400 naming the bad one). Each event is one
`data: {json}` message; a notice (the view fell behind) is an `event: notice` message; a
subscriber that falls too far behind gets `event: cut` with the reason, then the stream ends.
A comment line is sent every 15 s so proxies keep the connection open.
"""

from __future__ import annotations

import asyncio
import json
from aiohttp import web

from .filters import FilterError, TailFilter
from .hub import TailHub

KEEPALIVE = 15.0
WRITE_TIMEOUT = 5.0  # a client that takes longer than this to take one write is cut loose
MAX_EVENTS_PER_WRITE = 500


def add_tail_route(app: web.Application, hub: TailHub) -> None:
    """Register GET /tail (the live tail) on the admin app."""

    async def tail(request: web.Request) -> web.StreamResponse:
        try:
            flt = TailFilter.parse(request.query, request.query.getall)
        except FilterError as exc:
            return web.json_response({"error": str(exc)}, status=400)
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache",
                                           "X-Accel-Buffering": "no"})
        await resp.prepare(request)
        sub = hub.subscribe(flt)
        try:
            await resp.write(b": subscribed\n\n")
            while True:
                try:
                    first = await asyncio.wait_for(sub.queue.get(), KEEPALIVE)
                except asyncio.TimeoutError:
                    first = None
                if sub.cut_reason:
                    await asyncio.wait_for(resp.write(b"event: cut\ndata: " + json.dumps(
                        {"message": f"cut loose: {sub.cut_reason}"}).encode() + b"\n\n"), WRITE_TIMEOUT)
                    break
                if first is None:
                    chunk = b": keep-alive\n\n"
                else:
                    batch = [first]
                    while len(batch) < MAX_EVENTS_PER_WRITE and not sub.queue.empty():
                        batch.append(sub.queue.get_nowait())
                    chunk = b"".join(batch)
                try:
                    await asyncio.wait_for(resp.write(chunk), WRITE_TIMEOUT)
                except asyncio.TimeoutError:
                    hub.cut(sub, f"the client took more than {WRITE_TIMEOUT:.0f}s to take a write")
                    break
        except (ConnectionResetError, ConnectionError):
            pass  # the subscriber went away: nothing to tell anyone
        except asyncio.TimeoutError:
            pass  # the cut message could not be delivered either; the connection is closed below
        finally:
            hub.unsubscribe(sub)
            if request.transport is not None and sub.cut_reason:
                request.transport.close()
        return resp

    app.router.add_get("/tail", tail)
