"""What both fakes share: a request log, counters, per-minute rate stats, latency and fault
injection, a background server, optional JSON state on disk, and a small admin API
(``/_fake/...``) so a fake running in another process can be inspected and steered.

A fake is itself the ASGI app uvicorn runs: it logs the request, applies latency and faults,
then hands the request to its FastAPI app.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import threading
import time
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, Self
from urllib.parse import parse_qsl

from fastapi import FastAPI, Request
from starlette.responses import JSONResponse, Response
from starlette.types import Message, Receive, Scope, Send

from tests.fakes.server import ServerThread, abort_connection

FaultKind = Literal["http", "code", "drop", "drop_after"]
REDACTED = "<redacted>"


@dataclass(frozen=True)
class LoggedRequest:
    """One request as the fake received it (the Authorization header redacted)."""

    endpoint: str
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    time: float

    @property
    def json(self) -> Any:
        """The JSON body, or ``None`` when the body is not JSON (e.g. multipart)."""
        try:
            return json.loads(self.body)
        except ValueError:
            return None


@dataclass
class Fault:
    """One planned failure of an endpoint; see :meth:`FakeService.fail_next`."""

    kind: FaultKind
    status: int = 200
    code: int = 0
    message: str | None = None
    retry_after: float | None = None
    body: str | None = None


@dataclass
class _Flaky:
    """A random share of an endpoint's requests that fail (``make_flaky``)."""

    rate: float
    faults: tuple[Fault, ...]
    rng: random.Random

    def draw(self) -> Fault | None:
        return self.rng.choice(self.faults) if self.rng.random() < self.rate else None


@dataclass
class _Blobs:
    """Bytes the fake serves back (uploads, clips, audio); mirrored to a directory when the
    fake keeps its state on disk, so a restarted fake can still serve them."""

    directory: Path | None = None
    memory: dict[str, bytes] = field(default_factory=dict)

    def put(self, key: str, data: bytes) -> None:
        self.memory[key] = data
        if self.directory is not None:
            self.directory.mkdir(parents=True, exist_ok=True)
            (self.directory / key).write_bytes(data)

    def get(self, key: str) -> bytes | None:
        if key in self.memory:
            return self.memory[key]
        if self.directory is not None and (self.directory / key).is_file():
            data = (self.directory / key).read_bytes()
            self.memory[key] = data
            return data
        return None

    def __contains__(self, key: str) -> bool:
        return self.get(key) is not None


