"""Client-side request rates per endpoint group, so a burst of segments does not trip 1002.

Groups follow the service's documented limits: video creates (5 RPM), t2a (60 RPM) and voice
clone (60 RPM). Other calls (query, retrieve, upload, get_voice) are not throttled here.

MiniMax counts requests in a rolling minute, so the limiter is a sliding-window log of the
same shape as the workers' Redis one (``storyreel.distributed.ratelimit``): at most ``limit``
grants in any window of ``RATE_PERIOD + ARRIVAL_MARGIN`` seconds. A leaky bucket (aiolimiter,
used before) lets ``limit`` through at once and then one every ``period / limit``, which a
rolling-minute count refuses on the ``limit + 1``-th request.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager, nullcontext
from types import TracebackType
from typing import Protocol, runtime_checkable

from ._constants import ARRIVAL_MARGIN, RATE_PERIOD, T2A, VIDEO_CREATE, VOICE_CLONE

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[object]]


@runtime_checkable
class RateLimiter(Protocol):
    """What the client asks before each request: a slot in ``endpoint``'s group.

    :class:`RateLimits` (one process) is the default; pass another to ``AsyncMiniMax(...,
    rate_limits=...)`` to share the limits between processes (e.g. storyreel's workers use
    ``storyreel.distributed.ratelimit.RedisRateLimits``)."""

    def slot(self, endpoint: str) -> AbstractAsyncContextManager[object]: ...


class SlidingWindow:
    """At most ``limit`` grants in any ``window`` seconds; ``async with`` waits for one.

    ``clock`` and ``sleep`` are injectable so a test can run minutes of traffic instantly.
    """

    def __init__(
        self,
        limit: int,
        window: float,
        *,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if limit < 1 or window <= 0:
            raise ValueError(f"a rate needs limit >= 1 and window > 0, got {limit}/{window}")
        self.limit = limit
        self.window = window
        self._clock = clock
        self._sleep = sleep
        self._grants: deque[float] = deque(maxlen=limit)  # bounded: only the last ``limit`` count
        # One waiter at a time, in arrival order: a later caller never overtakes an earlier one.
        self._lock = asyncio.Lock()

    def delay(self) -> float:
        """Seconds until the next grant may be made (0 when there is room now)."""
        if len(self._grants) < self.limit:
            return 0.0
        return max(0.0, self._grants[0] + self.window - self._clock())

    async def acquire(self) -> None:
        async with self._lock:
            while (wait := self.delay()) > 0:
                await self._sleep(wait)
            self._grants.append(self._clock())

    async def __aenter__(self) -> None:
        await self.acquire()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None


class RateLimits:
    """One sliding window per group; ``enabled=False`` (mock mode) throttles nothing."""

    def __init__(
        self,
        *,
        video_rpm: int,
        tts_rpm: int,
        clone_rpm: int,
        enabled: bool = True,
        margin: float = ARRIVAL_MARGIN,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.enabled = enabled
        window = RATE_PERIOD + margin
        self._limiters = {
            group: SlidingWindow(rpm, window, clock=clock, sleep=sleep)
            for group, rpm in ((VIDEO_CREATE, video_rpm), (T2A, tts_rpm), (VOICE_CLONE, clone_rpm))
        }

    def limiter(self, endpoint: str) -> SlidingWindow | None:
        return self._limiters.get(endpoint) if self.enabled else None

    def slot(self, endpoint: str) -> AbstractAsyncContextManager[object]:
        """``async with limits.slot(endpoint):`` waits for a free slot in the group."""
        limiter = self.limiter(endpoint)
        if limiter is None:
            return nullcontext()
        return limiter
