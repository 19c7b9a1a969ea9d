"""A job's downloads (``/subtitles``, ``/manifest``) and ``DELETE /jobs/{id}``, which removes the
job and its files."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

from fastapi import APIRouter, HTTPException, Response, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse

from storyreel.api.deps import Authorized, JobDep, Manager, SettingsDep
from storyreel.api.errors import ERROR_RESPONSES
from storyreel.api.schemas import Problem
from storyreel.errors import JobError
from storyreel.pipeline.layout import OutputLayout

log = logging.getLogger(__name__)

router = APIRouter(
    prefix="/jobs", tags=["jobs"], dependencies=[Authorized], responses=ERROR_RESPONSES
)

# Deleting these would pull the job from under its runner: cancel first.
BUSY_STATUSES = ("queued", "running")


def _download(path: Path, what: str, job_id: str, media_type: str, filename: str) -> FileResponse:
    if not path.is_file():
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"job {job_id} has no {what} yet")
    return FileResponse(path, media_type=media_type, filename=filename)  # attachment


@router.get(
    "/{job_id}/subtitles",
    summary="The subtitles (.srt), as a download",
    response_class=FileResponse,
    responses={200: {"content": {"application/x-subrip": {}}, "description": "The .srt."}},
)
def job_subtitles(job: JobDep) -> FileResponse:  # a plain def: file work in the thread pool
    return _download(
        OutputLayout(job.output_dir).subtitles,
        "subtitles",
        job.id,
        "application/x-subrip; charset=utf-8",
        f"storyreel-{job.id}.srt",
    )


@router.get(
    "/{job_id}/manifest",
    summary="The manifest (what was made, providers, spend), as a download",
    response_class=FileResponse,
    responses={200: {"content": {"application/json": {}}, "description": "manifest.json."}},
)
def job_manifest(job: JobDep) -> FileResponse:
    return _download(
        OutputLayout(job.output_dir).manifest,
        "manifest",
        job.id,
        "application/json",
        f"storyreel-{job.id}-manifest.json",
    )


@router.delete(
    "/{job_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Delete a job and its files",
    responses={409: {"model": Problem, "description": "The job is queued or running."}},
)
async def delete_job(job: JobDep, manager: Manager, settings: SettingsDep) -> Response:
    """Forget a job that is not queued or running: its record, steps, spend and events, and its
    folder when the service made it (a ``storyreel make --out DIR`` folder is the user's own
    and stays)."""
    if job.status in BUSY_STATUSES or await manager.is_active(job.id):
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            f"job {job.id} is {job.status}: cancel it first (POST /jobs/{job.id}/cancel)",
        )
    try:
        await manager.store.delete_job(job.id)
    except JobError:  # deleted meanwhile by another request
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no job {job.id!r}") from None
    await run_in_threadpool(_remove_folder, job.output_dir, settings.data_dir / "jobs")
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def _remove_folder(folder: Path, jobs_root: Path) -> None:
    folder, jobs_root = folder.resolve(), jobs_root.resolve()
    if folder == jobs_root or not folder.is_relative_to(jobs_root):
        log.info("job folder %s is not the service's: kept", folder)
        return
    # The record is gone already: a file that cannot be removed is logged, not an error.
    shutil.rmtree(folder, onerror=lambda _f, path, exc: log.warning("cannot remove %s", path))
