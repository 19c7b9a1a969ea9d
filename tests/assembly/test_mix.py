"""The final mix on real media: loudness on target with and without music (EBU R128 measured by
FFmpeg's ebur128 on the written file), the bed ducked under the speech, bad tracks refused."""

from __future__ import annotations

import asyncio
import math
from dataclasses import replace
from pathlib import Path

import pytest

from storyreel.assembly.commands import JoinedAudio, Loudness, concat_list, parse_loudness
from storyreel.assembly.concat import concat_segments
from storyreel.assembly.ffmpeg import run_ffmpeg
from storyreel.assembly.mix import check_music_file, plan_mix
from storyreel.assembly.mix_commands import FinalMix, Music
from storyreel.assembly.probe import probe
from storyreel.assembly.segment import mux_segment
from storyreel.assembly.timing import plan_timing
from storyreel.errors import UsageError

from .conftest import SPEC, audio_rms, ffmpeg, make_clip, make_speech


def loudness(path: Path) -> Loudness:
    stderr = asyncio.run(
        run_ffmpeg(
            [
                *("-i", str(path), "-map", "0:a:0"),
                *("-af", "ebur128=peak=true:framelog=quiet", "-f", "null", "-"),
            ]
        )
    )
    return parse_loudness(stderr)


def assert_on_target(path: Path) -> None:
    measured = loudness(path)
    assert measured.integrated == pytest.approx(-16.0, abs=1.0), measured
    assert measured.true_peak <= -1.5, measured


def make_track(path: Path, seconds: float) -> Path:
    # a chord-ish tone loud like a mastered track (about -10 LUFS): the bed must be turned down
    ffmpeg("-f", "lavfi", "-i", f"sine=f=220:d={seconds}", "-f", "lavfi", "-i",
           f"sine=f=330:d={seconds}", "-filter_complex", "amix=inputs=2:normalize=0,volume=6dB",
           "-c:a", "aac", str(path))  # fmt: skip
    return path


def speech_spans(parts: list[Path], speech_seconds: list[float]) -> list[tuple[float, float]]:
    spans, t = [], 0.0
    for part, seconds in zip(parts, speech_seconds, strict=True):
        length = probe(part).duration
        start = t + plan_timing(length, seconds).speech_start
        spans.append((start, start + seconds))
        t += length
    return spans


@pytest.fixture(scope="module")
def spaced(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Path], list[float]]:
    """Two 8 s segments, each with 1.5 s of "speech" at its start: long gaps for the bed."""
    d = tmp_path_factory.mktemp("spaced")
    clip = make_clip(d / "clip.mp4", seconds=8.0)
    speech = make_speech(d / "speech.wav", 1.5)
    parts = [d / "s0.mp4", d / "s1.mp4"]
    for part in parts:
        asyncio.run(mux_segment(clip, speech, part, SPEC))
    return parts, [1.5, 1.5]


def test_without_music_the_join_is_at_minus_16_lufs(segments: list[Path], tmp_path: Path) -> None:
    out = tmp_path / "final.mp4"
    asyncio.run(concat_segments(segments, out, SPEC))
    assert_on_target(out)


def test_with_the_synthesised_bed_the_join_is_at_minus_16_lufs(
    spaced: tuple[list[Path], list[float]], tmp_path: Path
) -> None:
    parts, seconds = spaced
    out = tmp_path / "final.mp4"
    info = asyncio.run(
        concat_segments(
            parts, out, SPEC, speech=speech_spans(parts, seconds), music=Music(None, volume=0.5)
        )
    )
    assert info.duration == pytest.approx(16.0, abs=0.1)
    assert_on_target(out)


def test_segments_that_differ_are_mixed_in_the_reencode_too(
    spaced: tuple[list[Path], list[float]], media: dict[str, Path], tmp_path: Path
) -> None:
    parts, seconds = spaced
    odd = tmp_path / "odd.mp4"
    asyncio.run(mux_segment(media["clip_32"], media["long"], odd, replace(SPEC, width=256)))
    mixed = [parts[0], odd]
    out = tmp_path / "final.mp4"
    spans = speech_spans(mixed, [seconds[0], probe(media["long"]).duration])
    info = asyncio.run(concat_segments(mixed, out, SPEC, speech=spans, music=Music(None)))
    assert info.video is not None and (info.video.width, info.video.height) == SPEC.size
    assert_on_target(out)


