"""``/jobs/{id}/cast/{name}``: edit a character, give it a reference picture, re-draw its portrait.

Each route answers an :class:`EditPreview` (what the edit re-makes and costs); ``?dry_run=true``
checks and answers without changing anything. The edit is applied by the studio's one mechanism,
:func:`storyreel.api.edits.apply_edit` (a job in review re-makes the cheap steps it touched).
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable
from pathlib import Path as PathType
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Path, Query, Request, status
from fastapi.responses import FileResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.datastructures import UploadFile

from storyreel.api.deps import Authorized, JobDep, Manager
from storyreel.api.edits import apply_edit
from storyreel.api.errors import ERROR_RESPONSES, validation_problem
from storyreel.api.schemas import Problem
from storyreel.api.schemas_studio import EditPreviewOut
from storyreel.api.uploads import FORM_OVERHEAD_BYTES, file_field, multipart_body, read_form
from storyreel.cast import picture_name
from storyreel.errors import UsageError
from storyreel.files import write_bytes_atomic_sync
from storyreel.minimax import MiniMaxValidationError, check_image_bytes
from storyreel.pipeline.layout import OutputLayout
from storyreel.pipeline.store import Job
from storyreel.plan import MAX_CHARACTER_DESCRIPTION, MAX_CHARACTER_NAME, Character, Plan

# A reference picture: MiniMax's frame limit (the stricter of the two services).
MAX_PICTURE_BYTES = 20 * 1024 * 1024
MAX_BODY_BYTES = MAX_PICTURE_BYTES + FORM_OVERHEAD_BYTES
PICTURE_PATH = r"^/jobs/[a-z2-7]{16}/cast/[^/]+/reference$"
_SUFFIXES = {"image/png": ".png", "image/jpeg": ".jpg", "image/webp": ".webp"}

router = APIRouter(
    prefix="/jobs/{job_id}/cast",
    tags=["cast"],
    dependencies=[Authorized],
    responses=ERROR_RESPONSES,
)

_CONFLICT: dict[int | str, dict[str, object]] = {
    409: {"model": Problem, "description": "The job is running or has no plan yet."}
}
_TOO_LARGE: dict[int | str, dict[str, object]] = {
    413: {"model": Problem, "description": "The picture is over 20 MB."}
}
Name = Annotated[
    str, Path(description="The character's name (case ignored).", max_length=MAX_CHARACTER_NAME)
]
DryRun = Annotated[bool, Query(description="Check and preview only; change nothing.")]


class CastEdit(BaseModel):
    model_config = ConfigDict(extra="forbid")

    description: str = Field(
        min_length=1,
        max_length=MAX_CHARACTER_DESCRIPTION,
        description="The character's fixed look (age, build, hair, clothes, colours).",
    )


async def _character(job: Job, name: str) -> int:
    """The cast index of ``name`` in ``job``'s saved plan (404 when it has no such character)."""
    plan = job.plan
    index = None if plan is None else _index(plan, name)
    if index is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"job {job.id} has no character {name!r}")
    return index


def _index(plan: Plan, name: str) -> int | None:
    wanted = name.strip().casefold()
    return next((n for n, c in enumerate(plan.cast) if c.name.casefold() == wanted), None)


def _mutation(name: str, change: Callable[[Character], Character]) -> Callable[[Plan], None]:
    def mutate(plan: Plan) -> None:
        n = _index(plan, name)
        if n is None:  # renamed since the request began: nothing to edit
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no character {name!r}")
        plan.cast[n] = change(plan.cast[n])

    return mutate


def reference_url(job: Job, plan: Plan, n: int) -> str | None:
    """Where the page gets cast member ``n``'s reference picture (None: it has none yet); the
    ``v`` changes with the picture, so a new one is never served from the browser's cache."""
    path = _reference_file(job, plan, n)
    if path is None:
        return None
    version = int(path.stat().st_mtime_ns) if path.name.startswith("portrait") else path.stem
    return f"/jobs/{job.id}/cast/{quote(plan.cast[n].name, safe='')}/reference?v={version}"


