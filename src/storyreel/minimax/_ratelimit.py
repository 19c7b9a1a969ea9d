"""Client-side request rates per endpoint group, so a burst of segments does not trip 1002.

Groups follow the service's documented limits: video creates (5 RPM), t2a (60 RPM) and voice
clone (60 RPM). Other calls (query, retrieve, upload, get_voice) are not throttled here.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager, nullcontext
from typing import Protocol, runtime_checkable

from aiolimiter import AsyncLimiter

from ._constants import RATE_PERIOD, T2A, VIDEO_CREATE, VOICE_CLONE


@runtime_checkable
class RateLimiter(Protocol):
    """What the client asks before each request: a slot in ``endpoint``'s group.

    :class:`RateLimits` (one process) is the default; pass another to ``AsyncMiniMax(...,
    rate_limits=...)`` to share the limits between processes (e.g. storyreel's workers use
    ``storyreel.distributed.ratelimit.RedisRateLimits``)."""

    def slot(self, endpoint: str) -> AbstractAsyncContextManager[object]: ...


class RateLimits:
    """One leaky bucket per group; ``enabled=False`` (mock mode) throttles nothing."""

    def __init__(
        self, *, video_rpm: int, tts_rpm: int, clone_rpm: int, enabled: bool = True
    ) -> None:
        self.enabled = enabled
        self._limiters = {
            VIDEO_CREATE: AsyncLimiter(video_rpm, RATE_PERIOD),
            T2A: AsyncLimiter(tts_rpm, RATE_PERIOD),
            VOICE_CLONE: AsyncLimiter(clone_rpm, RATE_PERIOD),
        }

    def limiter(self, endpoint: str) -> AsyncLimiter | None:
        return self._limiters.get(endpoint) if self.enabled else None

    def slot(self, endpoint: str) -> AbstractAsyncContextManager[object]:
        """``async with limits.slot(endpoint):`` waits for a free slot in the group."""
        limiter = self.limiter(endpoint)
        if limiter is None:
            return nullcontext()
        return limiter
