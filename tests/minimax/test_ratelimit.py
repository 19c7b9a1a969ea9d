"""Client-side rate limits per endpoint group."""

from __future__ import annotations

import pytest

from storyreel.minimax import AsyncMiniMax, MiniMaxSettings
from storyreel.minimax._ratelimit import RateLimits


def test_groups_follow_settings(settings: MiniMaxSettings) -> None:
    mm = AsyncMiniMax(settings.model_copy(update={"video_rpm": 2, "tts_rpm": 30, "clone_rpm": 7}))
    limits = mm._limits
    assert limits.limiter("video_generation").max_rate == 2  # type: ignore[union-attr]
    assert limits.limiter("t2a_v2").max_rate == 30  # type: ignore[union-attr]
    assert limits.limiter("voice_clone").max_rate == 7  # type: ignore[union-attr]
    assert limits.limiter("query/video_generation") is None
    assert limits.limiter("files/retrieve") is None


def test_env_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MINIMAX_VIDEO_RPM", "3")
    assert MiniMaxSettings(_env_file=None).video_rpm == 3  # type: ignore[call-arg]


async def test_a_full_bucket_makes_the_next_request_wait() -> None:
    limits = RateLimits(video_rpm=1, tts_rpm=60, clone_rpm=60)
    async with limits.slot("video_generation"):
        pass
    limiter = limits.limiter("video_generation")
    assert limiter is not None and not limiter.has_capacity()
    async with limits.slot("files/retrieve"):  # ungrouped endpoints never wait
        pass


async def test_disabled_in_mock_mode() -> None:
    limits = RateLimits(video_rpm=1, tts_rpm=1, clone_rpm=1, enabled=False)
    assert limits.limiter("video_generation") is None
    for _ in range(3):
        async with limits.slot("video_generation"):
            pass
