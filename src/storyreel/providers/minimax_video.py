"""Clips from MiniMax Hailuo-02 first-and-last-frame video (FL2V).

``submit`` normalises both keyframes (same size, JPEG, within MiniMax's frame rules) and starts
the task; ``fetch`` waits for it (polling, or woken early by a webhook) and downloads the MP4.
The two steps are apart so the job store records the task id before any waiting: a crash
between them resumes the same paid task instead of starting a second one.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import tempfile
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from storyreel.assembly.timing import CLIP_DURATIONS
from storyreel.config import Settings
from storyreel.errors import ConfigError, MediaError, ProviderError
from storyreel.files import partial_path
from storyreel.minimax import (
    AsyncMiniMax,
    BeforeSend,
    BeforeWait,
    ContentPolicyError,
    MiniMaxError,
    MiniMaxValidationError,
    TaskFailedError,
    TaskTimeoutError,
    VideoTask,
    validate_video,
)
from storyreel.providers._minimax_common import PROVIDER, provider_error
from storyreel.providers.base import DOWNLOADING, ClipRequest, ProgressFn
from storyreel.providers.hooks import WakeRegistry

log = logging.getLogger(__name__)

STAGE = "video"
# MiniMax's frame rules: short side > 300 px, aspect between 2:5 and 5:2, under 20 MB.
MIN_SHORT_SIDE = 301
MAX_ASPECT = 5 / 2
# Frames travel as base64 data URLs; 1920 px wide JPEGs stay well under a megabyte.
MAX_LONG_SIDE = 1920
# A small frame is scaled up to the 768P the clip is rendered at.
UPSCALE_SHORT_SIDE = 768
JPEG_QUALITY = 90
# Rough share of the wait spent in each status, for progress bars.
STATUS_PROGRESS = {"Preparing": 0.05, "Queueing": 0.1, "Processing": 0.4, "Success": 0.9}
# Hailuo-02 renders first+last-frame clips at 768P or 1080P only: a 720P video is made from
# 768P clips (billed as such), and takes their size (see NATIVE_CLIPS).
CLIP_RESOLUTIONS = {"720P": "768P"}
# What Hailuo-02 delivers (third-party API pages; the query's video_width/video_height agree):
# H.264 yuv420p at 25 fps, 768P as 1366x768 and 1080P as 1920x1080, the first frame's shape
# (portrait 768x1366 and 1080x1920). The output adopts it, so a clip is copied into its
# segment instead of re-encoded (and frame-rate converted). Square clips are not documented:
# None, so they are re-encoded to the canvas.
NATIVE_CLIPS: dict[str, dict[str, dict[str, tuple[int, int, int]]]] = {
    "MiniMax-Hailuo-02": {
        "16:9": {"768P": (1366, 768, 25), "1080P": (1920, 1080, 25)},
        "9:16": {"768P": (768, 1366, 25), "1080P": (1080, 1920, 25)},
    },
}
CONTENT_POLICY_INPUT = 1026
CONTENT_POLICY_OUTPUT = 1027


def _fit_rules(size: tuple[int, int]) -> tuple[tuple[int, int], tuple[int, int]]:
    """(crop size, final size) that bring ``size`` within MiniMax's frame rules."""
    width, height = size
    # Crop an extreme aspect down to the limit, keeping the centre.
    if width / height > MAX_ASPECT:
        width = int(height * MAX_ASPECT)
    elif height / width > MAX_ASPECT:
        height = int(width * MAX_ASPECT)
    crop = (width, height)
    scale = 1.0
    if min(width, height) < MIN_SHORT_SIDE:
        scale = UPSCALE_SHORT_SIDE / min(width, height)
    elif max(width, height) > MAX_LONG_SIDE:
        scale = MAX_LONG_SIDE / max(width, height)
    # Within 5:2 a short side of 768 gives a long side of at most 1920, so one scale suffices.
    return crop, (round(width * scale), round(height * scale))


