"""``/jobs``: submit a story, follow it (JSON or server-sent events), fetch the results."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Header, HTTPException, Query, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse
from sse_starlette import EventSourceResponse, ServerSentEvent

from storyreel.api.deps import Authorized, JobDep, Manager, SettingsDep
from storyreel.api.errors import ERROR_RESPONSES, validation_problem
from storyreel.api.jobs_remote import QueueUnavailableError
from storyreel.api.routes_music import resolve_music, shown_music
from storyreel.api.schemas import (
    EstimateOut,
    JobCreated,
    JobDetail,
    JobList,
    JobRequest,
    JobSummary,
    Problem,
    Progress,
    SegmentProgress,
    SpendOut,
    StepStateOut,
)
from storyreel.errors import UsageError
from storyreel.pipeline.admission import check_plan_size
from storyreel.pipeline.jobs import JobOptions
from storyreel.pipeline.layout import OutputLayout
from storyreel.pipeline.store import FINISHED_STATUSES, Job, JobStatus, Step
from storyreel.providers.factory import resolve_choices

log = logging.getLogger(__name__)

router = APIRouter(
    prefix="/jobs", tags=["jobs"], dependencies=[Authorized], responses=ERROR_RESPONSES
)

PREVIEW_CHARS = 160
# Seconds between keep-alive comments on a quiet event stream (proxies drop idle connections).
SSE_PING_SECONDS = 15


def _usd(amount: Decimal) -> float:
    return float(round(amount, 6))


def _summary(job: Job) -> dict[str, object]:
    layout = OutputLayout(job.output_dir)
    base = f"/jobs/{job.id}"
    story = " ".join(job.story.split())
    return {
        "id": job.id,
        "status": job.status,
        "title": job.plan.title if job.plan else None,
        "story_preview": story[:PREVIEW_CHARS] + ("…" if len(story) > PREVIEW_CHARS else ""),
        "options": shown_music(JobOptions.model_validate(job.options)),
        "created_at": job.created_at,
        "updated_at": job.updated_at,
        "error": job.error,
        "spend": SpendOut(total_usd=_usd(job.spent_usd)),
        "video_url": f"{base}/video" if job.status == "succeeded" else None,
        "storyboard_url": f"{base}/storyboard" if layout.storyboard.is_file() else None,
        "subtitles_url": f"{base}/subtitles" if layout.subtitles.is_file() else None,
        "manifest_url": f"{base}/manifest" if layout.manifest.is_file() else None,
        "events_url": f"{base}/events",
    }


def progress_of(job: Job, steps: list[Step]) -> Progress:
    """Per stage and per segment, from the store's steps."""
    states: dict[str, StepStateOut] = {step.key: step.state for step in steps}
    segments = len(job.plan.segments) if job.plan else 0
    made = [s.segment + 1 for s in steps if s.kind == "frame" and s.segment is not None]
    frames = max([segments + 1 if segments else 0, *made])
    progress = Progress(
        # A plan saved just before a stop is reused on resume without closing its step.
        plan="done" if job.plan is not None else states.get("plan", "pending"),
        voice=states.get("voice"),
        assemble=states.get("assemble", "pending"),
        frames=[states.get(f"frame:{k}", "pending") for k in range(frames)],
        segments=[
            SegmentProgress(
                index=i,
                speech=states.get(f"speech:{i}", "pending"),
                video=states.get(f"video:{i}", "pending"),
                mux=states.get(f"mux:{i}", "pending"),
            )
            for i in range(segments)
        ],
    )
    every = [progress.plan, progress.assemble, *progress.frames]
    every += [state for seg in progress.segments for state in (seg.speech, seg.video, seg.mux)]
    if progress.voice is not None:
        every.append(progress.voice)
    progress.done = sum(state == "done" for state in every)
    progress.total = len(every)
    return progress


@router.post(
    "",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=JobCreated,
    summary="Submit a story",
    responses={503: {"model": Problem, "description": "The workers' queue is unreachable."}},
)
async def create_job(request: JobRequest, manager: Manager, settings: SettingsDep) -> JobCreated:
    """Queue a job; it starts as soon as a slot is free. Follow it at ``url``."""
    options = resolve_music(request.options(), settings.data_dir)
    if options.review and manager.remote:
        raise validation_problem(
            UsageError(
                "reviewing before paying needs the in-process service",
                field="review",
                fix="drop review, or unset STORYREEL_BROKER_URL",
            )
        )
    try:
        # A provider that cannot be built (e.g. "openai" without its key), or a story that
        # would plan into more segments than the cap, is refused now, not after the 202.
        resolve_choices(settings, options.overrides())
        await check_plan_size(request.story, segments=options.segments)
        # The preflight's free calls: a retired model or a rejected key is a 422 now, with
        # nothing paid, not a failed job later.
        await manager.runner.check(options)
        job = await manager.submit(request.story, options)
    except UsageError as error:
        raise validation_problem(error) from None
    except QueueUnavailableError as error:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, str(error)) from None
    return JobCreated(id=job.id, status=job.status, url=f"/jobs/{job.id}")


