"""The studio's reading side: ``GET /jobs/{id}/board`` (everything the storyboard shows) and the
files it links: keyframes, narrations, clips and their earlier versions. The edits are in
:mod:`storyreel.api.routes_edits`.

File URLs on the board carry ``?v=`` (a prefix of the file's sha, or its size and time) so a
re-rolled keyframe or a new clip is never served from a cache.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, status
from fastapi import Path as PathParam
from fastapi.responses import FileResponse

from storyreel.api.deps import Authorized, JobDep, Manager
from storyreel.api.errors import ERROR_RESPONSES
from storyreel.api.schemas_studio import (
    Board,
    CastMemberOut,
    FrameOut,
    SegmentOut,
    VersionOut,
)
from storyreel.limits import MAX_SEGMENTS
from storyreel.minimax import CAMERA_COMMANDS
from storyreel.pipeline.edits import JobEdits
from storyreel.pipeline.hashing import frame_prompts
from storyreel.pipeline.keyframes import frame_place
from storyreel.pipeline.layout import OutputLayout
from storyreel.pipeline.store import Job, Step
from storyreel.pipeline.versions import clip_versions, version_path
from storyreel.plan import Plan

log = logging.getLogger(__name__)

router = APIRouter(
    prefix="/jobs", tags=["studio"], dependencies=[Authorized], responses=ERROR_RESPONSES
)

FrameIndex = Annotated[int, PathParam(ge=0, le=MAX_SEGMENTS, description="Keyframe k (0..N).")]
SegmentIndex = Annotated[int, PathParam(ge=0, lt=MAX_SEGMENTS, description="0-based segment.")]
Version = Annotated[int, PathParam(ge=1, le=1000, description="The clip's take.")]
# Only there to bust caches; the file served is always the current one.
CacheTag = Annotated[str | None, Query(max_length=64, description="Cache buster.")]
AUDIO_TYPES = {".mp3": "audio/mpeg", ".wav": "audio/wav", ".flac": "audio/flac"}


def _tag(path: Path, step: Step | None) -> str:
    done = step is not None and step.state == "done" and step.artefact_path == path
    if done and step is not None and step.artefact_sha256:
        return step.artefact_sha256[:12]
    info = path.stat()
    return f"{info.st_mtime_ns:x}{info.st_size:x}"


def cast_of(job: Job, plan: Plan) -> list[CastMemberOut]:
    """The plan's cast for the board (filled in by the cast's own module once plans have one)."""
    return []


def narration_file(layout: OutputLayout, i: int, steps: dict[str, Step]) -> Path | None:
    """Segment ``i``'s spoken narration (as the speech step made it, before pacing)."""
    step = steps.get(f"speech:{i}")
    if step is not None and step.state == "done" and step.artefact_path is not None:
        return step.artefact_path if step.artefact_path.is_file() else None
    found = sorted(layout.segment_dir(i).glob("narration.*"))
    return found[0] if found else None


def build_board(job: Job, plan: Plan, steps: dict[str, Step], pending: float) -> Board:
    """The board from the plan, the files and the steps' records (file work: in a thread)."""
    layout, base, n = OutputLayout(job.output_dir), f"/jobs/{job.id}", len(plan.segments)
    frames = []
    for k, prompt in enumerate(frame_prompts(plan)):
        path = layout.frame(k)
        url = (
            f"{base}/frames/{k}?v={_tag(path, steps.get(f'frame:{k}'))}" if path.is_file() else None
        )
        frames.append(FrameOut(index=k, prompt=prompt, place=frame_place(k, n), url=url))
    segments = []
    for i, seg in enumerate(plan.segments):
        spoken, clip = narration_file(layout, i, steps), layout.clip(i)
        narration_url = clip_url = None
        if spoken is not None:
            narration_url = (
                f"{base}/segments/{i}/narration?v={_tag(spoken, steps.get(f'speech:{i}'))}"
            )
        if clip.is_file():
            clip_url = f"{base}/segments/{i}/clip?v={_tag(clip, steps.get(f'video:{i}'))}"
        versions = [
            VersionOut(
                version=v.version,
                url=f"{base}/segments/{i}/versions/{v.version}",
                current=v.current,
            )
            for v in clip_versions(layout, plan, i)
        ]
        segments.append(
            SegmentOut(
                index=i,
                narration=seg.narration,
                video_prompt=seg.video_prompt,
                camera=seg.camera,
                duration=seg.duration,
                first_frame=i,
                last_frame=i + 1,
                narration_url=narration_url,
                clip_url=clip_url,
                versions=versions,
            )
        )
    return Board(
        id=job.id,
        status=job.status,
        title=plan.title,
        style=plan.style,
        language=plan.language,
        cameras=list(CAMERA_COMMANDS),
        cast=cast_of(job, plan),
        frames=frames,
        segments=segments,
        pending_usd=pending,
        video_url=f"{base}/video" if job.status == "succeeded" else None,
        subtitles_url=f"{base}/subtitles" if layout.subtitles.is_file() else None,
        manifest_url=f"{base}/manifest" if layout.manifest.is_file() else None,
    )