def prepare_frames(first: Path, last: Path, workdir: Path) -> tuple[Path, Path]:
    """Both keyframes as JPEGs of one size that MiniMax accepts (blocking; run in a thread).

    The clip takes its aspect from the first frame and crops the last one to it, so the last
    frame is fitted to the first's size here rather than leaving the crop to the service.
    """
    try:
        with Image.open(first) as img:
            head = ImageOps.exif_transpose(img).convert("RGB")
        with Image.open(last) as img:
            tail = ImageOps.exif_transpose(img).convert("RGB")
    except (OSError, UnidentifiedImageError) as exc:
        raise MediaError(f"cannot read a keyframe for the video: {exc}") from exc
    crop, final = _fit_rules(head.size)
    if crop != head.size:
        head = ImageOps.fit(head, crop, method=Image.Resampling.LANCZOS)
    if head.size != final:
        head = head.resize(final, Image.Resampling.LANCZOS)
    if tail.size != final:
        tail = ImageOps.fit(tail, final, method=Image.Resampling.LANCZOS)
    first_out = workdir / "first.jpg"
    last_out = workdir / "last.jpg"
    head.save(first_out, format="JPEG", quality=JPEG_QUALITY)
    tail.save(last_out, format="JPEG", quality=JPEG_QUALITY)
    return first_out, last_out


def _with_camera(prompt: str, camera: str) -> str:
    if camera and f"[{camera}]".lower() not in prompt.lower():
        return f"[{camera}] {prompt}"
    return prompt


def check_video_settings(model: str, resolution: str) -> None:
    """ConfigError unless ``model`` makes first-last-frame clips at ``resolution`` in every
    length a segment may need (narration-first durations are 6 or 10 s; 1080P renders 6 s)."""
    res = CLIP_RESOLUTIONS.get(resolution.upper(), resolution.upper())
    durations = CLIP_DURATIONS[:1] if res == "1080P" else CLIP_DURATIONS
    try:
        for duration in durations:
            validate_video(model=model, mode="fl2v", duration=duration, resolution=res)
    except MiniMaxValidationError as exc:
        field = "STORYREEL_VIDEO_MODEL" if exc.field == "model" else "--resolution"
        raise ConfigError(str(exc), field=field) from None


