"""The studio's edits: change the plan, re-roll or upload a keyframe, approve, remake a clip or
go back to an earlier one. Each takes ``?dry_run=true`` (the same ``EditPreview``, nothing
changed); each applied edit runs the job again through :func:`storyreel.api.edits.apply_edit`,
which re-makes only what the edit touched (the content hashes decide)."""

from __future__ import annotations

import asyncio
import hashlib
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request, status
from fastapi.exceptions import RequestValidationError
from starlette.datastructures import UploadFile

from storyreel.api.deps import Authorized, JobDep, Manager
from storyreel.api.edits import (
    EDITABLE,
    RENDERED,
    apply_edit,
    conflict,
    editing,
    open_edits,
    preview_out,
)
from storyreel.api.errors import ERROR_RESPONSES, validation_problem
from storyreel.api.routes_studio import FrameIndex, SegmentIndex, Version, narration_file
from storyreel.api.schemas import JobCreated, Problem
from storyreel.api.schemas_studio import EditPreviewOut, PlanEdit
from storyreel.api.uploads import FORM_OVERHEAD_BYTES, file_field, multipart_body, read_form
from storyreel.assembly.pacing import fit
from storyreel.assembly.probe import probe
from storyreel.errors import UsageError
from storyreel.minimax import MiniMaxValidationError
from storyreel.pipeline.cost import ZERO
from storyreel.pipeline.edits import EditPreview, JobEdits
from storyreel.pipeline.layout import OutputLayout
from storyreel.pipeline.pictures import MAX_PICTURE_BYTES, check_picture, fitted_png
from storyreel.pipeline.segments import six_seconds_only
from storyreel.pipeline.versions import clip_versions, keep_current, next_take, restore
from storyreel.plan import Plan

router = APIRouter(
    prefix="/jobs",
    tags=["studio"],
    dependencies=[Authorized],
    responses={
        **ERROR_RESPONSES,
        409: {"model": Problem, "description": "Not in a state that allows it (it says which)."},
    },
)

DryRun = Annotated[
    bool, Query(description="Validate and answer what it would re-make and cost; change nothing.")
]
FIELD = "file"
MAX_BODY_BYTES = MAX_PICTURE_BYTES + FORM_OVERHEAD_BYTES
# The frame upload's path, for the body limit (``app.py``): more room than other requests.
UPLOAD_PATH = r"^/jobs/[a-z2-7]{16}/frames/\d+$"
_UPLOAD_SCHEMA = multipart_body(
    **{
        FIELD: file_field(
            "PNG, JPEG or WebP under 20 MB, short side over 300 px, aspect between 2:5 and 5:2 "
            "(MiniMax's frame rules)."
        )
    }
)


def _problem(loc: tuple[str | int, ...], msg: str) -> dict[str, Any]:
    return {"loc": loc, "msg": msg, "type": "value_error"}


def _out_of_range(loc: tuple[str | int, ...], what: str, index: int, count: int) -> dict[str, Any]:
    return _problem(loc, f"{what} {index} does not exist; the plan has {what}s 0..{count - 1}")


# -- the plan -------------------------------------------------------------------------------


def _length_problems(
    body: PlanEdit, plan: Plan, job_dir: OutputLayout, edits: JobEdits
) -> list[dict[str, Any]]:
    """Speech decides a clip's length: a duration the spoken narration cannot fill is refused."""
    problems = []
    six_only = six_seconds_only(edits.context.resolution)
    for j, seg in enumerate(body.segments):
        if seg.duration is None or seg.narration is not None or seg.index >= len(plan.segments):
            continue
        spoken = narration_file(job_dir, seg.index, {})
        if spoken is None:
            continue  # not spoken yet: the narration decides when it is
        seconds = probe(spoken).duration
        needed = fit(seconds, six_only=six_only).clip
        if needed != seg.duration:
            problems.append(
                _problem(
                    ("body", "segments", j, "duration"),
                    f"the narration takes {seconds:.1f} s, so segment {seg.index + 1}'s clip is "
                    f"{needed} s (speech decides durations): change the narration instead",
                )
            )
    return problems


