"""A cap on every request body, enforced before a route reads it.

Without it a single ``POST /jobs`` could carry tens of megabytes that were then stored and echoed
by every ``GET /jobs``. The declared Content-Length is refused up front; a body sent without one
(chunked) is counted as it arrives and cut off at the same limit.
"""

from __future__ import annotations

import json
import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from storyreel.limits import MAX_REQUEST_BYTES


class BodyTooLarge(Exception):
    pass


class BodyLimit:
    """413 for a body over ``default`` bytes, or over ``per_path[path]`` on those paths, or
    over the limit of the first ``per_pattern`` whose regex matches the path (the frame upload's
    path names its job)."""

    def __init__(
        self,
        app: ASGIApp,
        default: int = MAX_REQUEST_BYTES,
        per_path: dict[str, int] | None = None,
        per_pattern: dict[str, int] | None = None,
    ) -> None:
        self.app = app
        self.default = default
        self.per_path = per_path or {}
        self.per_pattern = [(re.compile(p), limit) for p, limit in (per_pattern or {}).items()]

    def limit_for(self, path: str) -> int:
        if path in self.per_path:
            return self.per_path[path]
        return next((n for pattern, n in self.per_pattern if pattern.match(path)), self.default)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = limit + 1
                if declared > limit:
                    await _too_large(send, limit)
                    return
        seen = 0
        started = False

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge
            return message

        async def tracked(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted, tracked)
        except BodyTooLarge:
            if not started:
                await _too_large(send, limit)


async def _too_large(send: Send, limit: int) -> None:
    detail = f"request body too large: at most {limit} bytes (send a shorter story or file)"
    await send_detail(send, 413, detail)


async def send_detail(send: Send, status: int, detail: str) -> None:
    """Answer ``{"detail": ...}`` from a middleware, before any route (the API's error shape)."""
    body = json.dumps({"detail": detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
