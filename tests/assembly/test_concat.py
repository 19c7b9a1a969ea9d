"""concat_segments on real segments: stream copy, re-encode, fallback, burned captions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import av
import pytest
from PIL import Image, ImageChops, ImageStat

from storyreel.assembly import concat
from storyreel.assembly.concat import concat_segments
from storyreel.assembly.probe import MediaInfo, probe
from storyreel.assembly.segment import mux_segment
from storyreel.assembly.subtitles import Cue, write_srt
from storyreel.errors import MediaError

from .conftest import SPEC, names


def _check_joined(out: Path, parts: list[Path]) -> MediaInfo:
    infos = [probe(p) for p in parts]
    info = probe(out, decode=True)
    assert info.duration == pytest.approx(sum(i.duration for i in infos), abs=0.1 * len(parts))
    assert info.video is not None and info.audio is not None
    assert (info.video.codec, info.audio.codec) == ("h264", "aac")
    assert (info.video.width, info.video.height) == SPEC.size
    assert info.video.start_time == 0.0 and info.audio.start_time == 0.0
    assert info.video.frames == sum(i.video.frames for i in infos if i.video)
    assert info.audio.duration == pytest.approx(info.duration, abs=0.025)
    with out.open("rb") as f:  # faststart: the index (moov) comes before the media (mdat)
        head = f.read(64 * 1024)
    assert 0 <= head.find(b"moov") < head.find(b"mdat")
    return info


def _frame_at(path: Path, seconds: float) -> Image.Image:
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            if float(frame.pts * frame.time_base) >= seconds:
                return frame.to_image()
    raise AssertionError(f"no frame at {seconds} s")


async def test_matching_segments_are_stream_copied(segments: list[Path], tmp_path: Path) -> None:
    out = tmp_path / "final.mp4"
    info = await concat_segments(segments, out, SPEC)
    assert info.path == out
    _check_joined(out, segments)
    first = probe(segments[0])
    assert info.video is not None and first.video is not None
    assert info.video.extradata_sha1 == first.video.extradata_sha1  # copied, not re-encoded
    assert names(tmp_path) == ["final.mp4"]  # no temporary left behind


async def test_different_segments_are_reencoded(
    segments: list[Path], media: dict[str, Path], tmp_path: Path
) -> None:
    small = tmp_path / "small.mp4"
    await mux_segment(
        media["clip_wide"], media["short"], small, replace(SPEC, width=256, height=144)
    )
    parts = [segments[0], small]
    out = tmp_path / "final.mp4"
    await concat_segments(parts, out, SPEC)
    _check_joined(out, parts)


async def test_copy_that_fails_verification_falls_back_to_reencode(
    segments: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[bool] = []
    real = concat.duration_matches

    def fail_first(result: MediaInfo, infos: list[MediaInfo]) -> bool:
        calls.append(True)
        return len(calls) > 1 and real(result, infos)

    argvs: list[Sequence[str]] = []
    real_run = concat.run_ffmpeg

    async def recording_run(args: Sequence[str], **kwargs: Any) -> None:
        argvs.append(args)
        await real_run(args, **kwargs)

    monkeypatch.setattr(concat, "duration_matches", fail_first)
    monkeypatch.setattr(concat, "run_ffmpeg", recording_run)
    out = tmp_path / "final.mp4"
    await concat_segments(segments[:2], out, SPEC)
    assert len(calls) == 2
    assert "copy" in argvs[0]  # tried the stream copy first,
    assert any("concat=n=2" in arg for arg in argvs[1])  # then the concat filter
    _check_joined(out, segments[:2])


async def test_burned_captions_show_at_their_time(segments: list[Path], tmp_path: Path) -> None:
    srt_path = write_srt([Cue(0.3, 1.5, "Hello there,\nlittle clock")], tmp_path / "final.srt")
    plain, burned = tmp_path / "plain.mp4", tmp_path / "burned.mp4"
    await concat_segments(segments, plain, SPEC)
    await concat_segments(segments, burned, SPEC, subtitles=srt_path, burn_subtitles=True)
    _check_joined(burned, segments)

    def bottom_difference(seconds: float) -> float:
        a, b = _frame_at(plain, seconds), _frame_at(burned, seconds)
        box = (0, int(SPEC.height * 0.6), SPEC.width, SPEC.height)
        return max(ImageStat.Stat(ImageChops.difference(a.crop(box), b.crop(box))).mean)

    assert bottom_difference(1.0) > 10  # the caption is there
    assert bottom_difference(2.5) < 3  # and gone after its end


async def test_part_without_audio_is_refused(media: dict[str, Path], tmp_path: Path) -> None:
    with pytest.raises(MediaError, match=r"clip\.mp4"):
        await concat_segments([media["clip"]], tmp_path / "o.mp4", SPEC)
    assert not (tmp_path / "o.mp4").exists()