def _plan_edit(body: PlanEdit) -> Any:
    def edit(plan: Plan) -> None:
        if body.title is not None:
            plan.title = body.title
        if body.style is not None:
            plan.style = body.style
        for change in body.segments:
            seg = plan.segments[change.index]
            if change.narration is not None:
                seg.narration = change.narration
            if change.camera is not None and change.camera != seg.camera:
                if change.video_prompt is None:  # the prompt's [command] follows the camera
                    seg.video_prompt = seg.video_prompt.replace(
                        f"[{seg.camera}]", f"[{change.camera}]"
                    )
                seg.camera = change.camera
            if change.video_prompt is not None:
                seg.video_prompt = change.video_prompt
            if change.duration is not None:
                seg.duration = change.duration
        for frame in body.frames:
            # Frame 0 opens segment 0; frame k >= 1 ends segment k-1 (and opens segment k).
            if frame.index == 0:
                plan.segments[0].first_frame_prompt = frame.prompt
            else:
                plan.segments[frame.index - 1].last_frame_prompt = frame.prompt
                if frame.index < len(plan.segments):
                    plan.segments[frame.index].first_frame_prompt = frame.prompt

    return edit


@router.patch("/{job_id}/plan", response_model=EditPreviewOut, summary="Edit the plan")
async def edit_plan(
    job: JobDep, manager: Manager, body: PlanEdit, dry_run: DryRun = False
) -> EditPreviewOut:
    """Change segments' narration, video prompt, camera or duration, keyframe prompts, the
    title or the style. The job re-makes what changed (keyframes, narration) and is in review
    again; approve to pay for the clips it changed."""
    edits = await open_edits(manager, job, EDITABLE)
    plan, n = edits.plan, len(edits.plan.segments)
    problems = [
        _out_of_range(("body", "segments", j, "index"), "segment", seg.index, n)
        for j, seg in enumerate(body.segments)
        if seg.index >= n
    ] + [
        _out_of_range(("body", "frames", j, "index"), "frame", frame.index, n + 1)
        for j, frame in enumerate(body.frames)
        if frame.index > n
    ]
    layout = OutputLayout(job.output_dir)
    problems += await asyncio.to_thread(_length_problems, body, plan, layout, edits)
    if problems:
        raise RequestValidationError(problems)
    return await apply_edit(manager, job, _plan_edit(body), dry_run=dry_run, edits=edits)


# -- keyframes ------------------------------------------------------------------------------


def _frame_in_plan(plan: Plan, k: int) -> None:
    if k > len(plan.segments):
        raise RequestValidationError(
            [_out_of_range(("path", "k"), "frame", k, len(plan.segments) + 1)]
        )


@router.post(
    "/{job_id}/frames/{k}/reroll", response_model=EditPreviewOut, summary="Draw a keyframe again"
)
async def reroll_frame(
    job: JobDep, manager: Manager, k: FrameIndex, dry_run: DryRun = False
) -> EditPreviewOut:
    """The same prompt, a new take (``plan.json``'s ``takes["frame:K"]`` goes up by one; an
    uploaded picture is dropped). Both clips that share the keyframe are re-made at approval."""
    edits = await open_edits(manager, job, EDITABLE)
    _frame_in_plan(edits.plan, k)

    def edit(plan: Plan) -> None:
        plan.takes[f"frame:{k}"] = plan.take(f"frame:{k}") + 1
        plan.frame_files.pop(k, None)

    return await apply_edit(manager, job, edit, dry_run=dry_run, edits=edits)


def _too_large() -> HTTPException:
    return HTTPException(
        status.HTTP_413_CONTENT_TOO_LARGE,
        f"the picture is larger than {MAX_PICTURE_BYTES // 2**20} MB; send a smaller one",
    )


def _fitted(data: bytes, size: tuple[int, int]) -> bytes:
    check_picture(data, FIELD)  # MiniMax's frame rules, before anything is decoded
    return fitted_png(data, size)


@router.put(
    "/{job_id}/frames/{k}",
    response_model=EditPreviewOut,
    summary="Upload a keyframe",
    openapi_extra=_UPLOAD_SCHEMA,
    responses={413: {"model": Problem, "description": "The upload is too large."}},
)
async def upload_frame(
    request: Request, job: JobDep, manager: Manager, k: FrameIndex, dry_run: DryRun = False
) -> EditPreviewOut:
    """Multipart ``file``: checked by MiniMax's frame rules, fitted (cropped) to the keyframe
    size, and used instead of drawing keyframe k (``plan.json``'s ``frame_files``)."""
    edits = await open_edits(manager, job, EDITABLE)
    _frame_in_plan(edits.plan, k)
    form = await read_form(request, limit=MAX_BODY_BYTES, too_large=_too_large, fields=FIELD)
    try:
        upload = form.get(FIELD)
        if not isinstance(upload, UploadFile):
            missing = UsageError("is missing", field=FIELD, fix=f"attach a picture as {FIELD}")
            raise validation_problem(missing)
        data = await upload.read(MAX_PICTURE_BYTES + 1)
    finally:
        await form.close()
    try:
        picture = await asyncio.to_thread(_fitted, data, edits.context.frame_size)
    except MiniMaxValidationError as error:
        raise validation_problem(error) from None
    sha = hashlib.sha256(picture).hexdigest()
    name = f"frames/uploads/frame_{k:02d}_{sha[:16]}.png"

    async def write(_: JobEdits) -> None:
        target = job.output_dir / name
        await asyncio.to_thread(target.parent.mkdir, parents=True, exist_ok=True)
        await asyncio.to_thread(target.write_bytes, picture)

    def edit(plan: Plan) -> None:
        plan.frame_files[k] = name

    return await apply_edit(
        manager, job, edit, dry_run=dry_run, edits=edits, uploads={k: sha}, before_commit=write
    )