def _reference_file(job: Job, plan: Plan, n: int) -> PathType | None:
    character = plan.cast[n]
    layout = OutputLayout(job.output_dir)
    path = layout.root / character.picture if character.picture else layout.portrait(n)
    return path if path.is_file() else None


@router.get(
    "/{name}/reference",
    summary="A character's reference picture",
    response_class=FileResponse,
    responses={200: {"content": {"image/png": {}, "image/jpeg": {}, "image/webp": {}}}},
)
def get_reference(job: JobDep, name: Name) -> FileResponse:  # file work: the thread pool
    plan = job.plan
    n = None if plan is None else _index(plan, name)
    path = None if plan is None or n is None else _reference_file(job, plan, n)
    if path is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no reference picture of {name!r} yet")
    kind = {".jpg": "image/jpeg", ".webp": "image/webp"}.get(path.suffix, "image/png")
    return FileResponse(path, media_type=kind)


@router.patch(
    "/{name}",
    response_model=EditPreviewOut,
    summary="Change a character's description",
    responses=_CONFLICT,
)
async def edit_character(
    manager: Manager, job: JobDep, name: Name, body: CastEdit, dry_run: DryRun = False
) -> EditPreviewOut:
    await _character(job, name)
    description = body.description.strip()
    if not description:
        raise validation_problem(UsageError("is empty", field="description", fix="describe it"))

    def change(c: Character) -> Character:
        return c.model_copy(update={"description": description})

    return await apply_edit(manager, job, _mutation(name, change), dry_run=dry_run)


@router.post(
    "/{name}/reroll",
    response_model=EditPreviewOut,
    summary="Draw a portrait again",
    responses=_CONFLICT,
)
async def reroll_character(
    manager: Manager, job: JobDep, name: Name, dry_run: DryRun = False
) -> EditPreviewOut:
    n = await _character(job, name)
    assert job.plan is not None  # _character found the character in it
    if job.plan.cast[n].picture is not None:
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            f"{job.plan.cast[n].name} has an uploaded picture: upload another instead",
        )

    def change(c: Character) -> Character:
        return c.model_copy(update={"take": c.take + 1})

    return await apply_edit(manager, job, _mutation(name, change), dry_run=dry_run)


def _too_large() -> HTTPException:
    return HTTPException(
        status.HTTP_413_CONTENT_TOO_LARGE, "the picture is larger than 20 MB; send a smaller one"
    )


@router.put(
    "/{name}/reference",
    response_model=EditPreviewOut,
    summary="Upload a character's reference picture",
    responses={**_CONFLICT, **_TOO_LARGE},
    openapi_extra=multipart_body(
        file=file_field("PNG, JPEG or WebP under 20 MB (MiniMax's frame rules, the stricter).")
    ),
)
async def upload_reference(
    request: Request, manager: Manager, job: JobDep, name: Name, dry_run: DryRun = False
) -> EditPreviewOut:
    await _character(job, name)
    form = await read_form(request, limit=MAX_BODY_BYTES, too_large=_too_large, fields="file")
    try:
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise validation_problem(UsageError("is missing", field="file", fix="attach a picture"))
        data = await upload.read(MAX_PICTURE_BYTES + 1)
    finally:
        await form.close()
    try:
        mime = await asyncio.to_thread(check_image_bytes, data, "file")
    except MiniMaxValidationError as error:
        raise validation_problem(error) from None
    relative = picture_name(hashlib.sha256(data).hexdigest(), _SUFFIXES[mime])
    target = job.output_dir / relative

    async def save(_: object) -> None:
        # Once the edit is certain to apply; content-named, so a file an earlier frame was drawn
        # from is never replaced.
        def write() -> None:
            target.parent.mkdir(parents=True, exist_ok=True)
            write_bytes_atomic_sync(target, data)

        await asyncio.to_thread(write)

    def change(c: Character) -> Character:
        return c.model_copy(update={"picture": relative})

    return await apply_edit(
        manager, job, _mutation(name, change), dry_run=dry_run, before_commit=save
    )


__all__ = ["MAX_BODY_BYTES", "PICTURE_PATH", "reference_url", "router"]
