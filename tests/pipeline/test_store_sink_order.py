"""The job store keeps a job's events in the order they were emitted, even when an earlier
write is slower than a later one (the timeline and event replays read that order)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any, cast

from storyreel.pipeline.events import StepPhase, StepStarted
from storyreel.pipeline.lifecycle import StoreSink
from storyreel.pipeline.store import Event, JobStore


class SlowFirstWrites:
    """A store whose first write takes longest: written at once, later events would land first."""

    def __init__(self) -> None:
        self.written: list[str] = []
        self.delays = [0.05, 0.02, 0.0]

    async def append_event(self, job_id: str, type: str, payload: Mapping[str, Any]) -> Event:
        await asyncio.sleep(self.delays.pop(0) if self.delays else 0.0)
        self.written.append(f"{type}:{payload.get('phase', '')}")
        return Event(job_id, len(self.written), type, dict(payload), 0.0)


async def test_events_are_stored_in_the_order_emitted() -> None:
    store = SlowFirstWrites()
    seen: list[int] = []
    sink = StoreSink(
        cast(JobStore, store), "j", lambda _event: None, stored=lambda e: seen.append(e.seq)
    )

    sink(StepStarted(stage="video", segment=0))
    sink(StepPhase(stage="video", segment=0, phase="rpm"))
    sink(StepPhase(stage="video", segment=0, phase="create"))
    await sink.flush()

    assert store.written == ["StepStarted:", "StepPhase:rpm", "StepPhase:create"]
    assert seen == [1, 2, 3]
