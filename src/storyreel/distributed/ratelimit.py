"""MiniMax's RPM limits held across every worker process and machine, in Redis.

A sliding-window log per endpoint group: a sorted set of the times slots were taken. One Lua
script (atomic on the server, timed by the server's clock so machines' clocks need not agree)
drops entries older than the window and takes a slot when fewer than ``limit`` remain;
otherwise it answers how long until the oldest leaves. At most ``limit`` requests start in any
window of ``period + margin`` seconds, whoever sends them: the margin
(``storyreel.minimax.ARRIVAL_MARGIN``, shared with the in-process limiter) covers
the time from a grant to the request's arrival, which MiniMax's rolling minute counts by.

Plugged into the client as ``AsyncMiniMax(..., rate_limits=RedisRateLimits(...))``.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from typing import TYPE_CHECKING, Any

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from storyreel.errors import ServiceUnavailableError
from storyreel.minimax import (
    ARRIVAL_MARGIN,
    RATE_PERIOD,
    T2A,
    VIDEO_CREATE,
    VOICE_CLONE,
)

if TYPE_CHECKING:
    from redis.asyncio import Redis

    from storyreel.minimax import MiniMaxSettings

# KEYS[1]: the group's window; ARGV: limit, period (ms), a unique member.
# Returns 0 when a slot was taken, else the milliseconds until one frees.
_TAKE_SLOT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local limit = tonumber(ARGV[1])
local period = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - period)
if redis.call('ZCARD', KEYS[1]) < limit then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], period)
  return 0
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return math.max(1, tonumber(oldest[2]) + period - now)
"""


class RedisRateLimits:
    """Slots per endpoint group shared through Redis (see the module's docstring).

    ``limits`` maps an endpoint (``video_generation``, ``t2a_v2``, ``voice_clone``) to requests
    per ``period``; other endpoints are not throttled.
    """

    def __init__(
        self,
        client: Redis,
        limits: Mapping[str, int],
        *,
        period: float = RATE_PERIOD,
        namespace: str = "storyreel",
        margin: float = ARRIVAL_MARGIN,
    ) -> None:
        self._client = client
        self.limits = dict(limits)
        self.period = period
        self.namespace = namespace
        self._period_ms = int((period + margin) * 1000)
        self._script: Any = client.register_script(_TAKE_SLOT)

    @classmethod
    def for_minimax(
        cls, client: Redis, settings: MiniMaxSettings, *, namespace: str = "storyreel"
    ) -> RedisRateLimits:
        return cls(
            client,
            {
                VIDEO_CREATE: settings.video_rpm,
                T2A: settings.tts_rpm,
                VOICE_CLONE: settings.clone_rpm,
            },
            namespace=namespace,
        )

    def key(self, endpoint: str) -> str:
        return f"{self.namespace}:ratelimit:{endpoint}"

    async def acquire(self, endpoint: str) -> None:
        """Wait until ``endpoint``'s group has a free slot, and take it."""
        limit = self.limits.get(endpoint)
        if limit is None:
            return
        member = secrets.token_hex(8)
        while True:
            try:
                answer = await self._script(
                    keys=[self.key(endpoint)], args=[limit, self._period_ms, member]
                )
            except (RedisConnectionError, RedisTimeoutError) as exc:
                # The broker's boundary: Redis away for now is storyreel's transient error.
                raise ServiceUnavailableError(
                    f"Redis cannot be reached now ({type(exc).__name__})"
                ) from exc
            wait_ms = int(answer)
            if wait_ms <= 0:
                return
            await asyncio.sleep(wait_ms / 1000)

    def slot(self, endpoint: str) -> AbstractAsyncContextManager[object]:
        if endpoint not in self.limits:
            return nullcontext()
        return self._slot(endpoint)

    @asynccontextmanager
    async def _slot(self, endpoint: str) -> AsyncIterator[None]:
        await self.acquire(endpoint)
        yield
