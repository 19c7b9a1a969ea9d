"""Live tests against the real OpenAI and MiniMax services. They cost money, so they run only
when asked: ``STORYREEL_LIVE_TESTS=1`` plus the keys (and ``STORYREEL_LIVE_VIDEO=1`` for the
video clip, the expensive one). Never in CI.

The keys are read when this module is imported, because the shared ``_clean_env`` fixture
removes them from the environment before each test.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

import av
import pytest
from PIL import Image
from pydantic import SecretStr

from storyreel.config import OpenAISettings, Settings
from storyreel.minimax import MiniMaxSettings
from storyreel.providers.base import ClipRequest
from storyreel.providers.minimax_speech import MiniMaxSpeechGen
from storyreel.providers.minimax_video import MiniMaxVideoGen
from storyreel.providers.openai_images import OpenAIImageGen
from storyreel.providers.openai_planner import OpenAIPlanner
from tests import conftest

LIVE = os.environ.get("STORYREEL_LIVE_TESTS") == "1"
LIVE_VIDEO = os.environ.get("STORYREEL_LIVE_VIDEO") == "1"
OPENAI_KEY = os.environ.get("OPENAI_API_KEY", "")
MINIMAX_KEY = os.environ.get("MINIMAX_API_KEY", "")
MINIMAX_BASE_URL = os.environ.get("MINIMAX_BASE_URL", "https://api.minimax.io")

needs_openai = pytest.mark.skipif(
    not (LIVE and OPENAI_KEY), reason="set STORYREEL_LIVE_TESTS=1 and OPENAI_API_KEY"
)
needs_minimax = pytest.mark.skipif(
    not (LIVE and MINIMAX_KEY), reason="set STORYREEL_LIVE_TESTS=1 and MINIMAX_API_KEY"
)
pytestmark = pytest.mark.live


@pytest.fixture
def internet(monkeypatch: pytest.MonkeyPatch) -> None:
    """Lift the test suite's localhost-only guard for this test."""
    monkeypatch.setattr(socket.socket, "connect", conftest._real_connect)
    monkeypatch.setattr(socket.socket, "connect_ex", conftest._real_connect_ex)


def live_settings(**kwargs: object) -> Settings:
    return Settings(
        openai=OpenAISettings(api_key=SecretStr(OPENAI_KEY) if OPENAI_KEY else None),
        minimax=MiniMaxSettings(
            api_key=SecretStr(MINIMAX_KEY) if MINIMAX_KEY else None, base_url=MINIMAX_BASE_URL
        ),
        **kwargs,  # type: ignore[arg-type]
    )


@needs_openai
async def test_live_plan(internet: None) -> None:
    planner = OpenAIPlanner(live_settings())
    try:
        plan = await planner.plan("A fox finds a lantern. She carries it home.", segments=2)
    finally:
        await planner.aclose()
    assert len(plan.segments) == 2


@needs_openai
async def test_live_keyframe(internet: None, tmp_path: Path) -> None:
    images = OpenAIImageGen(live_settings())
    try:
        out = await images.draw("a red fox in snow", out=tmp_path / "f.png", size=(1280, 720))
    finally:
        await images.aclose()
    with Image.open(out) as img:
        assert img.size == (1280, 720)


@needs_minimax
async def test_live_speech(internet: None, tmp_path: Path) -> None:
    speech = MiniMaxSpeechGen(live_settings())
    try:
        out = await speech.speak("A fox finds a lantern.", out=tmp_path / "n.mp3")
    finally:
        await speech.aclose()
    with av.open(str(out)) as container:
        assert container.streams.audio


@needs_minimax
@pytest.mark.skipif(not LIVE_VIDEO, reason="set STORYREEL_LIVE_VIDEO=1 (a paid Hailuo clip)")
async def test_live_clip(internet: None, tmp_path: Path) -> None:
    first, last = tmp_path / "a.png", tmp_path / "b.png"
    Image.new("RGB", (1280, 720), (30, 60, 120)).save(first)
    Image.new("RGB", (1280, 720), (200, 120, 40)).save(last)
    request = ClipRequest(1, "dusk turns to night", "Static shot", first, last, 6, "768P")
    video = MiniMaxVideoGen(live_settings())
    try:
        task_id = await video.submit(request)
        out = await video.fetch(task_id, request, tmp_path / "clip.mp4")
    finally:
        await video.aclose()
    with av.open(str(out)) as container:
        assert container.streams.video
