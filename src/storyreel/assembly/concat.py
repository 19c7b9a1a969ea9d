"""Joining segments into the final video.

Stream copy (concat demuxer) when the probes of all parts agree, then the result is checked: its
duration must be the sum of the parts. Otherwise, or when that check fails, one re-encode with
the concat filter. Burned captions always cost one video re-encode (never two).

The audio is re-encoded in every case, so the mix (the music bed, ducked under the narration) and
the master (gain to -16 LUFS measured beforehand by an audio-only pass, peak limiter) ride along
in the same pass at no extra cost for the picture.
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path

from storyreel.assembly.commands import (
    JoinedAudio,
    concat_burn_args,
    concat_copy_args,
    concat_list,
    concat_reencode_args,
)
from storyreel.assembly.ffmpeg import atomic_output, run_ffmpeg
from storyreel.assembly.mix import plan_mix
from storyreel.assembly.mix_commands import FinalMix, Music
from storyreel.assembly.probe import MediaInfo, probe
from storyreel.assembly.spec import OutputSpec
from storyreel.assembly.subtitles import (
    CAPTION_STYLES,
    DEFAULT_CAPTION_STYLE,
    caption_track,
    read_srt,
)
from storyreel.errors import MediaError

log = logging.getLogger(__name__)

# NarratoAI's rule: a joined file may differ from the sum of its parts by this much per part.
TOLERANCE_PER_PART = 0.1


@dataclass(frozen=True)
class StreamSignature:
    """What must be equal for two files to be joined without re-encoding."""

    video_codec: str
    width: int
    height: int
    fps: Fraction
    pix_fmt: str
    video_extradata: str
    audio_codec: str
    sample_rate: int
    channels: int
    audio_extradata: str


def signature(info: MediaInfo) -> StreamSignature:
    if info.video is None or info.audio is None:
        raise MediaError(f"{info.path}: a segment needs both a video and an audio stream")
    v, a = info.video, info.audio
    return StreamSignature(
        v.codec, v.width, v.height, v.fps, v.pix_fmt, v.extradata_sha1,
        a.codec, a.sample_rate, a.channels, a.extradata_sha1,
    )  # fmt: skip


def copy_compatible(infos: Sequence[MediaInfo], spec: OutputSpec) -> bool:
    """True when every part has the same stream parameters, and those are the spec's."""
    sigs = {signature(i) for i in infos}
    if len(sigs) != 1:
        return False
    (sig,) = sigs
    return (
        (sig.width, sig.height) == spec.size
        and sig.fps == spec.fps
        and sig.pix_fmt == spec.pix_fmt
        and sig.video_codec == "h264"
        and sig.audio_codec == spec.audio_codec
        and sig.sample_rate == spec.sample_rate
        and sig.channels == spec.channels
    )


def duration_matches(result: MediaInfo, infos: Sequence[MediaInfo]) -> bool:
    expected = sum(i.duration for i in infos)
    return abs(result.duration - expected) <= TOLERANCE_PER_PART * len(infos)


async def concat_segments(
    parts: list[Path],
    out: Path,
    spec: OutputSpec,
    *,
    subtitles: Path | None = None,
    burn_subtitles: bool = False,
    subtitle_style: str = DEFAULT_CAPTION_STYLE,
    speech: Sequence[tuple[float, float]] = (),
    music: Music | None = None,
    on_progress: Callable[[float], None] | None = None,
) -> MediaInfo:
    """Join ``parts`` into ``out`` (H.264/AAC, faststart); return the probe of the result.

    Stream copy when all parts match, else one re-encode; ``burn_subtitles`` draws the cues of
    the ``subtitles`` SRT file onto the picture (legible without any system font) in the
    named ``subtitle_style`` (see ``subtitles.CAPTION_STYLES``). ``music``
    lays a bed under the narration, ducked during the ``speech`` spans (seconds in the joined
    video); the result is at -16 LUFS either way.
    """
    if not parts:
        raise MediaError(f"{out}: nothing to join")
    if burn_subtitles and subtitles is None:
        raise ValueError("burn_subtitles needs the subtitles file")
    infos = await asyncio.gather(*(asyncio.to_thread(probe, p) for p in parts))
    for info in infos:
        signature(info)  # raises MediaError naming the part without audio or video
    expected = sum(i.duration for i in infos)
    copyable = copy_compatible(infos, spec)

    with tempfile.TemporaryDirectory(prefix="storyreel-concat-") as work_dir:
        work = Path(work_dir)
        playlist = work / "parts.ffconcat"
        playlist.write_text(concat_list(parts), encoding="utf-8")
        narration = (
            JoinedAudio.of_playlist(playlist) if copyable else JoinedAudio.of_parts(parts, spec)
        )
        mix = FinalMix(
            await plan_mix(narration, total=expected, speech=speech, music=music, spec=spec),
            spec,
        )
        captions: Path | None = None
        if burn_subtitles and subtitles is not None:
            cues = read_srt(subtitles)
            style = CAPTION_STYLES[subtitle_style]
            captions = await asyncio.to_thread(caption_track, cues, spec, work, expected, style)

        async def render(args_for: Callable[[Path], list[str]]) -> MediaInfo:
            with atomic_output(out) as tmp:
                await run_ffmpeg(args_for(tmp), expected_seconds=expected, on_progress=on_progress)
                result = await asyncio.to_thread(probe, tmp)
                if not duration_matches(result, infos):
                    raise MediaError(
                        f"{out}: joined video lasts {result.duration:.3f} s, "
                        f"the parts sum to {expected:.3f} s"
                    )
            return replace(result, path=out)

        if copyable:
            try:
                if captions is not None:
                    caps = captions
                    return await render(
                        lambda tmp: concat_burn_args(playlist, caps, tmp, spec, audio=mix)
                    )
                return await render(lambda tmp: concat_copy_args(playlist, tmp, spec, audio=mix))
            except MediaError as exc:
                log.warning("joining by stream copy failed (%s); re-encoding", exc)
        else:
            log.info("segments differ in stream parameters; joining by re-encoding")
        return await render(
            lambda tmp: concat_reencode_args(parts, tmp, spec, captions=captions, audio=mix)
        )
