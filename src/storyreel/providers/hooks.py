"""What a provider's caller hands it, shared by real and offline providers alike so neither
imports the other: the write-ahead hook of a paid request, and the webhook wake-up of a wait."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from cachetools import TTLCache

# Awaited right before a paid request leaves (after preparation and the rate-limit wait): the
# job ledger records "this may now be billed" there. The MiniMax client takes the same shape.
BeforeSend = Callable[[], Awaitable[None]]
# Called as a paid request starts waiting for its rate-limit slot: the job timeline tells the
# rate-limit wait from the request with it. The MiniMax client takes the same shape.
BeforeWait = Callable[[], None]


class WakeRegistry:
    """Task id -> event a webhook sets, so a waiting ``fetch`` polls at once instead of later.

    The HTTP service calls :meth:`notify` from its MiniMax callback route; polling stays the
    fallback, so a lost callback only costs time.
    """

    # Bounded and expiring: a callback for a task nobody waits for (or a flood of made-up ids)
    # must not grow it for good. A fetch holds its own Event, so an evicted entry only means a
    # later callback is missed and polling finds the clip instead.
    MAX_TASKS = 10_000
    TTL_SECONDS = 6 * 3600.0

    def __init__(self) -> None:
        self._events: TTLCache[str, asyncio.Event] = TTLCache(self.MAX_TASKS, self.TTL_SECONDS)

    def event(self, task_id: str) -> asyncio.Event:
        event = self._events.get(task_id)
        if event is None:
            event = self._events[task_id] = asyncio.Event()
        return event

    def notify(self, task_id: str) -> None:
        # A callback may arrive before fetch starts waiting; the event stays set for it.
        self.event(task_id).set()

    def discard(self, task_id: str) -> None:
        self._events.pop(task_id, None)

    def __contains__(self, task_id: object) -> bool:
        return task_id in self._events
