"""Client-side rate limits per endpoint group: a sliding window like MiniMax's rolling minute."""

from __future__ import annotations

import asyncio
from collections import deque

import pytest

from storyreel.minimax import AsyncMiniMax, MiniMaxSettings
from storyreel.minimax._constants import ARRIVAL_MARGIN, RATE_PERIOD
from storyreel.minimax._ratelimit import RateLimits


def test_groups_follow_settings(settings: MiniMaxSettings) -> None:
    mm = AsyncMiniMax(settings.model_copy(update={"video_rpm": 2, "tts_rpm": 30, "clone_rpm": 7}))
    limits = mm._limits
    assert limits.limiter("video_generation").limit == 2  # type: ignore[union-attr]
    assert limits.limiter("t2a_v2").limit == 30  # type: ignore[union-attr]
    assert limits.limiter("voice_clone").limit == 7  # type: ignore[union-attr]
    assert limits.limiter("query/video_generation") is None
    assert limits.limiter("files/retrieve") is None


def test_env_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MINIMAX_VIDEO_RPM", "3")
    assert MiniMaxSettings(_env_file=None).video_rpm == 3  # type: ignore[call-arg]


async def test_a_full_window_makes_the_next_request_wait() -> None:
    limits = RateLimits(video_rpm=1, tts_rpm=60, clone_rpm=60)
    async with limits.slot("video_generation"):
        pass
    limiter = limits.limiter("video_generation")
    assert limiter is not None and limiter.delay() > RATE_PERIOD
    async with limits.slot("files/retrieve"):  # ungrouped endpoints never wait
        pass


async def test_disabled_in_mock_mode() -> None:
    limits = RateLimits(video_rpm=1, tts_rpm=1, clone_rpm=1, enabled=False)
    assert limits.limiter("video_generation") is None
    for _ in range(3):
        async with limits.slot("video_generation"):
            pass


class FakeTime:
    """A clock that moves only when the limiter sleeps: minutes of traffic run instantly."""

    def __init__(self) -> None:
        self.now = 1000.0

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds
        await asyncio.sleep(0)


class RollingMinute:
    """MiniMax's count: a request is refused (1002) when ``rpm`` arrived in the last 60 s."""

    def __init__(self, rpm: int) -> None:
        self.rpm = rpm
        self.recent: deque[float] = deque()
        self.accepted = self.refused = 0

    def replay(self, arrivals: list[float]) -> RollingMinute:
        for at in sorted(arrivals):
            while self.recent and at - self.recent[0] >= RATE_PERIOD:
                self.recent.popleft()
            if len(self.recent) >= self.rpm:
                self.refused += 1
            else:
                self.recent.append(at)
                self.accepted += 1
        return self


async def _burst(creates: int, rpm: int, *, margin: float, lag: float) -> RollingMinute:
    """``creates`` at once through the limiter; every other one reaches the server ``lag``
    late (grant to arrival: the job store's record, the upload), the worst order for a
    window."""
    time = FakeTime()
    limits = RateLimits(
        video_rpm=rpm, tts_rpm=60, clone_rpm=60, margin=margin, clock=time.clock, sleep=time.sleep
    )
    arrivals: list[float] = []

    async def create(n: int) -> None:
        async with limits.slot("video_generation"):
            arrivals.append(time.now + (lag if n % 2 == 0 else 0.0))

    await asyncio.gather(*(create(n) for n in range(creates)))
    return RollingMinute(rpm).replay(arrivals)


async def test_a_burst_of_12_creates_at_5_rpm_is_never_refused() -> None:
    # The 12 grants span two more windows of fake time: instant, and always in the same order.
    server = await _burst(12, 5, margin=ARRIVAL_MARGIN, lag=ARRIVAL_MARGIN * 0.9)
    assert (server.accepted, server.refused) == (12, 0)


async def test_without_the_margin_a_late_arrival_would_be_refused() -> None:
    # The margin is what covers the lag: a window of exactly 60 s meets the same burst with a
    # refusal (the leaky bucket, before, was refused on the 6th create even with no lag).
    server = await _burst(12, 5, margin=0.0, lag=ARRIVAL_MARGIN * 0.9)
    assert server.refused > 0
