"""The mix's filter graph, argv by argv (no FFmpeg run here; test_mix.py runs them)."""

from __future__ import annotations

from pathlib import Path

import pytest

from storyreel.assembly.commands import (
    EBUR128,
    JoinedAudio,
    concat_copy_args,
    concat_reencode_args,
)
from storyreel.assembly.mix_commands import (
    DUCK_ATTACK,
    DUCK_RELEASE,
    DUCK_UNDER_SPEECH_DB,
    FinalMix,
    MixPlan,
    Music,
    duck_depth_db,
    duck_expression,
    duck_windows,
    measure_mix_args,
    music_input_args,
)

from .conftest import SPEC


def evaluate(expression: str, t: float) -> float:
    """The ducking expression as FFmpeg's evaluator computes it: it uses only +-*/, pow, min and
    clip, which mean the same in Python (test_mix.py checks the real thing through FFmpeg)."""
    env = {"t": t, "pow": pow, "min": min, "clip": lambda x, lo, hi: max(lo, min(hi, x))}
    return float(eval(expression, {"__builtins__": {}}, env))


def test_windows_close_together_merge_so_the_bed_does_not_pump() -> None:
    assert duck_windows([(5.0, 6.0), (0.3, 2.0), (2.5, 4.0), (12.0, 12.0)]) == [(0.3, 6.0)]
    assert duck_windows([(0.3, 2.0), (8.0, 9.0)]) == [(0.3, 2.0), (8.0, 9.0)]


def test_duck_depth_puts_the_bed_under_the_speech() -> None:
    assert duck_depth_db(1.0) == pytest.approx(DUCK_UNDER_SPEECH_DB)
    # 0.25 puts the bed 12 dB under the voice already: 6 more while someone speaks
    assert duck_depth_db(0.25) == pytest.approx(DUCK_UNDER_SPEECH_DB - 12.04, abs=0.01)
    assert duck_depth_db(0.1) == 0.0  # already 20 dB under: nothing to duck


def test_duck_expression_is_down_during_speech_and_up_in_the_gaps() -> None:
    expr = duck_expression([(1.0, 3.0), (10.0, 12.0)], 18.0)
    down = 10 ** (-18 / 20)
    assert evaluate(expr, 0.0) == pytest.approx(1.0)
    assert evaluate(expr, 1.0) == pytest.approx(down)  # already down at the first word
    assert evaluate(expr, 1.0 - DUCK_ATTACK / 2) == pytest.approx(10 ** (-9 / 20))
    assert evaluate(expr, 2.0) == pytest.approx(down)
    assert evaluate(expr, 3.0 + DUCK_RELEASE / 2) == pytest.approx(10 ** (-9 / 20))
    assert evaluate(expr, 6.0) == pytest.approx(1.0)  # back up between the sentences
    assert evaluate(expr, 11.0) == pytest.approx(down)
    assert duck_expression([], 18.0) == "1"
    assert duck_expression([(1.0, 2.0)], 0.0) == "1"


def test_a_track_is_looped_and_read_for_the_video_length() -> None:
    assert music_input_args(Music(Path("bed.mp3")), 62.5) == [
        "-stream_loop", "-1", "-t", "62.5", "-i", "bed.mp3",
    ]  # fmt: skip
    synth = music_input_args(Music(None), 10.0)
    assert synth[:3] == ["-f", "lavfi", "-i"] and synth[3].startswith("aevalsrc=")


def test_final_mix_without_music_is_the_master_only() -> None:
    mix = FinalMix(MixPlan(total=6.0, master_gain_db=1.25), SPEC)
    assert mix.inputs() == []
    assert mix.chains("[0:a:0]", 1) == [
        "[0:a:0]anull[mix]",
        "[mix]volume=1.25dB,alimiter=limit=0.7499:attack=5:release=50:level=disabled:latency=1[a]",
    ]


def test_final_mix_with_music_ducks_the_bed_and_sums_without_scaling() -> None:
    plan = MixPlan(
        total=20.0, speech=((0.3, 4.0),), music=Music(Path("m.wav"), 0.5), music_gain_db=-3.0
    )
    bed, mixed, master = FinalMix(plan, SPEC).chains("[narration]", 4)
    assert bed.startswith("[4:a:0]asetpts=PTS-STARTPTS,aresample=48000,")
    assert "atrim=end=20," in bed and "afade=t=in:" in bed and "afade=t=out:st=17:d=3" in bed
    assert "volume=-9.0206dB" in bed  # -3 to the narration's loudness, 0.5 = -6.02 dB under it
    assert ":eval=frame[bed]" in bed
    assert (
        mixed
        == "[narration][bed]amix=inputs=2:duration=first:dropout_transition=0:normalize=0[mix]"
    )
    assert master.endswith("latency=1[a]")


def test_the_joins_map_the_mastered_audio() -> None:
    plan = MixPlan(total=4.0, music=Music(None))
    mix = FinalMix(plan, SPEC)
    copy = concat_copy_args(Path("p.ffconcat"), Path("o.mp4"), SPEC, audio=mix)
    assert copy[copy.index("-filter_complex") - 4 : copy.index("-filter_complex") - 2] == [
        "-f",
        "lavfi",
    ]
    assert copy[copy.index("[a]") - 1] == "-map" and "0:a:0" not in copy
    reencode = concat_reencode_args([Path("a.mp4"), Path("b.mp4")], Path("o.mp4"), SPEC, audio=mix)
    graph = reencode[reencode.index("-filter_complex") + 1]
    assert "concat=n=2:v=1:a=1[v][narration]" in graph and "[2:a:0]asetpts" in graph


def test_measuring_passes_read_audio_only() -> None:
    joined = JoinedAudio.of_parts([Path("a.mp4"), Path("b.mp4")], SPEC)
    plan = MixPlan(total=4.0, music=Music(None), master_gain_db=2.0)
    raw = measure_mix_args(joined, plan, SPEC)
    graph = raw[raw.index("-filter_complex") + 1]
    assert "concat=n=2:v=0:a=1[narration]" in graph and "[2:a:0]" in graph
    assert graph.endswith(f"[mix]{EBUR128}[m]")
    assert raw[-5:] == ["-map", "[m]", "-f", "null", "-"]
    mastered = measure_mix_args(joined, plan, SPEC, mastered=True)
    assert "[mix]volume=2dB,alimiter=" in mastered[mastered.index("-filter_complex") + 1]