class FakeService:
    """Base of :class:`FakeMiniMax` and :class:`FakeOpenAI`.

    Counters are keyed by endpoint name (e.g. ``"video_generation"``, ``"chat/completions"``):
    ``calls`` counts every request received (also the ones a fault answered), ``accepted`` the
    ones the fake carried out (a created task, a spoken text, an image), which is what a real
    service would bill.
    """

    name = "fake"
    #: ``--latency`` aliases understood by the command line, e.g. ``image`` -> two endpoints.
    latency_aliases: Mapping[str, tuple[str, ...]] = {}

    def __init__(self, *, api_key: str, state_path: Path | str | None = None) -> None:
        self.api_key = api_key
        self.calls: Counter[str] = Counter()
        self.accepted: Counter[str] = Counter()
        self.requests: list[LoggedRequest] = []
        self.latency: dict[str, float] = {}
        #: Emulate the service's own rate limit: endpoint -> requests per sliding minute.
        self.rpm_limits: dict[str, int] = {}
        self._faults: defaultdict[str, deque[Fault]] = defaultdict(deque)
        self._flaky: dict[str, _Flaky] = {}
        self._lock = threading.RLock()
        self._save_lock = threading.Lock()
        self._server: ServerThread | None = None
        self._background: set[asyncio.Task[Any]] = set()
        self.state_path = Path(state_path) if state_path else None
        self.blobs = _Blobs(self.state_path.with_suffix(".blobs") if self.state_path else None)
        self.app = FastAPI(title=self.name, openapi_url=None, docs_url=None, redoc_url=None)
        self._add_admin_routes(self.app)
        self.add_routes(self.app)
        if self.state_path is not None and self.state_path.is_file():
            self._load(json.loads(self.state_path.read_text(encoding="utf-8")))

    # ------------------------------------------------------------------ subclass hooks
    def add_routes(self, app: FastAPI) -> None:
        raise NotImplementedError

    def endpoint_for(self, method: str, path: str) -> str | None:
        """Name of the endpoint ``path`` belongs to; ``None`` for paths not logged."""
        raise NotImplementedError

    def needs_auth(self, path: str) -> bool:
        return path.startswith("/v1/")

    def auth_failure(self, authorization: str | None) -> Response | None:
        raise NotImplementedError

    def fault_response(self, endpoint: str, fault: Fault) -> Response:
        raise NotImplementedError

    def response_headers(self, endpoint: str, scope: Scope) -> list[tuple[bytes, bytes]]:
        """Headers added to every answer of ``endpoint`` (the handler sees ``scope``)."""
        return []

    def rate_limited_response(self, endpoint: str) -> Response:
        """The answer when ``rpm_limits`` is exceeded (off unless a test sets a limit)."""
        raise NotImplementedError

    def dump_state(self) -> dict[str, Any]:
        return {}

    def load_state(self, state: Mapping[str, Any]) -> None:
        return None

    # ------------------------------------------------------------------ fault injection
    def fail_next(
        self,
        endpoint: str,
        times: int = 1,
        *,
        status: int | None = None,
        code: int | None = None,
        message: str | None = None,
        retry_after: float | None = None,
        body: str | None = None,
    ) -> None:
        """Answer the next ``times`` requests to ``endpoint`` with an HTTP ``status`` (e.g. 429,
        502: the body is the service's error shape, or ``body``), or with HTTP 200 and a
        business error ``code`` (MiniMax ``base_resp``). The request is not carried out."""
        if (status is None) == (code is None):
            raise ValueError("give exactly one of status= or code=")
        fault = (
            Fault("http", status=status, message=message, retry_after=retry_after, body=body)
            if status is not None
            else Fault("code", code=code or 0, message=message, retry_after=retry_after)
        )
        with self._lock:
            self._faults[endpoint].extend(fault for _ in range(times))

    def drop_next(self, endpoint: str, times: int = 1, *, after_processing: bool = False) -> None:
        """Read the next ``times`` requests to ``endpoint`` and close the connection without an
        answer. With ``after_processing`` the fake first carries the request out (the task is
        created, and billed): the client cannot know whether it worked (an unknown outcome)."""
        kind: FaultKind = "drop_after" if after_processing else "drop"
        with self._lock:
            self._faults[endpoint].extend(Fault(kind) for _ in range(times))

    def set_latency(self, endpoint: str, seconds: float) -> None:
        """Delay every answer of ``endpoint`` (or of an alias such as ``image``) by ``seconds``."""
        with self._lock:
            for name in self.latency_aliases.get(endpoint, (endpoint,)):
                self.latency[name] = seconds

    def make_flaky(
        self, endpoint: str, rate: float, faults: Sequence[Fault], *, seed: int = 0
    ) -> None:
        """From now on, each request to ``endpoint`` fails with probability ``rate``, with one
        of ``faults`` (seeded, so a run is repeatable)."""
        with self._lock:
            self._flaky[endpoint] = _Flaky(rate, tuple(faults), random.Random(seed))

    def clear_faults(self) -> None:
        with self._lock:
            self._flaky.clear()
            self._faults.clear()

    def pending_faults(self, endpoint: str) -> int:
        with self._lock:
            return len(self._faults[endpoint])

    # ------------------------------------------------------------------ observation
    def requests_for(self, endpoint: str) -> list[LoggedRequest]:
        with self._lock:
            return [r for r in self.requests if r.endpoint == endpoint]

    def max_per_minute(self, endpoint: str, window: float = 60.0) -> int:
        """Most requests to ``endpoint`` seen in any sliding ``window`` seconds (RPM held?)."""
        times = sorted(r.time for r in self.requests_for(endpoint))
        best, start = 0, 0
        for end, now in enumerate(times):
            while now - times[start] >= window:
                start += 1
            best = max(best, end - start + 1)
        return best

    def _recent(self, endpoint: str, window: float) -> int:
        since = time.time() - window
        with self._lock:
            return sum(1 for r in self.requests if r.endpoint == endpoint and r.time > since)

    def per_minute(self, endpoint: str) -> dict[int, int]:
        """Requests to ``endpoint`` per wall-clock minute (``int(time // 60)`` -> count)."""
        return dict(Counter(int(r.time // 60) for r in self.requests_for(endpoint)))

    def stats(self) -> dict[str, Any]:
        with self._lock:
            endpoints = sorted({r.endpoint for r in self.requests})
            return {
                "calls": dict(self.calls),
                "accepted": dict(self.accepted),
                "max_per_minute": {e: self.max_per_minute(e) for e in endpoints},
                "requests": len(self.requests),
            }

    def reset(self) -> None:
        """Forget counters, the request log and faults (not the fake's files, voices, tasks)."""
        with self._lock:
            self.calls.clear()
            self.accepted.clear()
            self.requests.clear()
            self._faults.clear()

    # ------------------------------------------------------------------ lifecycle
    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT`` of the running fake."""
        if self._server is None:
            raise RuntimeError(f"{self.name} is not running; call start()")
        return self._server.url

    def start(self, *, host: str = "127.0.0.1", port: int = 0) -> Self:
        if self._server is None or not self._server.running:
            self._server = ServerThread(self, host=host, port=port).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
        self.save()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def spawn(self, coro: Any) -> None:
        """Run ``coro`` in the server's loop without waiting for it (kept alive until done)."""
        task = asyncio.get_running_loop().create_task(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    # ------------------------------------------------------------------ persistence
    def save(self) -> None:
        if self.state_path is None:
            return
        with self._lock:
            state = {
                "calls": dict(self.calls),
                "accepted": dict(self.accepted),
                "request_times": [[r.endpoint, r.time] for r in self.requests],
                "domain": self.dump_state(),
            }
        with self._save_lock:  # saves come from several executor threads at once
            tmp = self.state_path.with_suffix(".tmp")
            tmp.write_text(json.dumps(state), encoding="utf-8")
            os.replace(tmp, self.state_path)

    def _load(self, state: Mapping[str, Any]) -> None:
        self.calls.update(state.get("calls", {}))
        self.accepted.update(state.get("accepted", {}))
        # Bodies are not kept on disk; times are, so rate stats span restarts.
        for endpoint, when in state.get("request_times", []):
            self.requests.append(LoggedRequest(endpoint, "", "", {}, {}, b"", when))
        self.load_state(state.get("domain", {}))

    # ------------------------------------------------------------------ ASGI entry
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        endpoint = self.endpoint_for(scope["method"], scope["path"])
        if endpoint is None:
            await self.app(scope, receive, send)
            return
        body = await _read_body(receive)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        authorization = headers.get("authorization")
        if authorization is not None:
            headers["authorization"] = REDACTED
        query = dict(parse_qsl(scope.get("query_string", b"").decode()))
        with self._lock:
            self.requests.append(
                LoggedRequest(
                    endpoint, scope["method"], scope["path"], query, headers, body, time.time()
                )
            )
            self.calls[endpoint] += 1
            fault = self._faults[endpoint].popleft() if self._faults[endpoint] else None
            if fault is None and endpoint in self._flaky:
                fault = self._flaky[endpoint].draw()
            delay = self.latency.get(endpoint, 0.0)
            limit = self.rpm_limits.get(endpoint)
        if delay:
            await asyncio.sleep(delay)
        replay = _replay(body, receive)
        extra = self.response_headers(endpoint, scope)
        send_with_headers = _adding_headers(send, extra)
        if fault is not None and fault.kind == "drop":
            await abort_connection(send)
        elif limit is not None and self._recent(endpoint, 60.0) > limit:
            await self.rate_limited_response(endpoint)(scope, replay, send_with_headers)
        elif fault is not None and fault.kind in {"http", "code"}:
            await self.fault_response(endpoint, fault)(scope, replay, send_with_headers)
        elif (
            self.needs_auth(scope["path"])
            and (denied := self.auth_failure(authorization)) is not None
        ):
            await denied(scope, replay, send_with_headers)
        elif fault is not None:  # drop_after: carry the request out, then lose the answer
            await self.app(scope, replay, _aborting(send))
        else:
            await self.app(scope, replay, send_with_headers)
        if self.state_path is not None:
            await asyncio.to_thread(self.save)

    # ------------------------------------------------------------------ admin API
    def _add_admin_routes(self, app: FastAPI) -> None:
        """``GET /_fake/stats``, ``GET /_fake/requests?endpoint=``, ``POST /_fake/control``
        (``{"method": "fail_next", "args": {...}}``) for fakes started as a separate process."""
        allowed: dict[str, Callable[..., Any]] = {
            "fail_next": self.fail_next,
            "drop_next": self.drop_next,
            "set_latency": self.set_latency,
            "clear_faults": self.clear_faults,
            "reset": self.reset,
            **self.control_methods(),
        }

        @app.get("/_fake/stats")
        async def stats() -> JSONResponse:
            return JSONResponse(self.stats())

        @app.get("/_fake/requests")
        async def requests(endpoint: str) -> JSONResponse:
            return JSONResponse(
                [
                    {"time": r.time, "query": r.query, "json": r.json}
                    for r in self.requests_for(endpoint)
                ]
            )

        @app.post("/_fake/control")
        async def control(request: Request) -> JSONResponse:
            payload = await request.json()
            method = allowed.get(str(payload.get("method")))
            if method is None:
                return JSONResponse({"error": f"unknown method; use one of {sorted(allowed)}"}, 400)
            result = method(**payload.get("args", {}))
            return JSONResponse({"ok": True, "result": result})

    def control_methods(self) -> dict[str, Callable[..., Any]]:
        return {}


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """The body already read, then the server's own ``receive`` (which reports disconnects)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def _adding_headers(send: Send, extra: list[tuple[bytes, bytes]]) -> Send:
    if not extra:
        return send

    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            message = {**message, "headers": [*message.get("headers", []), *extra]}
        await send(message)

    return wrapped


def _aborting(send: Send) -> Send:
    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            with contextlib.suppress(RuntimeError):
                await abort_connection(send)

    return wrapped


def parse_latency(items: list[str]) -> dict[str, float]:
    """``["video=20", "image=1"]`` -> ``{"video": 20.0, "image": 1.0}`` (command-line helper)."""
    out: dict[str, float] = {}
    for item in items:
        for part in item.split(","):
            name, _, value = part.partition("=")
            if not name or not value:
                raise ValueError(f"--latency wants NAME=SECONDS, got {part!r}")
            out[name.strip()] = float(value)
    return out
