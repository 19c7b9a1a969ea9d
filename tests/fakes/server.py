"""Run an ASGI app with uvicorn on a real local socket, in a background thread.

Tests get a real TCP server (``127.0.0.1``, a free port chosen by the OS) so the code under test
talks HTTP exactly as it would to the real services, including connection errors.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
import threading
import time
from types import TracebackType
from typing import Any, Protocol, Self

import uvicorn
from starlette.types import ASGIApp, Send

STARTUP_TIMEOUT = 10.0


class _Server(uvicorn.Server):
    """uvicorn checks for shutdown every 0.1 s; a test suite starting and stopping a server per
    test would spend seconds waiting, so stopping wakes the loop at once."""

    _loop: asyncio.AbstractEventLoop | None = None
    _wake: asyncio.Event | None = None

    async def main_loop(self) -> None:
        self._loop, self._wake = asyncio.get_running_loop(), asyncio.Event()
        counter = 0
        should_exit = await self.on_tick(counter)
        while not should_exit:
            counter = (counter + 1) % 864000
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), 0.1)
            should_exit = await self.on_tick(counter)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        # uvicorn's own shutdown sleeps a fixed 0.1 s and polls every 0.1 s; a fake has nothing
        # worth a graceful wait beyond its in-flight answers.
        for server in self.servers:
            server.close()
        for connection in list(self.server_state.connections):
            connection.shutdown()
        if self.server_state.tasks:
            await asyncio.wait(
                list(self.server_state.tasks), timeout=self.config.timeout_graceful_shutdown
            )
        for task in list(self.server_state.tasks):
            task.cancel()
        for server in self.servers:
            await server.wait_closed()
        await self.lifespan.shutdown()

    def wake_to_exit(self) -> None:
        self.should_exit = True
        if self._loop is not None and self._wake is not None:
            with contextlib.suppress(RuntimeError):  # the loop may already be closed
                self._loop.call_soon_threadsafe(self._wake.set)


class ServerThread:
    """``with ServerThread(app) as server: httpx.get(server.url + "/...")``."""

    def __init__(self, app: ASGIApp, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.app = app
        self.host = host
        self.port = port
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT`` (no trailing slash); only valid once started."""
        if self._server is None:
            raise RuntimeError("server not started")
        return f"http://{self.host}:{self.port}"

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> Self:
        if self.running:
            return self
        config = uvicorn.Config(
            self.app,
            host=self.host,
            port=self.port,
            lifespan="off",
            ws="none",
            # uvicorn's default log_config rewires global logging on every Config(); tests
            # (caplog) and the process under test must keep their own.
            log_config=None,
            log_level="warning",
            access_log=False,
            timeout_graceful_shutdown=1,
        )
        server = _Server(config)
        thread = threading.Thread(target=server.run, name=f"uvicorn:{self.port}", daemon=True)
        self._server, self._thread = server, thread
        thread.start()
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"uvicorn did not start on {self.host}:{self.port}")
            time.sleep(0.002)  # sync code in the test thread, not in an event loop
        self.port = server.servers[0].sockets[0].getsockname()[1]
        return self

    def stop(self) -> None:
        if self._server is None or self._thread is None:
            return
        self._server.wake_to_exit()
        self._thread.join(timeout=10)
        self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


async def abort_connection(send: Send) -> None:
    """Close the client's TCP connection without any response (the client sees a dropped request).

    uvicorn's ``send`` is a bound method of its request cycle, which holds the transport.
    """
    cycle: Any = getattr(send, "__self__", None)
    transport: asyncio.Transport | None = getattr(cycle, "transport", None)
    if transport is None:
        raise RuntimeError("dropping a connection needs the app to run directly under uvicorn")
    transport.abort()
    # Let uvicorn's connection_lost() mark the cycle disconnected, so it does not log an
    # "ASGI callable returned without starting response" error when we return.
    for _ in range(3):
        await asyncio.sleep(0)


class _Startable(Protocol):
    name: str

    @property
    def url(self) -> str: ...

    def start(self, *, host: str = ..., port: int = ...) -> Any: ...

    def stop(self) -> None: ...


def serve_forever(fake: _Startable, *, host: str, port: int) -> None:
    """Command-line entry of a fake: serve until SIGINT/SIGTERM; print the URL first (one line,
    ``NAME listening on URL``) so a parent process that asked for port 0 can read it."""
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    fake.start(host=host, port=port)
    print(f"{fake.name} listening on {fake.url}", flush=True)
    try:
        stop.wait()
    finally:
        fake.stop()
