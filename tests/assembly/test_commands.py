"""The argv builders, compared argument by argument."""

from __future__ import annotations

from pathlib import Path

import pytest

from storyreel.assembly.commands import (
    Loudness,
    concat_burn_args,
    concat_copy_args,
    concat_list,
    concat_reencode_args,
    frame_args,
    image_playlist,
    loudness_args,
    narration_filter,
    normalise_video_filter,
    parse_loudness,
    segment_args,
)
from storyreel.assembly.spec import OutputSpec
from storyreel.assembly.timing import LEAD_IN, TAIL, plan_timing

SPEC = OutputSpec(width=1280, height=720, fps=24, crf=20, preset="veryfast")
VIDEO_ENC = [
    "-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-profile:v", "high",
    "-pix_fmt", "yuv420p", "-g", "24", "-r", "24",
]  # fmt: skip
AUDIO_ENC = ["-c:a", "aac", "-b:a", "160k", "-ar", "48000", "-ac", "2"]
NORMALISE = (
    "setpts=PTS-STARTPTS,fps=24,scale=1280:720:force_original_aspect_ratio=increase,"
    "crop=1280:720,setsar=1,format=yuv420p"
)
NARRATION = (
    "asetpts=PTS-STARTPTS,aresample=48000,aformat=sample_fmts=fltp:channel_layouts=stereo,"
    "volume=3.5dB,alimiter=limit=0.7499:attack=5:release=50:level=disabled:latency=1,"
    f"adelay={round(LEAD_IN * 1000)}:all=1,asetpts=N/SR/TB,apad=whole_dur=6"
)


def test_normalise_video_filter_covers_then_crops() -> None:
    assert normalise_video_filter(SPEC) == NORMALISE


def test_narration_filter_delays_normalises_and_pads() -> None:
    assert narration_filter(SPEC, plan_timing(6.0, 3.0), 3.5) == NARRATION


def test_segment_args_reencode() -> None:
    timing = plan_timing(6.0, 3.0)
    args = segment_args(Path("c.mp4"), Path("n.wav"), Path("o.mp4"), SPEC, timing, gain_db=3.5)
    assert args == [
        "-i", "c.mp4", "-i", "n.wav",
        "-filter_complex",
        f"[0:v:0]{NORMALISE},tpad=stop_mode=clone:stop_duration=6[v];[1:a:0]{NARRATION}[a]",
        "-map", "[v]", "-map", "[a]",
        *VIDEO_ENC, *AUDIO_ENC,
        "-t", "6", "-map_metadata", "-1", "-map_chapters", "-1",
        "-movflags", "+faststart", "-f", "mp4", "o.mp4",
    ]  # fmt: skip


def test_segment_args_long_speech_trims_to_the_extended_total() -> None:
    timing = plan_timing(6.0, 8.1 - LEAD_IN - TAIL)  # 8.1 s, in whole frames: 8.125 s
    args = segment_args(Path("c.mp4"), Path("n.wav"), Path("o.mp4"), SPEC, timing)
    graph = args[args.index("-filter_complex") + 1]
    assert "tpad=stop_mode=clone:stop_duration=8.125[v]" in graph
    assert "apad=whole_dur=8.125[a]" in graph
    assert args[args.index("-t") + 1] == "8.125"


def test_segment_args_copy_video_encodes_audio_only() -> None:
    timing = plan_timing(6.0, 3.0)
    args = segment_args(
        Path("c.mp4"), Path("n.wav"), Path("o.mp4"), SPEC, timing, copy_video=True, gain_db=3.5
    )
    assert args == [
        "-i", "c.mp4", "-i", "n.wav",
        "-filter_complex", f"[1:a:0]{NARRATION}[a]",
        "-map", "0:v:0", "-map", "[a]", "-c:v", "copy",
        *AUDIO_ENC,
        "-t", "6", "-map_metadata", "-1", "-map_chapters", "-1",
        "-movflags", "+faststart", "-f", "mp4", "o.mp4",
    ]  # fmt: skip


def test_segment_args_without_clip_or_narration() -> None:
    timing = plan_timing(0.0, 3.0 - LEAD_IN - TAIL)  # 3 s in all
    args = segment_args(None, None, Path("o.mp4"), SPEC, timing)
    assert args[:8] == [
        "-f", "lavfi", "-i", "color=c=black:s=1280x720:r=24:d=3",
        "-f", "lavfi", "-i", "anullsrc=r=48000:cl=stereo",
    ]  # fmt: skip
    assert "[1:a:0]apad=whole_dur=3[a]" in args[args.index("-filter_complex") + 1]


EBUR128_SUMMARY = """[Parsed_ebur128_2 @ 0x55] Summary:

  Integrated loudness:
    I:         -21.8 LUFS
    Threshold: -31.8 LUFS

  Loudness range:
    LRA:         0.0 LU

  True peak:
    Peak:      -18.1 dBFS
[out#0/null @ 0x56] video:0KiB audio:164KiB subtitle:0KiB
"""


