"""Waiting for a video task: polling kept apart from retrying.

Each poll is one ``query_video_status`` call (which has its own short retries); a transient
failure that outlives those retries is logged and the wait goes on. A webhook can set ``wake``
to make the next poll happen at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from ._constants import VIDEO_QUERY
from ._exceptions import APIConnectionError, MiniMaxError, TaskFailedError, TaskTimeoutError
from ._models import VideoTask

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]
Query = Callable[[str], Awaitable[VideoTask]]


def _is_transient(error: MiniMaxError) -> bool:
    return error.retryable or isinstance(error, APIConnectionError)


async def _pause(sleep: Sleep, delay: float, wake: asyncio.Event | None) -> bool:
    """Sleep ``delay`` seconds or until ``wake`` is set. True when the full delay passed."""
    if wake is None:
        await sleep(delay)
        return True
    if wake.is_set():
        wake.clear()
        log.debug("woken by a callback: polling now")
        return False
    sleeper = asyncio.ensure_future(sleep(delay))
    waiter = asyncio.ensure_future(wake.wait())
    try:
        done, _ = await asyncio.wait({sleeper, waiter}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (sleeper, waiter):
            if not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
    if waiter in done:
        wake.clear()
        log.debug("woken by a callback: polling now")
        return sleeper in done
    return True


async def wait_for_task(
    query: Query,
    task_id: str,
    *,
    sleep: Sleep,
    initial_delay: float,
    interval: float,
    timeout: float,  # noqa: ASYNC109 -- an overall deadline across many sleeps
    on_status: Callable[[VideoTask], None] | None = None,
    wake: asyncio.Event | None = None,
) -> VideoTask:
    """Poll until Success (returned) or Fail (:class:`TaskFailedError`) or the timeout."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    slept = 0.0  # counts injected sleeps too, so a fake clock-free sleep still reaches the timeout
    last: VideoTask | None = None

    def elapsed() -> float:
        return max(loop.time() - start, slept)

    if initial_delay > 0 and await _pause(sleep, min(initial_delay, timeout), wake):
        slept += min(initial_delay, timeout)
    while True:
        try:
            task = await query(task_id)
        except MiniMaxError as exc:
            if not _is_transient(exc):
                raise
            log.debug("poll of %s failed transiently, will poll again: %s", task_id, exc)
        else:
            if last is None or task.status != last.status:
                log.debug("task %s: %s (%s)", task_id, task.status, task.raw_status)
                if on_status is not None:
                    on_status(task)
            last = task
            if task.done:
                return task
            if task.failed:
                reason = task.message or "no reason given"
                raise TaskFailedError(
                    f"video task {task_id} failed: {reason}",
                    task_id=task_id,
                    code=task.code,
                    endpoint=VIDEO_QUERY,
                )
        remaining = timeout - elapsed()
        if remaining <= 0:
            status = last.status if last else "unknown"
            raise TaskTimeoutError(
                f"video task {task_id} not finished after {timeout:g} s (last status {status}); "
                "it keeps running on MiniMax: wait again with this task id",
                task_id=task_id,
                endpoint=VIDEO_QUERY,
            )
        delay = min(interval, remaining)
        log.debug("next poll of %s in %.1f s", task_id, delay)
        if await _pause(sleep, delay, wake):
            slept += delay
