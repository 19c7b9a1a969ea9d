"""Helpers of the distributed tests: waiting for a condition, reading the workers' health."""

from __future__ import annotations

import asyncio
import subprocess
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TypeVar

from storyreel.distributed.health import QueueDepth, WorkerInfo

if TYPE_CHECKING:
    from redis import Redis

T = TypeVar("T")
# The ``start_workers`` fixture: ``start_workers(count, threads=3)`` -> the processes.
StartWorkers = Callable[..., list[subprocess.Popen[bytes]]]


async def wait_for(
    what: str, check: Callable[[], Awaitable[T]], seconds: float, poll: float = 0.1
) -> T:
    """``await check()`` every ``poll`` seconds until it is truthy; its value. Fails naming
    ``what`` after ``seconds`` (a bound against hanging, not a timing assertion)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = await check()
        if value:
            return value
        await asyncio.sleep(poll)
    raise AssertionError(f"timed out after {seconds:.0f} s waiting for {what}")


def _read(redis_url: str, read: Callable[[Redis], T]) -> T:
    from redis import Redis

    client = Redis.from_url(redis_url)
    try:
        return read(client)
    finally:
        client.close()


async def alive_workers(redis_url: str, namespace: str) -> list[WorkerInfo]:
    """The workers beating now, with what each is doing and how many units it has done."""
    from storyreel.distributed.health import list_workers

    return await asyncio.to_thread(_read, redis_url, lambda client: list_workers(client, namespace))


async def depth(redis_url: str, namespace: str) -> QueueDepth:
    """The storyreel queue's depth (waiting, in flight, awaiting a retry, dead)."""
    from storyreel.distributed.broker import QUEUE
    from storyreel.distributed.health import queue_depth

    return await asyncio.to_thread(
        _read, redis_url, lambda client: queue_depth(client, namespace, QUEUE)
    )
