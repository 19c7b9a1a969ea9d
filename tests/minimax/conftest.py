"""Fixtures for the MiniMax client tests: a respx router, a zero-time sleep, small media."""

from __future__ import annotations

import asyncio
import io
import wave
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx
from PIL import Image

from storyreel.minimax import AsyncMiniMax, MiniMaxSettings

API = "https://api.minimax.io/v1"
KEY = "sk-test-SECRET-0123456789"
OK = {"status_code": 0, "status_msg": "success"}


def ok(**fields: Any) -> httpx.Response:
    return httpx.Response(200, json={**fields, "base_resp": OK})


def fail(code: int, msg: str = "error", http: int = 200, **fields: Any) -> httpx.Response:
    return httpx.Response(
        http, json={**fields, "base_resp": {"status_code": code, "status_msg": msg}}
    )


class Sleeps:
    """An injected sleep: records the delays and returns at once."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)
        await asyncio.sleep(0)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def settings() -> MiniMaxSettings:
    return MiniMaxSettings(api_key=KEY, _env_file=None)  # type: ignore[call-arg]


@pytest.fixture
def router() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=API, assert_all_called=False) as mock:
        yield mock


@pytest.fixture
async def client(
    settings: MiniMaxSettings, sleeps: Sleeps, router: respx.MockRouter
) -> AsyncIterator[AsyncMiniMax]:
    async with AsyncMiniMax(settings, sleep=sleeps) as mm:
        assert not mm.mocked
        yield mm


def png_bytes(width: int = 640, height: int = 360, fmt: str = "PNG", color: str = "red") -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buf, fmt)
    return buf.getvalue()


@pytest.fixture
def image(tmp_path: Path) -> Path:
    path = tmp_path / "frame.png"
    path.write_bytes(png_bytes())
    return path


def write_wav(path: Path, seconds: float, rate: int = 8000) -> Path:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(b"\x00\x00" * int(seconds * rate))
    return path


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    return write_wav(tmp_path / "sample.wav", 12)