@router.get("", response_model=JobList, summary="Recent jobs")
async def list_jobs(
    manager: Manager,
    status_: Annotated[JobStatus | None, Query(alias="status")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> JobList:
    jobs = await manager.store.list_jobs(status=status_, limit=limit)

    def summaries() -> JobList:
        # Up to 500 storyboard checks (a stat each): file work, off the event loop.
        return JobList(jobs=[JobSummary.model_validate(_summary(job)) for job in jobs])

    return await run_in_threadpool(summaries)


@router.get("/{job_id}", response_model=JobDetail, summary="One job, with its progress")
async def get_job(job: JobDep, manager: Manager) -> JobDetail:
    steps = await manager.store.list_steps(job.id)
    spend = await manager.store.spend(job.id)
    estimate: EstimateOut | None = None
    if job.status not in FINISHED_STATUSES:
        try:
            est = await manager.runner.estimate(job)
            estimate = EstimateOut(
                total_usd=_usd(est.total),
                by_stage={k: _usd(v) for k, v in est.by_stage().items()},
            )
        except Exception as error:
            # Any layer (the planner's own validation included) may fail here: the job is still
            # shown, without an estimate, rather than the request failing with a raw message.
            log.warning("estimate of job %s failed: %s", job.id, type(error).__name__)
            estimate = None
    else:
        estimate = EstimateOut(total_usd=0.0)
    return JobDetail.model_validate(
        {
            **_summary(job),
            "story": job.story,
            "plan": job.plan,
            "progress": progress_of(job, steps),
            "spend": SpendOut(
                total_usd=_usd(spend.total),
                by_stage={k: _usd(v) for k, v in spend.by_stage.items()},
            ),
            "estimate": estimate,
        }
    )


def _event_id(value: str | None) -> int:
    return int(value) if value is not None and value.isdigit() else 0


@router.get(
    "/{job_id}/events",
    summary="Progress as server-sent events",
    response_class=EventSourceResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "The event stream."}},
)
async def job_events(
    job: JobDep,
    manager: Manager,
    after: Annotated[
        int | None, Query(ge=0, le=2**62, description="Replay events with a larger seq.")
    ] = None,
    last_event_id: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> EventSourceResponse:
    """Stored events after ``after`` (or ``Last-Event-ID``), then live ones; the stream ends
    with an ``end`` event carrying the job's final status. Each stored event has its ``id``;
    progress ticks between stored ones come without."""
    start = after if after is not None else _event_id(last_event_id)

    async def events() -> AsyncIterator[ServerSentEvent]:
        async for item in manager.stream(job.id, after=start):
            if item.type == "end" and item.data.get("status") == "review":
                # Like a finished job's last events: the page shows the storyboard now.
                waiting = await manager.store.get_job(job.id)
                summary = JobSummary.model_validate(_summary(waiting))
                yield ServerSentEvent(data=summary.model_dump_json(), event="review")
            yield ServerSentEvent(
                data=json.dumps(item.data),
                event=item.type,
                id=str(item.seq) if item.seq is not None else None,
            )

    return EventSourceResponse(events(), ping=SSE_PING_SECONDS)


def _file(path_ready: bool, what: str, job: Job) -> None:
    if not path_ready:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"job {job.id} has no {what} yet")


@router.get(
    "/{job_id}/video",
    summary="The finished video (supports Range)",
    response_class=FileResponse,
    responses={
        200: {"content": {"video/mp4": {}}, "description": "The MP4."},
        206: {"content": {"video/mp4": {}}, "description": "Part of the MP4 (Range)."},
    },
)
def job_video(job: JobDep) -> FileResponse:
    # A plain def (FastAPI runs it in its thread pool): the checks below are file work.
    path = job.video_path or OutputLayout(job.output_dir).video
    _file(job.status == "succeeded" and path.is_file(), "video", job)
    return FileResponse(
        path,
        media_type="video/mp4",
        filename=f"storyreel-{job.id}.mp4",
        content_disposition_type="inline",
    )


@router.get(
    "/{job_id}/storyboard",
    summary="The storyboard picture",
    response_class=FileResponse,
    responses={200: {"content": {"image/png": {}}, "description": "The PNG."}},
)
def job_storyboard(job: JobDep) -> FileResponse:  # file work: in the thread pool, as above
    path = OutputLayout(job.output_dir).storyboard
    _file(path.is_file(), "storyboard", job)
    return FileResponse(path, media_type="image/png")


@router.post(
    "/{job_id}/cancel",
    response_model=JobSummary,
    summary="Stop a job",
    responses={409: {"model": Problem, "description": "The job has already ended."}},
)
async def cancel_job(job: JobDep, manager: Manager) -> JobSummary:
    """Stop a queued or running job. Finished steps are kept (``storyreel resume`` continues)."""
    if job.status in FINISHED_STATUSES and not await manager.is_active(job.id):
        raise HTTPException(status.HTTP_409_CONFLICT, f"job {job.id} already {job.status}")
    cancelled = await manager.cancel(job.id)
    return JobSummary.model_validate(_summary(cancelled))
