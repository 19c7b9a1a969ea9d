"""One job lifecycle, the same in one process and on the workers.

- ``begin``: the job is running; a ``JobStarted`` event names its providers.
- ``succeed``: the plan with its final durations and the spend go into the store and the
  manifest (``spend_usd``), the status is ``succeeded``, a ``JobSucceeded`` event says the cost.
- ``fail``: the status is ``failed`` with one line, a ``JobFailed`` event carries it.

``JobRunner.run`` (in-process) and the workers' actors (``storyreel.distributed.actors``) both call
these, so a job's record does not depend on where it ran.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from storyreel.files import write_bytes_atomic_sync
from storyreel.pipeline.events import (
    Event,
    EventSink,
    JobFailed,
    JobStarted,
    JobSucceeded,
    StepProgress,
)
from storyreel.pipeline.render_types import RenderResult
from storyreel.pipeline.store import Event as StoredEvent
from storyreel.pipeline.store import JobStatus, JobStore, Spend
from storyreel.plan import Plan

log = logging.getLogger(__name__)

# Progress events are many; the store keeps at most one per step this often (the live view in
# the service gets every one).
PROGRESS_EVERY_SECONDS = 1.0
# Status writes of the workers leave a cancel alone: the service may cancel while a unit runs.
KEEP_CANCEL: tuple[JobStatus, ...] = ("cancelled",)


async def begin(
    store: JobStore,
    job_id: str,
    sink: EventSink,
    *,
    providers: dict[str, str],
    out_dir: Path,
    unless: tuple[JobStatus, ...] = (),
) -> bool:
    """Mark the job running and say so. False when its status is one of ``unless`` (workers
    pass ``KEEP_CANCEL``: a unit must not revive a job the service cancelled; ``storyreel
    resume`` does revive one)."""
    if not await store.set_status(job_id, "running", unless=unless):
        return False
    sink(JobStarted(job_id=job_id, providers=providers, out_dir=str(out_dir)))
    return True


async def succeed(
    store: JobStore, job_id: str, plan: Plan, result: RenderResult, sink: EventSink
) -> bool:
    """Record a made video: plan, spend (in the store and the manifest), status, event. False
    when the job was cancelled while it was finished (it stays cancelled)."""
    await store.set_plan(job_id, plan)  # with the narration-first durations
    spend = await store.spend(job_id)
    await add_spend_to_manifest(result.manifest, spend)
    if not await store.set_status(job_id, "succeeded", video_path=result.video, unless=KEEP_CANCEL):
        return False
    sink(JobSucceeded(video=str(result.video), spent_usd=str(spend.total)))
    return True


async def fail(
    store: JobStore, job_id: str, error: BaseException, sink: EventSink, *, where: str = ""
) -> None:
    """Record the failure as one line (``where`` first, e.g. "planning"; a cancel stands);
    never raises over the failure itself. Ctrl-C and a cancelled task leave it cancelled."""
    text = failure_text(error)
    if where:
        text = f"{where}: {text}"
    cancelled = isinstance(error, KeyboardInterrupt | asyncio.CancelledError)
    status: JobStatus = "cancelled" if cancelled else "failed"
    try:
        recorded = await store.set_status(job_id, status, error=text, unless=KEEP_CANCEL)
        if recorded and not cancelled:
            sink(JobFailed(error=text))
    except Exception:  # recording the failure must not hide the failure itself
        log.debug("could not record the end of job %s", job_id, exc_info=True)


async def add_spend_to_manifest(manifest: Path, spend: Spend) -> None:
    """The manifest tells what the video cost, per stage and per step."""

    def write() -> None:
        data = json.loads(manifest.read_text(encoding="utf-8"))
        data["spend_usd"] = {
            "total": str(spend.total),
            "by_stage": {stage: str(v) for stage, v in sorted(spend.by_stage.items())},
            # Per step key ("video:2" is segment 3's clip; "frame:k" is shared by two segments).
            "by_step": {key: str(v) for key, v in sorted(spend.by_step.items())},
        }
        write_bytes_atomic_sync(manifest, (json.dumps(data, indent=2) + "\n").encode())

    await asyncio.to_thread(write)


class StoreSink:
    """Passes every event on, and keeps them in the store (progress thinned) for later readers,
    in the order they were emitted: each write waits for the one before it. Written at once,
    two events a moment apart (a step's start and its first part) could take the store's lock
    in either order, and their ``seq`` would tell a replay and the timeline the wrong story."""

    def __init__(
        self,
        store: JobStore,
        job_id: str,
        forward: EventSink,
        stored: Callable[[StoredEvent], None] | None = None,
    ) -> None:
        self.store = store
        self.job_id = job_id
        self.forward = forward
        self.stored = stored
        self._last_progress: dict[tuple[str, int | None], float] = {}
        self._pending: set[asyncio.Task[Any]] = set()
        self._last: asyncio.Task[Any] | None = None

    def __call__(self, event: Event) -> None:
        self.forward(event)
        if isinstance(event, StepProgress):
            key = (event.stage, event.segment)
            now = time.monotonic()
            if now - self._last_progress.get(key, 0.0) < PROGRESS_EVERY_SECONDS:
                return
            self._last_progress[key] = now
        data = event.to_dict()
        task = asyncio.get_running_loop().create_task(
            self._append_after(self._last, data.pop("type"), data)
        )
        self._last = task
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)
        if self.stored is not None:
            task.add_done_callback(self._announce)

    async def _append_after(
        self, before: asyncio.Task[Any] | None, type: str, data: dict[str, Any]
    ) -> StoredEvent:
        if before is not None:
            # Its failure is its own (gathered in flush); this one is written all the same.
            await asyncio.wait([before])
        return await self.store.append_event(self.job_id, type, data)

    def _announce(self, task: asyncio.Task[StoredEvent]) -> None:
        if self.stored is not None and not task.cancelled() and task.exception() is None:
            self.stored(task.result())

    async def flush(self) -> None:
        if self._pending:
            await asyncio.gather(*self._pending, return_exceptions=True)


def failure_text(error: BaseException) -> str:
    """The one line a failed job shows: a validation error as ``field: problem``, never
    pydantic's multi-line report with its links."""
    if isinstance(error, ValidationError) and error.errors():
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or error.title
        more = f" (and {error.error_count() - 1} more)" if error.error_count() > 1 else ""
        return f"{where}: {first['msg']}{more}"
    return str(error) or type(error).__name__
