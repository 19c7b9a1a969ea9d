"""``GET /jobs/{id}/timeline.png``: where a job's time went, drawn from its stored events."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Response, status

from storyreel.api.deps import Authorized, JobDep, State
from storyreel.api.errors import ERROR_RESPONSES
from storyreel.pipeline.timeline_image import job_timeline_png

router = APIRouter(
    prefix="/jobs", tags=["jobs"], dependencies=[Authorized], responses=ERROR_RESPONSES
)


@router.get(
    "/{job_id}/timeline.png",
    summary="The job's timeline picture",
    response_class=Response,
    responses={200: {"content": {"image/png": {}}, "description": "The PNG."}},
)
async def job_timeline(job: JobDep, state: State) -> Response:
    """Each segment's stages (speech, keyframes, the clip's create, rate-limit wait, render and
    download, the mux) and the assembly on a time axis, for the job's last run. 404 until a
    step of it has started. Drawn on each request (in a thread): a running job's grows."""
    picture = await job_timeline_png(state.store, job)
    if picture is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"job {job.id} has no timeline yet")
    # A running job's picture changes; a finished one's only if the job is resumed.
    return Response(picture, media_type="image/png", headers={"Cache-Control": "no-cache"})
