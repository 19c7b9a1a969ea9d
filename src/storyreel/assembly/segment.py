"""One segment = one clip + its narration, normalised to the OutputSpec in a single FFmpeg call.

Every segment leaves here with identical stream parameters (codec, size, fps, pixel format,
audio rate and layout), so the final concat can stream-copy.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from storyreel.assembly.commands import loudness_args, parse_loudness, segment_args
from storyreel.assembly.ffmpeg import atomic_output, run_ffmpeg
from storyreel.assembly.probe import MediaInfo, VideoInfo, probe
from storyreel.assembly.spec import OutputSpec
from storyreel.assembly.timing import SegmentTiming, plan_timing
from storyreel.errors import MediaError

log = logging.getLogger(__name__)

# A segment may come out this much longer or shorter than planned (AAC frames, mp4 rounding).
DURATION_TOLERANCE = 0.1


def can_copy_video(video: VideoInfo | None, spec: OutputSpec, timing: SegmentTiming) -> bool:
    """True when the clip's video already is what the segment needs, so re-encoding would only
    lose quality and time: H.264 at the spec's size, fps and pixel format, starting at 0, long
    enough that no frame has to be held."""
    if video is None:
        return False
    return (
        video.codec == "h264"
        and spec.video_codec == "libx264"
        and (video.width, video.height) == spec.size
        and video.fps == spec.fps
        and video.pix_fmt == spec.pix_fmt
        and video.sar in (0, 1)
        and abs(video.start_time) < 1e-3
        and video.duration > 0
        # within half a frame: the clip covers the segment, nothing to hold
        and timing.total - video.duration < 0.5 / spec.fps
    )


@dataclass(frozen=True)
class MuxPlan:
    """What muxing a clip with its narration takes: the segment's timing, and whether the
    clip's video goes in as it is (stream copy) or is re-encoded to the spec."""

    clip: MediaInfo
    timing: SegmentTiming
    copy_video: bool


async def plan_mux(
    clip: Path, narration: Path | None, spec: OutputSpec, *, allow_copy: bool = True
) -> MuxPlan:
    """Probe both inputs and decide the segment's timing and whether its video is copied."""
    clip_info = await asyncio.to_thread(probe, clip)
    speech_info = await asyncio.to_thread(probe, narration) if narration is not None else None
    if speech_info is not None and speech_info.audio is None:
        raise MediaError(f"{narration}: the narration has no audio stream")
    speech_seconds = 0.0
    if speech_info is not None and speech_info.audio is not None:
        speech_seconds = speech_info.audio.duration or speech_info.duration
    video = clip_info.video
    clip_seconds = (video.duration or clip_info.duration) if video else 0.0
    timing = plan_timing(clip_seconds, speech_seconds, fps=spec.fps)
    copy_video = allow_copy and can_copy_video(video, spec, timing)
    return MuxPlan(clip_info, timing, copy_video)


async def mux_segment(
    clip: Path,
    narration: Path | None,
    out: Path,
    spec: OutputSpec,
    on_progress: Callable[[float], None] | None = None,
    *,
    allow_copy: bool = True,
) -> MediaInfo:
    """Mux ``clip`` and ``narration`` into the normalised segment ``out``; return its probe.

    The segment lasts the clip, or the narration with lead-in and tail when that is longer (the
    last frame is held). A clip without a video stream becomes black; ``narration=None`` gives
    silence. Raises :class:`MediaError` naming the file when an input is missing or unreadable.
    ``allow_copy=False`` forces a re-encode of clips that could be copied.
    """
    plan = await plan_mux(clip, narration, spec, allow_copy=allow_copy)
    timing, copy_video = plan.timing, plan.copy_video
    if plan.clip.video is None:
        log.warning("%s has no video stream; the segment will be black", clip)
    gain_db = await measure_gain(narration, spec) if narration is not None else 0.0
    log.debug("segment %s: %s, copy video: %s", out.name, timing, copy_video)

    source = clip if plan.clip.video is not None else None
    with atomic_output(out) as tmp:
        args = segment_args(
            source, narration, tmp, spec, timing, copy_video=copy_video, gain_db=gain_db
        )
        await run_ffmpeg(args, expected_seconds=timing.total, on_progress=on_progress)
        info = await asyncio.to_thread(probe, tmp)
        _check_segment(info, timing, out)
    return replace(info, path=out)


async def measure_gain(narration: Path, spec: OutputSpec) -> float:
    """First pass of the loudness normalisation: the gain that brings ``narration`` to target."""
    stderr = await run_ffmpeg(loudness_args(narration, spec))
    try:
        return parse_loudness(stderr).gain_db()
    except ValueError as exc:
        raise MediaError(f"{narration}: cannot measure the loudness ({exc})") from exc


def _check_segment(info: MediaInfo, timing: SegmentTiming, out: Path) -> None:
    if info.video is None or info.audio is None:
        raise MediaError(f"{out}: the segment lacks its video or audio stream")
    if abs(info.duration - timing.total) > DURATION_TOLERANCE:
        raise MediaError(
            f"{out}: the segment lasts {info.duration:.3f} s, {timing.total:.3f} s planned"
        )