class MiniMaxVideoGen:
    """FL2V clips with ``settings.video_model`` (MiniMax-Hailuo-02)."""

    name = "minimax"
    paid = True

    def __init__(
        self,
        settings: Settings,
        *,
        client: AsyncMiniMax | None = None,
        callback_url: str | None = None,
        wakes: WakeRegistry | None = None,
    ) -> None:
        self.model = settings.video_model
        self.callback_url = callback_url
        self.wakes = wakes
        self._owns_client = client is None
        self._client = client if client is not None else AsyncMiniMax(settings.minimax)

    def __repr__(self) -> str:
        return f"MiniMaxVideoGen(model={self.model!r})"

    def describe(self) -> str:
        mock = ", mock" if self._client.mocked else ""
        return f"minimax ({self.model}{mock})"

    async def aclose(self) -> None:
        if self._owns_client:
            await self._client.aclose()

    def native_clip(self, resolution: str, aspect: str = "16:9") -> tuple[int, int, int] | None:
        """(width, height, fps) of the clips made for ``resolution`` from ``aspect`` frames,
        when known."""
        res = CLIP_RESOLUTIONS.get(resolution.upper(), resolution.upper())
        return NATIVE_CLIPS.get(self.model, {}).get(aspect, {}).get(res)

    def check(self, resolution: str) -> None:
        """Refuse, before anything is paid, settings no clip of this job could be made with."""
        check_video_settings(self.model, resolution)

    async def submit(
        self,
        request: ClipRequest,
        *,
        before_send: BeforeSend | None = None,
        before_wait: BeforeWait | None = None,
    ) -> str:
        workdir = Path(await asyncio.to_thread(tempfile.mkdtemp, prefix="storyreel-fl2v-"))
        try:
            first, last = await asyncio.to_thread(
                prepare_frames, request.first_frame, request.last_frame, workdir
            )
            task_id = await self._client.generate_video_fl2v(
                _with_camera(request.prompt, request.camera),
                first,
                last,
                model=self.model,
                duration=request.duration,
                resolution=CLIP_RESOLUTIONS.get(request.resolution.upper(), request.resolution),
                callback_url=self.callback_url,
                before_send=before_send,
                before_wait=before_wait,
            )
        except ContentPolicyError as exc:
            raise provider_error(
                exc,
                stage=STAGE,
                segment=request.segment,
                message=f"content policy rejected the prompt or its frames "
                f"({exc.code or CONTENT_POLICY_INPUT}); edit segment {request.segment}'s "
                "video_prompt (or its frame prompts) and render again",
            ) from exc
        except MiniMaxError as exc:
            raise provider_error(exc, stage=STAGE, segment=request.segment) from exc
        finally:
            await asyncio.to_thread(shutil.rmtree, workdir, True)
        log.info("segment %d: video task %s submitted", request.segment, task_id)
        return task_id

    async def fetch(
        self, job_id: str, request: ClipRequest, out: Path, progress: ProgressFn | None = None
    ) -> Path:
        def on_status(task: VideoTask) -> None:
            if progress is not None:
                progress(STATUS_PROGRESS.get(task.status, 0.4), task.status)

        def on_bytes(done: int, total: int | None) -> None:
            if progress is not None and total:
                progress(0.9 + 0.1 * min(done / total, 1.0), DOWNLOADING)

        wake = self.wakes.event(job_id) if self.wakes is not None else None
        try:
            task = await self._client.wait_for_video(job_id, on_status=on_status, wake=wake)
            if not task.file_id:
                raise ProviderError(
                    f"task {job_id} succeeded without a file id",
                    stage=STAGE,
                    provider=PROVIDER,
                    segment=request.segment,
                    retryable=True,
                )
            part = partial_path(out)
            await asyncio.to_thread(out.parent.mkdir, parents=True, exist_ok=True)
            if progress is not None:  # said even when the size is unknown: the timeline's mark
                progress(STATUS_PROGRESS["Success"], DOWNLOADING)
            await self._client.download_file(task.file_id, part, on_progress=on_bytes)
            size = await asyncio.to_thread(lambda: part.stat().st_size)
            if size == 0:
                raise ProviderError(
                    f"the clip of task {job_id} downloaded empty",
                    stage=STAGE,
                    provider=PROVIDER,
                    segment=request.segment,
                    retryable=True,
                )
            await asyncio.to_thread(os.replace, part, out)
        except TaskFailedError as exc:
            raise provider_error(
                exc, stage=STAGE, segment=request.segment, message=_failure_message(exc, request)
            ) from exc
        except TaskTimeoutError as exc:
            raise ProviderError(
                f"task {job_id} is still not finished; it keeps running on MiniMax, resume later "
                "to pick it up",
                stage=STAGE,
                provider=PROVIDER,
                segment=request.segment,
                code="timeout",
                trace_id=exc.trace_id,
                retryable=True,
            ) from exc
        except MiniMaxError as exc:
            # The task itself did not fail: it is still there to fetch again later.
            error = provider_error(exc, stage=STAGE, segment=request.segment)
            error.outcome, error.retryable = "transient", True
            raise error from exc
        finally:
            if self.wakes is not None:
                self.wakes.discard(job_id)
        if progress is not None:
            progress(1.0, "Success")
        return out


def _failure_message(exc: TaskFailedError, request: ClipRequest) -> str:
    if exc.code == CONTENT_POLICY_OUTPUT:
        return (
            f"content policy rejected the generated video ({CONTENT_POLICY_OUTPUT}); edit "
            f"segment {request.segment}'s video_prompt (or its frames) and render again"
        )
    if exc.code == CONTENT_POLICY_INPUT:
        return (
            f"content policy rejected the prompt or its frames ({CONTENT_POLICY_INPUT}); edit "
            f"segment {request.segment}'s video_prompt (or its frame prompts) and render again"
        )
    return f"video task {exc.task_id} failed: {exc.message}"
