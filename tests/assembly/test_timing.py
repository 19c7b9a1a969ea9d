from __future__ import annotations

import pytest

from storyreel.assembly.timing import LEAD_IN, MIN_TAIL, TAIL, choose_duration, plan_timing


@pytest.mark.parametrize(
    ("speech", "expected"),
    [
        (0.0, 6),
        (3.0, 6),
        (6 - LEAD_IN - TAIL, 6),
        (6 - LEAD_IN - TAIL + 0.01, 10),
        (9.2, 10),
        (14, 10),
    ],
)
def test_choose_duration_fits_speech_with_lead_in_and_tail(speech: float, expected: int) -> None:
    assert choose_duration(speech) == expected


def test_speech_shorter_than_clip_pads_audio_only() -> None:
    t = plan_timing(6.0, 3.0)
    assert t.total == 6.0
    assert t.speech_start == LEAD_IN
    assert t.hold_video == 0.0
    assert t.pad_audio == pytest.approx(6.0 - LEAD_IN - 3.0)


def test_speech_longer_than_clip_holds_last_frame() -> None:
    speech = 12.0 - LEAD_IN - TAIL  # a whole number of frames with its lead-in and tail
    t = plan_timing(10.0, speech)
    assert t.total == pytest.approx(LEAD_IN + speech + TAIL)
    assert t.hold_video == pytest.approx(t.total - 10.0)
    assert t.pad_audio == pytest.approx(TAIL)


def test_total_is_whole_frames_and_never_shorter_than_needed() -> None:
    t = plan_timing(2.0, 2.51, fps=24)
    frames = t.total * 24
    assert frames == pytest.approx(round(frames))
    assert t.total >= LEAD_IN + 2.51 + TAIL
    assert t.total - (LEAD_IN + 2.51 + TAIL) < 1 / 24


def test_exact_frame_totals_are_not_rounded_up() -> None:
    assert plan_timing(6.0, 1.0).total == 6.0
    assert plan_timing(6.0, 1.0, fps=30).total == 6.0


def test_audio_and_video_end_together() -> None:
    for clip, speech in [(6.0, 1.0), (6.0, 5.2), (6.0, 5.3), (10.0, 12.7), (5.875, 4.0)]:
        t = plan_timing(clip, speech)
        assert t.speech_start + speech + t.pad_audio == pytest.approx(t.total)
        assert clip + t.hold_video == pytest.approx(max(clip, t.total))


def test_deterministic() -> None:
    assert plan_timing(6.0, 7.123) == plan_timing(6.0, 7.123)


def test_negative_durations_are_refused() -> None:
    with pytest.raises(ValueError):
        plan_timing(-1.0, 1.0)


def test_a_narration_a_hair_too_long_shortens_its_tail_rather_than_hold_a_frame() -> None:
    t = plan_timing(6.0, 6.0 - LEAD_IN - TAIL + 0.04)
    assert t.total == 6.0 and t.hold_video == 0.0
    assert t.pad_audio == pytest.approx(TAIL - 0.04)
    held = plan_timing(6.0, 6.0 - LEAD_IN - MIN_TAIL + 0.05)  # beyond that: held, whole tail
    assert held.hold_video > 0 and held.pad_audio == pytest.approx(TAIL, abs=1 / 24)
