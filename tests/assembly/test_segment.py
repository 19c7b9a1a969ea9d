"""mux_segment on real (tiny) media, checked by decoding the result."""

from __future__ import annotations

import asyncio
import math
from pathlib import Path

import av
import pytest
from PIL import ImageChops, ImageStat

from storyreel.assembly.commands import loudness_args, parse_loudness
from storyreel.assembly.ffmpeg import run_ffmpeg
from storyreel.assembly.probe import probe
from storyreel.assembly.segment import mux_segment
from storyreel.assembly.timing import LEAD_IN, TAIL
from storyreel.errors import MediaError

from .conftest import SPEC, audio_rms, ffmpeg, make_speech, names


def _check_normalised(path: Path, seconds: float) -> None:
    info = probe(path, decode=True)
    assert info.duration == pytest.approx(seconds, abs=0.03)
    assert info.video is not None and info.audio is not None
    assert (info.video.width, info.video.height) == SPEC.size
    assert info.video.fps == SPEC.fps and info.video.pix_fmt == "yuv420p"
    assert info.video.frames == round(seconds * SPEC.fps)
    assert info.video.start_time == 0.0 and info.audio.start_time == 0.0
    assert (info.audio.codec, info.audio.sample_rate, info.audio.channels) == ("aac", 48000, 2)
    # decoded samples cover the segment: no gap hidden behind timestamps (one AAC frame slack)
    assert info.audio.duration == pytest.approx(seconds, abs=0.025)


async def test_speech_shorter_than_clip(media: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "seg.mp4"
    progress: list[float] = []
    info = await mux_segment(media["clip_wide"], media["short"], out, SPEC, progress.append)
    assert info.path == out
    _check_normalised(out, 2.0)
    assert progress[-1] == 1.0
    # silent lead-in, then the narration, then silence again
    assert audio_rms(out, 0.0, LEAD_IN - 0.05) < 0.001
    assert audio_rms(out, LEAD_IN + 0.1, LEAD_IN + 0.7) > 0.05
    assert audio_rms(out, LEAD_IN + 0.85, 2.0) < 0.001


async def test_narration_is_loudness_normalised(media: dict[str, Path], tmp_path: Path) -> None:
    quiet = tmp_path / "quiet.wav"
    ffmpeg(
        "-f",
        "lavfi",
        "-i",
        "sine=f=440:r=22050:d=1.5,volume=-20dB",
        "-c:a",
        "pcm_s16le",
        str(quiet),
    )
    for narration in (quiet, media["long"]):
        out = tmp_path / f"seg_{narration.stem}.mp4"
        await mux_segment(media["clip_wide"], narration, out, SPEC)
        stderr = await run_ffmpeg(loudness_args(out, SPEC))
        # a pure tone has no dynamics: it lands on the target unless the peak ceiling holds it
        assert parse_loudness(stderr).integrated == pytest.approx(-16.0, abs=1.0)


async def test_speech_longer_than_clip_holds_the_last_frame(
    media: dict[str, Path], tmp_path: Path
) -> None:
    out = tmp_path / "seg.mp4"
    await mux_segment(media["clip_32"], media["long"], out, SPEC)
    total = math.ceil((LEAD_IN + 2.5 + TAIL) * 24) / 24  # rounded up to whole frames
    _check_normalised(out, total)
    with av.open(str(out)) as container:
        frames = [f.to_image() for f in container.decode(video=0)]
    held, last = frames[47], frames[-1]  # the clip's last frame, and the end of the hold
    assert max(ImageStat.Stat(ImageChops.difference(held, last)).mean) < 2
    assert max(ImageStat.Stat(ImageChops.difference(frames[0], held)).mean) > 2  # it moved before


async def test_matching_clip_is_copied_not_reencoded(
    media: dict[str, Path], tmp_path: Path
) -> None:
    out = tmp_path / "seg.mp4"
    info = await mux_segment(media["clip"], media["short"], out, SPEC)
    source = probe(media["clip"])
    assert info.video is not None and source.video is not None
    assert info.video.extradata_sha1 == source.video.extradata_sha1
    _check_normalised(out, 2.0)
    forced = await mux_segment(
        media["clip"], media["short"], tmp_path / "b.mp4", SPEC, allow_copy=False
    )
    assert forced.video is not None
    assert forced.video.extradata_sha1 != source.video.extradata_sha1  # our x264 settings


async def test_clip_without_video_becomes_black(media: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "seg.mp4"
    await mux_segment(media["long"], media["short"], out, SPEC)  # an audio file as the "clip"
    _check_normalised(out, math.ceil((LEAD_IN + 0.8 + TAIL) * 24) / 24)  # in whole frames


async def test_no_narration_gives_silence(media: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "seg.mp4"
    await mux_segment(media["clip_wide"], None, out, SPEC)
    _check_normalised(out, 2.0)
    assert audio_rms(out, 0.0, 2.0) == 0.0


async def test_missing_or_empty_inputs_raise_naming_the_file(
    media: dict[str, Path], tmp_path: Path
) -> None:
    empty = tmp_path / "empty.wav"
    empty.touch()
    with pytest.raises(MediaError, match=r"empty\.wav"):
        await mux_segment(media["clip"], empty, tmp_path / "o.mp4", SPEC)
    with pytest.raises(MediaError, match=r"nope\.mp4"):
        await mux_segment(tmp_path / "nope.mp4", media["short"], tmp_path / "o.mp4", SPEC)
    assert not (tmp_path / "o.mp4").exists()


async def test_cancel_kills_ffmpeg_and_leaves_no_file(
    media: dict[str, Path], tmp_path: Path
) -> None:
    speech = make_speech(tmp_path / "speech.wav", 20.0)
    out = tmp_path / "seg.mp4"
    task: asyncio.Task[object]

    def cancel_on_first_progress(_: float) -> None:
        task.cancel()  # ffmpeg is running: it reported progress

    task = asyncio.create_task(
        mux_segment(media["clip_wide"], speech, out, SPEC, cancel_on_first_progress)
    )
    with pytest.raises(asyncio.CancelledError):
        await task
    assert names(tmp_path) == [speech.name]  # no segment, no temporary