@router.get("/{job_id}/board", response_model=Board, summary="The storyboard, to review and edit")
async def job_board(job: JobDep, manager: Manager) -> Board:
    plan = await asyncio.to_thread(manager.runner.saved_plan, job)
    if plan is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"job {job.id} has no plan yet")
    steps = {step.key: step for step in await manager.store.list_steps(job.id)}
    try:
        edits = await JobEdits.open(manager.runner, job, plan)
        pending = float(round(await edits.pending(), 6))
    except Exception as error:  # the board is still shown, as GET /jobs/{id} does
        log.warning("pending cost of job %s failed: %s", job.id, type(error).__name__)
        pending = 0.0
    return await asyncio.to_thread(build_board, job, plan, steps, pending)


def _missing(job: Job, what: str) -> HTTPException:
    return HTTPException(status.HTTP_404_NOT_FOUND, f"job {job.id} has no {what}")


@router.get(
    "/{job_id}/frames/{k}",
    summary="A keyframe",
    response_class=FileResponse,
    responses={200: {"content": {"image/png": {}}, "description": "The PNG."}},
)
def job_frame(job: JobDep, k: FrameIndex, v: CacheTag = None) -> FileResponse:
    path = OutputLayout(job.output_dir).frame(k)
    if not path.is_file():
        raise _missing(job, f"keyframe {k}")
    return FileResponse(path, media_type="image/png")


@router.get(
    "/{job_id}/segments/{i}/narration",
    summary="A segment's narration",
    response_class=FileResponse,
    responses={200: {"content": {"audio/mpeg": {}, "audio/wav": {}}, "description": "Audio."}},
)
async def job_narration(
    job: JobDep, manager: Manager, i: SegmentIndex, v: CacheTag = None
) -> FileResponse:
    steps = {step.key: step for step in await manager.store.list_steps(job.id)}
    layout = OutputLayout(job.output_dir)
    path = await asyncio.to_thread(narration_file, layout, i, steps)
    if path is None:
        raise _missing(job, f"narration for segment {i + 1}")
    return FileResponse(path, media_type=AUDIO_TYPES.get(path.suffix, "application/octet-stream"))


@router.get(
    "/{job_id}/segments/{i}/clip",
    summary="A segment's current clip",
    response_class=FileResponse,
    responses={200: {"content": {"video/mp4": {}}, "description": "The MP4."}},
)
def job_clip(job: JobDep, i: SegmentIndex, v: CacheTag = None) -> FileResponse:
    path = OutputLayout(job.output_dir).clip(i)
    if not path.is_file():
        raise _missing(job, f"clip for segment {i + 1}")
    return FileResponse(path, media_type="video/mp4")


@router.get(
    "/{job_id}/segments/{i}/versions/{v}",
    summary="A clip a remake kept (or the current one)",
    response_class=FileResponse,
    responses={200: {"content": {"video/mp4": {}}, "description": "The MP4."}},
)
async def job_clip_version(
    job: JobDep, manager: Manager, i: SegmentIndex, v: Version
) -> FileResponse:
    plan = await asyncio.to_thread(manager.runner.saved_plan, job)
    layout = OutputLayout(job.output_dir)
    current = plan is not None and i < len(plan.segments) and plan.take(f"video:{i}") == v
    path = layout.clip(i) if current else version_path(layout, i, v)
    if not await asyncio.to_thread(path.is_file):
        raise _missing(job, f"version {v} of segment {i + 1}'s clip")
    return FileResponse(path, media_type="video/mp4")
