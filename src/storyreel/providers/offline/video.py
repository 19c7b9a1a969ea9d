"""Offline clips: FFmpeg dissolves the first keyframe into the last under the segment's camera
move (see :mod:`._motion`). No model, no network; the wheel's FFmpeg only."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from pathlib import Path

from storyreel.assembly.ffmpeg import run_ffmpeg
from storyreel.assembly.spec import DEFAULT_ASPECT, canvas
from storyreel.errors import ProviderError, UsageError
from storyreel.files import partial_path
from storyreel.providers.base import ClipRequest, ProgressFn
from storyreel.providers.hooks import BeforeSend, BeforeWait
from storyreel.providers.offline._base import OfflineProvider
from storyreel.providers.offline._motion import clip_argv
from storyreel.providers.offline.images.caption import caption_share

log = logging.getLogger(__name__)

JOB_PREFIX = "offline-"


def _digest(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError as exc:
        raise ProviderError(
            f"cannot read keyframe {path}: {exc.strerror or exc}", stage="video", provider="offline"
        ) from exc


def job_id_for(request: ClipRequest) -> str:
    """A job id that names the request and the keyframes' contents: same input, same id."""
    fields = {
        "segment": request.segment,
        "prompt": request.prompt,
        "camera": request.camera,
        "duration": request.duration,
        "resolution": request.resolution.upper(),
        "first": _digest(request.first_frame),
        "last": _digest(request.last_frame),
    }
    if request.aspect != DEFAULT_ASPECT:  # so a landscape job's recorded id stays valid
        fields["aspect"] = request.aspect
    blob = json.dumps(fields, sort_keys=True).encode()
    return JOB_PREFIX + hashlib.sha256(blob).hexdigest()[:24]


def _size(request: ClipRequest) -> tuple[int, int]:
    try:
        return canvas(request.resolution, request.aspect)
    except ValueError as exc:
        field = "aspect" if "aspect" in str(exc) else "resolution"
        raise UsageError(str(exc), field=field) from None


class OfflineVideoGen(OfflineProvider):
    """Clips rendered locally: a dissolve between the keyframes plus a camera move.

    ``submit`` renders nothing (there is no remote job to start); ``fetch`` renders, so a job
    recorded before a crash is simply rendered again.
    """

    def __init__(self, *, threads: int = 0) -> None:
        # 0 lets x264 and the filters pick; the orchestrator already bounds concurrent renders.
        self.threads = threads

    def check(self, resolution: str) -> None:
        # Any resolution renders locally; an unknown one is refused by the output spec.
        return None

    def native_clip(self, resolution: str, aspect: str = "16:9") -> tuple[int, int, int] | None:
        # Rendered straight at the output's own format: nothing to adopt.
        return None

    async def submit(
        self,
        request: ClipRequest,
        *,
        before_send: BeforeSend | None = None,
        before_wait: BeforeWait | None = None,
    ) -> str:
        # Nothing leaves the machine and nothing is billed: ``before_send`` has nothing to guard.
        _size(request)
        if request.duration <= 0:
            raise UsageError("the clip duration must be positive", field="duration")
        return await asyncio.to_thread(job_id_for, request)

    async def fetch(
        self, job_id: str, request: ClipRequest, out: Path, progress: ProgressFn | None = None
    ) -> Path:
        expected = await asyncio.to_thread(job_id_for, request)
        if job_id != expected:
            raise ProviderError(
                f"job {job_id} was made for another request (this one is {expected})",
                stage="video",
                provider="offline",
                segment=request.segment,
                code="job_mismatch",
            )
        caption = await asyncio.to_thread(caption_share, request.first_frame)
        out.parent.mkdir(parents=True, exist_ok=True)
        part = partial_path(out)
        argv = clip_argv(
            request.first_frame,
            request.last_frame,
            part,
            camera=request.camera,
            size=_size(request),
            duration=request.duration,
            caption=caption,
            threads=self.threads,
        )
        if progress:
            progress(0.0, "Rendering")

        def on_progress(fraction: float) -> None:
            if progress:
                progress(fraction, "Rendering")

        try:
            await run_ffmpeg(argv, expected_seconds=request.duration, on_progress=on_progress)
            part.replace(out)
        finally:
            part.unlink(missing_ok=True)
        log.debug("segment %s: rendered %s (%s)", request.segment, out, request.camera)
        if progress:
            progress(1.0, "Success")
        return out
