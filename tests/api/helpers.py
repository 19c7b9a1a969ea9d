"""Helpers of the API tests: the app in process (ASGI transport, lifespan driven) or on a real
local socket (uvicorn in a thread, lifespan on), waiting for a job, a voice sample."""

from __future__ import annotations

import asyncio
import io
import math
import socket
import struct
import threading
import time
import wave
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from storyreel.api.app import create_app
from storyreel.config import OpenAISettings, Settings
from storyreel.minimax import MiniMaxSettings
from tests.fakes.server import _Server

STORY = (
    "A lighthouse keeper finds a glass bottle on the shore at dawn. "
    "Inside is a map of the night sky with one star missing."
)
# The quickest real job: one segment at 720P, offline.
QUICK = {"offline": True, "segments": 1, "resolution": "720P"}
JOB_TIMEOUT = 60.0
# The browser tests drive Debian's Chromium (Playwright's own browsers are not downloaded).
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@asynccontextmanager
async def in_process(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """``app`` with its lifespan running, behind an httpx client that calls it in process."""
    async with (
        LifespanManager(app) as manager,
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=manager.app), base_url="http://localhost"
        ) as client,
    ):
        yield client


async def wait_for(
    client: httpx.AsyncClient, job_id: str, statuses: tuple[str, ...] = ("succeeded",)
) -> dict[str, Any]:
    """Poll ``GET /jobs/{id}`` until the job ends; fail unless it ended in ``statuses``."""
    deadline = time.monotonic() + JOB_TIMEOUT
    while True:
        response = await client.get(f"/jobs/{job_id}")
        assert response.status_code == 200, response.text
        job: dict[str, Any] = response.json()
        if job["status"] not in ("queued", "running"):
            assert job["status"] in statuses, job
            return job
        assert time.monotonic() < deadline, f"job still {job['status']}: {job['progress']}"
        await asyncio.sleep(0.1)


def voice_sample(seconds: float = 11.0, rate: int = 8000) -> bytes:
    """A real WAV (a quiet tone) long enough for MiniMax's 10 s minimum."""
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        frames = (
            struct.pack("<h", int(3000 * math.sin(2 * math.pi * 220 * i / rate)))
            for i in range(int(seconds * rate))
        )
        wav.writeframes(b"".join(frames))
    return out.getvalue()


def offline_settings(data_dir: Path, **overrides: Any) -> Settings:
    """Settings with no keys whatever the environment holds (for fixtures that outlive the
    per-test environment cleaning)."""
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=data_dir,
        minimax=MiniMaxSettings(_env_file=None, api_key=None),  # type: ignore[call-arg]
        openai=OpenAISettings(_env_file=None, api_key=None),  # type: ignore[call-arg]
        **overrides,
    )


class LiveServer:
    """The app under uvicorn on 127.0.0.1 in a thread, lifespan on. The port is bound before
    the app is built, so settings can point ``public_url`` at the server itself."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.port: int = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def start(self, app: FastAPI) -> None:
        config = uvicorn.Config(
            app,
            lifespan="on",
            ws="none",
            log_config=None,
            log_level="warning",
            access_log=False,
            timeout_graceful_shutdown=2,
        )
        server = _Server(config)
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": [self.sock]}, name="storyreel-api", daemon=True
        )
        self._server, self._thread = server, thread
        thread.start()
        deadline = time.monotonic() + 15
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "the API did not start"
            time.sleep(0.005)  # the test thread is not in an event loop here

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.wake_to_exit()
            self._thread.join(timeout=15)
        self.sock.close()


@contextmanager
def live_app(**settings: Any) -> Iterator[LiveServer]:
    """``with live_app(public_url=...) as server:``; ``public_url=True`` means the server's own
    URL. Other settings come from the environment (the fake services' fixtures set it)."""
    server = LiveServer()
    if settings.get("public_url") is True:
        settings["public_url"] = server.url
    try:
        server.start(create_app(Settings(**settings)))
        yield server
    finally:
        server.stop()


__all__ = [
    "QUICK",
    "STORY",
    "LiveServer",
    "in_process",
    "live_app",
    "offline_settings",
    "voice_sample",
    "wait_for",
]
