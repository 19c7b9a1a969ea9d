"""CSRF: a state-changing request sent by a browser from another origin is refused (403).

Browsers send ``Origin`` on every cross-site POST, including the multipart form posts that need
no CORS preflight (how a page elsewhere could clone a voice, billed, on a token-less service).
A request without ``Origin`` (curl, the CLI, MiniMax's webhooks) is not from a browser page.
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Receive, Scope, Send

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


class SameOrigin:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] not in SAFE_METHODS:
            headers = dict(scope.get("headers", []))
            origin = headers.get(b"origin")
            host = headers.get(b"host", b"").decode("latin-1")
            if origin is not None and urlsplit(origin.decode("latin-1")).netloc != host:
                body = json.dumps(
                    {"detail": "cross-origin request refused: use the page served by this host"}
                ).encode()
                await send(
                    {
                        "type": "http.response.start",
                        "status": 403,
                        "headers": [(b"content-type", b"application/json")],
                    }
                )
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)
