"""The Redis limiter holds one limit across processes (and tells apart endpoint groups)."""

from __future__ import annotations

import asyncio
import json
import sys
import time

import pytest

pytestmark = pytest.mark.services

_TAKER = """
import asyncio, json, sys, time
from redis.asyncio import Redis
from storyreel.distributed.ratelimit import RedisRateLimits

async def main(url, namespace, n):
    client = Redis.from_url(url)
    limits = RedisRateLimits(client, {"video_generation": 4}, period=1.5, namespace=namespace,
                             margin=0.05)
    times = []
    for _ in range(n):
        async with limits.slot("video_generation"):
            times.append(time.time())
    await client.aclose()
    print(json.dumps(times))

asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
"""


def _most_in_window(times: list[float], window: float) -> int:
    times, best, start = sorted(times), 0, 0
    for end, now in enumerate(times):
        while now - times[start] >= window:
            start += 1
        best = max(best, end - start + 1)
    return best


async def test_three_processes_share_one_limit(redis_url: str, redis_namespace: str) -> None:
    procs = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            _TAKER,
            redis_url,
            redis_namespace,
            "4",
            stdout=asyncio.subprocess.PIPE,
        )
        for _ in range(3)
    ]
    started = time.time()
    outputs = [await asyncio.wait_for(p.communicate(), 30) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0]
    times = [t for out, _ in outputs for t in json.loads(out)]
    assert len(times) == 12
    # 4 per 1.5 s for everyone together: 12 slots need at least two full windows.
    assert _most_in_window(times, 1.5) <= 4
    assert max(times) - started >= 3.0


async def test_unlimited_endpoints_and_groups(redis_url: str, redis_namespace: str) -> None:
    from redis.asyncio import Redis

    from storyreel.distributed.ratelimit import RedisRateLimits
    from storyreel.minimax import MiniMaxSettings

    client = Redis.from_url(redis_url)
    try:
        limits = RedisRateLimits.for_minimax(
            client, MiniMaxSettings(video_rpm=1, tts_rpm=50), namespace=redis_namespace
        )
        assert limits.limits == {"video_generation": 1, "t2a_v2": 50, "voice_clone": 60}
        # Another group, and an endpoint with no limit, never wait behind video's 1 a minute:
        # if they shared its window the second round would wait a whole one (62 s).
        async with asyncio.timeout(30):
            async with limits.slot("video_generation"):
                pass
            for _ in range(20):
                async with limits.slot("t2a_v2"), limits.slot("query/video_generation"):
                    pass
        assert await client.zcard(limits.key("t2a_v2")) == 20
        ttl = await client.pttl(limits.key("video_generation"))
        assert 0 < ttl <= 62_000  # the window's keys expire by themselves
    finally:
        await client.aclose()
