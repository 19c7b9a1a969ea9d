"""The service's side of an edit: the job's state checked (409 naming it and what to do), the
preview answered (``?dry_run=true``), or the edit applied and the job handed to the backend.

Every studio route (and the cast's) ends in :func:`apply_edit`; what an edit re-makes and costs
is decided by :mod:`storyreel.pipeline.edits`.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Mapping
from contextlib import asynccontextmanager
from decimal import Decimal

from fastapi import HTTPException, status

from storyreel.api.manager import JobManager
from storyreel.api.schemas_studio import EditPreviewOut
from storyreel.pipeline.edits import Edit, EditPreview, JobEdits
from storyreel.pipeline.store import Job, JobStatus
from storyreel.plan import Plan

# Where an edit of the plan or a keyframe is allowed: the job is not being worked on.
EDITABLE: frozenset[JobStatus] = frozenset({"review", "succeeded", "failed", "cancelled"})
# A clip is made again (or an earlier one chosen) only after a render.
RENDERED: frozenset[JobStatus] = frozenset({"succeeded", "failed", "cancelled"})

BeforeCommit = Callable[[JobEdits], Awaitable[None]]


def conflict(message: str) -> HTTPException:
    return HTTPException(status.HTTP_409_CONFLICT, message)


def _state_hint(job: Job, allowed: Collection[JobStatus]) -> str:
    if job.status in ("queued", "running"):
        return (
            f"job {job.id} is {job.status}; wait until it is in review or has finished "
            "(or cancel it), then edit"
        )
    named = [("in review" if state == "review" else state) for state in sorted(allowed)]
    wanted = named[0] if len(named) == 1 else ", ".join(named[:-1]) + " or " + named[-1]
    then = " (approve it first)" if job.status == "review" else ""
    return f"job {job.id} is {job.status}; this needs a job {wanted}{then}"


async def require_state(manager: JobManager, job: Job, allowed: Collection[JobStatus]) -> Plan:
    """The job's plan, or a 409 naming its state and what to do."""
    if manager.remote:
        raise conflict(
            "reviewing and editing jobs needs the in-process service; unset STORYREEL_BROKER_URL "
            "or edit plan.json and `storyreel render` the folder"
        )
    if job.status not in allowed or await manager.is_active(job.id):
        raise conflict(_state_hint(job, allowed))
    plan = await asyncio.to_thread(manager.runner.saved_plan, job)
    if plan is None:
        raise conflict(f"job {job.id} has no plan yet; resume it to plan the story first")
    return plan


def preview_out(preview: EditPreview, *, applied: bool) -> EditPreviewOut:
    return EditPreviewOut(
        remakes=list(preview.remakes),
        cost_usd=_usd(preview.cost),
        pending_usd=_usd(preview.pending),
        applied=applied,
        summary=preview.summary,
    )


def _usd(amount: Decimal) -> float:
    return float(round(amount, 6))


@asynccontextmanager
async def editing(
    manager: JobManager, job: Job, allowed: Collection[JobStatus]
) -> AsyncIterator[None]:
    """Hold the service's edit lock with the job's state checked again under it: an edit
    applied meanwhile has queued the job, and this one is then a 409, not a lost update."""
    async with manager.edit_lock:
        await require_state(manager, await manager.store.get_job(job.id), allowed)
        yield


async def open_edits(manager: JobManager, job: Job, allowed: Collection[JobStatus]) -> JobEdits:
    plan = await require_state(manager, job, allowed)
    return await JobEdits.open(manager.runner, job, plan)


async def apply_edit(
    manager: JobManager,
    job: Job,
    edit: Edit,
    *,
    dry_run: bool,
    review: bool = True,
    allowed: Collection[JobStatus] = EDITABLE,
    uploads: Mapping[int, str] | None = None,
    before_commit: BeforeCommit | None = None,
    edits: JobEdits | None = None,
) -> EditPreviewOut:
    """Preview ``edit`` on ``job``; unless ``dry_run``, apply it and run the job: ``review``
    re-makes the cheap steps it touched and stops in review again, else it renders on.

    ``uploads`` (frame k -> sha) prices a picture not written yet; ``before_commit`` writes
    what the edit needs on disk (an upload, a kept clip) once it is certain to apply."""
    edits = edits or await open_edits(manager, job, allowed)
    if dry_run:
        return preview_out(await edits.preview(edit, uploads=uploads), applied=False)
    async with editing(manager, job, allowed):
        preview = await edits.preview(edit, uploads=uploads)
        if before_commit is not None:
            await before_commit(edits)
        await edits.commit(edit, review=review)
        await manager.backend.submit(job.id)
    return preview_out(preview, applied=True)


__all__ = [
    "EDITABLE",
    "RENDERED",
    "apply_edit",
    "conflict",
    "editing",
    "open_edits",
    "preview_out",
    "require_state",
]
