"""A job's live event stream: the items its SSE readers get, and the fan-out that brings them what
a job running in this process does the moment it does it.

The store holds every event but its progress ticks (thinned), and ``on_event_stored`` only fires
in the process that stores the event: the fan-out is for jobs running here. A job running on the
workers is followed through the store instead (:mod:`storyreel.api.jobs_remote`).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import Any

from storyreel.pipeline.events import Event, EventSink, StepProgress
from storyreel.pipeline.store import Event as StoredEvent
from storyreel.pipeline.store import JobStore


@dataclass(frozen=True)
class LiveEvent:
    """One item of a job's live stream. ``seq`` is the store's number; ``None`` for the
    progress ticks the store thins out (they are only live)."""

    type: str
    data: dict[str, Any]
    seq: int | None = None

    @classmethod
    def stored(cls, event: StoredEvent) -> LiveEvent:
        return cls(event.type, event.payload, event.seq)


# Published to every reader of a job when its task ends.
END = LiveEvent("end", {})


class LiveFeed:
    """Hands each event of the jobs running here to every reader following the job."""

    def __init__(self) -> None:
        self._subscribers: dict[str, set[asyncio.Queue[LiveEvent]]] = {}

    def sink(self, job_id: str) -> EventSink:
        """The runner's event sink for ``job_id``: forwards what the store does not keep."""

        def forward(event: Event) -> None:
            # Only progress ticks travel live; everything else comes with its store seq.
            if isinstance(event, StepProgress):
                data = event.to_dict()
                self.publish(job_id, LiveEvent(data.pop("type"), data))

        return forward

    def on_stored(self, event: StoredEvent) -> None:
        """The runner's ``on_event_stored``: tells readers the store has something new."""
        self.publish(event.job_id, LiveEvent.stored(event))

    def publish(self, job_id: str, item: LiveEvent) -> None:
        for queue in self._subscribers.get(job_id, ()):
            queue.put_nowait(item)

    @contextlib.contextmanager
    def _subscribe(self, job_id: str) -> Iterator[asyncio.Queue[LiveEvent]]:
        queue: asyncio.Queue[LiveEvent] = asyncio.Queue()
        self._subscribers.setdefault(job_id, set()).add(queue)
        try:
            yield queue
        finally:
            subscribers = self._subscribers.get(job_id, set())
            subscribers.discard(queue)
            if not subscribers:
                self._subscribers.pop(job_id, None)

    async def follow(
        self, store: JobStore, job_id: str, *, after: int, running: Callable[[], bool]
    ) -> AsyncIterator[LiveEvent]:
        """The job's stored events after ``after``; then, if it is ``running()`` here, the live
        ones and what the store gets, until the job's task publishes :data:`END`."""
        with self._subscribe(job_id) as queue:
            last, news = after, True
            # Asked once subscribed and caught up: an END published after that reaches the queue.
            live: bool | None = None
            while True:
                if news:
                    # Read from the store, not the item: stores may finish appends out of order.
                    for stored in await store.events(job_id, after=last):
                        last = stored.seq
                        yield LiveEvent.stored(stored)
                if live is None:
                    live = running()
                if not live:
                    return
                item = await queue.get()
                if item is END:
                    live, news = False, True  # one last read: what was stored before the end
                elif item.seq is None:
                    news = False
                    yield item
                else:
                    news = item.seq > last


__all__ = ["END", "LiveEvent", "LiveFeed"]