def test_loudness_args_measure_what_will_be_played() -> None:
    assert loudness_args(Path("n.wav"), SPEC) == [
        "-i", "n.wav", "-map", "0:a:0",
        "-af", "aresample=48000,aformat=sample_fmts=fltp:channel_layouts=stereo,"
        "ebur128=framelog=quiet:peak=true",
        "-f", "null", "-",
    ]  # fmt: skip


def test_parse_loudness_and_gain() -> None:
    loudness = parse_loudness(EBUR128_SUMMARY)
    assert loudness == Loudness(-21.8, -18.1)
    assert loudness.gain_db() == 5.8  # to -16 LUFS
    # not held back by the peaks (the limiter after the gain catches them), so every
    # segment's voice lands at the same loudness
    assert Loudness(-30.0, -3.0).gain_db() == 14.0
    assert Loudness(-10.0, -1.0).gain_db() == -6.0  # too loud: turned down
    assert Loudness(float("-inf"), float("-inf")).gain_db() == 0.0  # silence
    assert Loudness(-90.0, -80.0).gain_db() == 30.0  # near silence: bounded
    with pytest.raises(ValueError):
        parse_loudness("no summary here")


def test_concat_list_quotes_paths(tmp_path: Path) -> None:
    odd = tmp_path / "it's a part.mp4"
    text = concat_list([odd, tmp_path / "b.mp4"])
    assert text.splitlines() == [
        "ffconcat version 1.0",
        f"file '{tmp_path}/it'\\''s a part.mp4'",
        f"file '{tmp_path}/b.mp4'",
    ]


def test_image_playlist_has_durations(tmp_path: Path) -> None:
    text = image_playlist([(tmp_path / "a.png", 1.25), (tmp_path / "b.png", 0.1 + 0.2)])
    assert text.splitlines()[1:] == [
        f"file '{tmp_path}/a.png'", "duration 1.25",
        f"file '{tmp_path}/b.png'", "duration 0.3",
    ]  # fmt: skip


def test_concat_copy_args_copies_video_keeps_timestamps() -> None:
    assert concat_copy_args(Path("l.txt"), Path("o.mp4"), SPEC) == [
        "-copyts", "-f", "concat", "-safe", "0", "-i", "l.txt",
        "-map", "0:v:0", "-map", "0:a:0", "-c:v", "copy", *AUDIO_ENC,
        "-map_metadata", "-1", "-movflags", "+faststart", "-f", "mp4", "o.mp4",
    ]  # fmt: skip


def test_concat_burn_args_overlays_the_caption_track() -> None:
    args = concat_burn_args(Path("l.txt"), Path("cap.txt"), Path("o.mp4"), SPEC)
    assert args == [
        "-copyts",
        "-f", "concat", "-safe", "0", "-i", "l.txt",
        "-f", "concat", "-safe", "0", "-i", "cap.txt",
        "-filter_complex",
        "[0:v:0][1:v:0]overlay=0:0:eof_action=pass:format=auto,format=yuv420p[v]",
        "-map", "[v]", "-map", "0:a:0", *VIDEO_ENC, *AUDIO_ENC,
        "-map_metadata", "-1", "-movflags", "+faststart", "-f", "mp4", "o.mp4",
    ]  # fmt: skip


def test_concat_reencode_args_normalises_every_part() -> None:
    args = concat_reencode_args([Path("a.mp4"), Path("b.mp4")], Path("o.mp4"), SPEC)
    audio = "asetpts=PTS-STARTPTS,aresample=48000,aformat=sample_fmts=fltp:channel_layouts=stereo"
    assert args == [
        "-i", "a.mp4", "-i", "b.mp4",
        "-filter_complex",
        f"[0:v:0]{NORMALISE}[v0];[0:a:0]{audio}[a0];"
        f"[1:v:0]{NORMALISE}[v1];[1:a:0]{audio}[a1];"
        "[v0][a0][v1][a1]concat=n=2:v=1:a=1[v][a]",
        "-map", "[v]", "-map", "[a]", *VIDEO_ENC, *AUDIO_ENC,
        "-map_metadata", "-1", "-movflags", "+faststart", "-f", "mp4", "o.mp4",
    ]  # fmt: skip


def test_concat_reencode_args_can_burn_in_the_same_pass() -> None:
    args = concat_reencode_args([Path("a.mp4")], Path("o.mp4"), SPEC, captions=Path("cap.txt"))
    assert args[2:8] == ["-f", "concat", "-safe", "0", "-i", "cap.txt"]
    graph = args[args.index("-filter_complex") + 1]
    assert graph.endswith(
        "concat=n=1:v=1:a=1[joined][a];"
        "[joined][1:v:0]overlay=0:0:eof_action=pass:format=auto,format=yuv420p[v]"
    )


def test_frame_args() -> None:
    assert frame_args(Path("v.mp4"), 1.5, Path("f.png")) == [
        "-ss", "1.5", "-i", "v.mp4", "-frames:v", "1", "-update", "1", "f.png",
    ]  # fmt: skip