# -- approving and clips --------------------------------------------------------------------


@router.post(
    "/{job_id}/approve",
    response_model=JobCreated | EditPreviewOut,
    summary="Approve the storyboard: render",
)
async def approve_job(
    job: JobDep, manager: Manager, dry_run: DryRun = False
) -> JobCreated | EditPreviewOut:
    """Render the reviewed job, reusing every keyframe and narration. With ``dry_run``: what it
    makes and costs (an ``EditPreview``)."""
    edits = await open_edits(manager, job, {"review"})
    if dry_run:
        return preview_out(await edits.outstanding(), applied=False)
    async with editing(manager, job, {"review"}):
        await edits.commit(lambda _plan: None, review=False)
        await manager.backend.submit(job.id)
    return JobCreated(id=job.id, status="queued", url=f"/jobs/{job.id}")


def _segment_in_plan(plan: Plan, i: int) -> None:
    if i >= len(plan.segments):
        raise RequestValidationError(
            [_out_of_range(("path", "i"), "segment", i, len(plan.segments))]
        )


@router.post(
    "/{job_id}/segments/{i}/remake", response_model=EditPreviewOut, summary="Make a clip again"
)
async def remake_segment(
    job: JobDep, manager: Manager, i: SegmentIndex, dry_run: DryRun = False
) -> EditPreviewOut:
    """After a render: a new take of segment i's clip (paid), the old one kept as a version;
    then the video is assembled again."""
    edits = await open_edits(manager, job, RENDERED)
    _segment_in_plan(edits.plan, i)
    layout = OutputLayout(job.output_dir)
    if not await asyncio.to_thread(layout.clip(i).is_file):
        raise conflict(f"segment {i + 1} of job {job.id} has no clip yet; render it first")
    take = await asyncio.to_thread(next_take, layout, edits.plan, i)

    async def keep(current: JobEdits) -> None:
        await asyncio.to_thread(keep_current, layout, current.plan, i)

    def edit(plan: Plan) -> None:
        plan.takes[f"video:{i}"] = take

    return await apply_edit(
        manager, job, edit, dry_run=dry_run, review=False, edits=edits, before_commit=keep
    )


@router.post(
    "/{job_id}/segments/{i}/versions/{v}/select",
    response_model=EditPreviewOut,
    summary="Go back to an earlier clip",
)
async def select_version(
    job: JobDep, manager: Manager, i: SegmentIndex, v: Version, dry_run: DryRun = False
) -> EditPreviewOut:
    """Make clip version v current again and assemble the video with it: nothing is paid."""
    edits = await open_edits(manager, job, RENDERED)
    _segment_in_plan(edits.plan, i)
    layout = OutputLayout(job.output_dir)
    versions = await asyncio.to_thread(clip_versions, layout, edits.plan, i)
    if v not in {version.version for version in versions}:
        kept = ", ".join(str(version.version) for version in versions) or "none"
        raise RequestValidationError(
            [_problem(("path", "v"), f"segment {i + 1} has no clip version {v} (it has {kept})")]
        )
    pending = await edits.pending()
    if edits.plan.take(f"video:{i}") == v:
        same = "it is the current clip already: re-makes nothing"
        return preview_out(EditPreview((), ZERO, pending, same), applied=False)
    remakes = (f"mux:{i}", "assemble")
    summary = f"uses clip {i + 1}'s version {v} and re-assembles the video: $0.00 (nothing paid)"
    preview = EditPreview(remakes, ZERO, pending, summary)
    if dry_run:
        return preview_out(preview, applied=False)

    def edit(plan: Plan) -> None:
        plan.takes[f"video:{i}"] = v

    async with editing(manager, job, RENDERED):
        clip = await asyncio.to_thread(restore, layout, edits.plan, i, v)
        await edits.adopt(edit, f"video:{i}", clip)
        await edits.commit(edit, review=False)
        await manager.backend.submit(job.id)
    return preview_out(preview, applied=True)
