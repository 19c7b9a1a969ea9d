"""Cross-site protection, before any route runs.

- CSRF: a state-changing request sent by a browser from another origin is refused (403).
  Browsers send ``Origin`` on every cross-site POST, including the multipart form posts that
  need no CORS preflight (how a page elsewhere could clone a voice, billed, on a token-less
  service). A request without ``Origin`` (curl, the CLI, MiniMax's webhooks) is not from a page.
- DNS rebinding: with no API token, a page elsewhere could point its own host name at
  127.0.0.1 and then talk to the service as "same origin". So without a token every request's
  ``Host`` must be one of this machine's names, the public URL's host, or
  ``STORYREEL_ALLOWED_HOSTS``; others get 403. With a token the token is the protection.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Receive, Scope, Send

from storyreel.api.bodylimit import send_detail

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")


def host_name(host: str) -> str:
    """``Host`` without its port, lowercased: ``[::1]:8000`` -> ``::1``."""
    return (urlsplit(f"//{host}").hostname or "").lower()


class SameOrigin:
    """403 for a foreign ``Origin`` on a state-changing request, and (when ``allowed_hosts`` is
    given) for any ``Host`` outside it."""

    def __init__(self, app: ASGIApp, allowed_hosts: Iterable[str] | None = None) -> None:
        self.app = app
        self.allowed = None if allowed_hosts is None else {h.lower() for h in allowed_hosts}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            headers = dict(scope.get("headers", []))
            host = headers.get(b"host", b"").decode("latin-1")
            if self.allowed is not None and host_name(host) not in self.allowed:
                await _refuse(
                    send, f"unknown host {host[:100]!r}: add it to STORYREEL_ALLOWED_HOSTS"
                )
                return
            origin = headers.get(b"origin")
            if (
                scope["method"] not in SAFE_METHODS
                and origin is not None
                and urlsplit(origin.decode("latin-1")).netloc != host
            ):
                await _refuse(
                    send, "cross-origin request refused: use the page served by this host"
                )
                return
        await self.app(scope, receive, send)


async def _refuse(send: Send, detail: str) -> None:
    await send_detail(send, 403, detail)