def test_a_short_track_is_looped_to_the_video_and_burned_captions_keep_it(
    spaced: tuple[list[Path], list[float]], tmp_path: Path
) -> None:
    from storyreel.assembly.subtitles import Cue, write_srt

    parts, seconds = spaced
    track = make_track(tmp_path / "loop.m4a", 4.0)
    srt = write_srt([Cue(0.3, 1.8, "Hello."), Cue(8.3, 9.8, "Again.")], tmp_path / "c.srt")
    out = tmp_path / "final.mp4"
    asyncio.run(
        concat_segments(
            parts,
            out,
            SPEC,
            subtitles=srt,
            burn_subtitles=True,
            speech=speech_spans(parts, seconds),
            music=Music(track),
        )
    )
    assert_on_target(out)
    # looped: the bed still plays in the last gap, 12 s after the 4 s track ended
    assert audio_rms(out, 13.0, 14.0) > 0.003


def test_the_bed_is_at_least_12_db_under_the_speech_and_back_up_in_the_gaps(
    spaced: tuple[list[Path], list[float]], tmp_path: Path
) -> None:
    parts, seconds = spaced
    spans = speech_spans(parts, seconds)
    out = tmp_path / "final.mp4"
    music = Music(None, volume=0.5)
    asyncio.run(concat_segments(parts, out, SPEC, speech=spans, music=music))

    # The bed alone, through the very graph and gains of that mix: the narration replaced by
    # silence (the ducking follows the speech timings, not the signal).
    playlist = tmp_path / "p.ffconcat"
    playlist.write_text(concat_list(parts))
    plan = asyncio.run(
        plan_mix(
            JoinedAudio.of_playlist(playlist), total=16.0, speech=spans, music=music, spec=SPEC
        )
    )
    mix = FinalMix(plan, SPEC)
    bed = tmp_path / "bed.m4a"
    asyncio.run(
        run_ffmpeg(
            [
                *("-f", "lavfi", "-t", "16", "-i", "anullsrc=r=48000:cl=stereo", *mix.inputs()),
                *("-filter_complex", ";".join(mix.chains("[0:a:0]", 1)), "-map", "[a]"),
                *("-c:a", "aac", str(bed)),
            ]
        )
    )
    for start, end in spans:  # inside each narration, away from the ramps
        speech_db = 20 * math.log10(audio_rms(out, start + 0.3, end - 0.2))
        bed_db = 20 * math.log10(audio_rms(bed, start + 0.3, end - 0.2))
        assert speech_db - bed_db >= 12.0, (start, speech_db, bed_db)
        gap_db = 20 * math.log10(audio_rms(bed, end + 2.0, end + 4.0))
        assert gap_db - bed_db >= 10.0, (end, gap_db, bed_db)  # back up between sentences


def test_a_usable_track_passes_and_its_length_is_returned(tmp_path: Path) -> None:
    assert check_music_file(make_track(tmp_path / "ok.m4a", 4.0)) == pytest.approx(4.0, abs=0.1)


@pytest.mark.parametrize("kind", ["missing", "short", "not audio", "folder", "video only"])
def test_a_bad_track_is_one_line_naming_music(kind: str, tmp_path: Path) -> None:
    path = tmp_path / "track.m4a"
    if kind == "short":
        make_track(path, 0.5)
    elif kind == "not audio":
        path.write_text("not music at all\n")
    elif kind == "folder":
        path.mkdir()
    elif kind == "video only":
        path = make_clip(tmp_path / "clip.mp4")
    with pytest.raises(UsageError) as caught:
        check_music_file(path)
    message = str(caught.value)
    assert message.startswith("--music: ") and "\n" not in message, message


def test_measuring_is_one_audio_pass_without_music_and_at_most_three_with(
    segments: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from storyreel.assembly import mix

    passes: list[list[str]] = []
    real = mix.run_ffmpeg

    async def counted(args: list[str], **kwargs: object) -> str:
        passes.append(list(args))
        return await real(args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(mix, "run_ffmpeg", counted)
    playlist = tmp_path / "p.ffconcat"
    playlist.write_text(concat_list(segments))
    narration = JoinedAudio.of_playlist(playlist)
    total = sum(probe(p).duration for p in segments)
    plain = asyncio.run(plan_mix(narration, total=total, speech=[], music=None, spec=SPEC))
    assert len(passes) == 1 and plain.music is None
    # audio only: the one stream mapped is the measured audio, so no picture is decoded
    assert all(p[p.index("-map") + 1] in ("[m]", "0:a:0") and p[-3:] == ["-f", "null", "-"]
               for p in passes)  # fmt: skip
    passes.clear()
    asyncio.run(plan_mix(narration, total=total, speech=[], music=Music(None), spec=SPEC))
    assert 2 <= len(passes) <= 3
