"""Narration-first timing: the spoken length decides the clip, and every gap is closed on purpose.

A segment is ``LEAD_IN`` of silence, the speech, then at least ``TAIL`` of silence. The clip
duration (6 or 10 s, what Hailuo offers) is the shortest that holds all of it. When even 10 s is
too short the video is extended by holding its last frame; the audio is always padded with
silence to the segment's end. Totals are whole frames so video and audio end together.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

# Together the least silence between two narrations (pacing aims for a little more, ``GAP``):
# a breath at a sentence's end, short enough that a listener does not wait for the voice.
LEAD_IN = 0.25  # silence before the narrator starts: a cut then a breath, not a cut mid-word
TAIL = 0.35  # silence after the last word before the next segment starts
# ... which may shrink to this rather than hold the last frame for a few hundredths of a second
# (a voice's pace after ``atempo`` is a frame or so off what was asked for).
MIN_TAIL = 0.2
# The one home of the clip-length rule: Hailuo makes 6 s and 10 s clips (1080P: 6 s only, the
# client's own check). The plan, the planners, pacing and the estimate all take it from here.
Duration = Literal[6, 10]
CLIP_DURATIONS: tuple[Duration, Duration] = (6, 10)
DEFAULT_FPS = 24


def needed_seconds(speech_seconds: float) -> float:
    """Length of a segment that holds ``speech_seconds`` of narration with its lead-in and tail."""
    return LEAD_IN + max(0.0, speech_seconds) + TAIL


def choose_duration(speech_seconds: float) -> Duration:
    """6 when the narration with lead-in and tail fits 6 s, else 10 (longer speech holds frames)."""
    short, long = CLIP_DURATIONS
    return short if needed_seconds(speech_seconds) <= short + 1e-9 else long


@dataclass(frozen=True)
class SegmentTiming:
    total: float  # segment length, whole frames
    speech_start: float  # where the narration starts inside the segment
    hold_video: float  # seconds of the clip's last frame held after the clip ends
    pad_audio: float  # seconds of silence after the narration


def _whole_frames(seconds: float, fps: int) -> float:
    # round() first: 6.0 * 24 may come out as 144.00000000000003, which must stay 144 frames
    frames = math.ceil(round(seconds * fps, 6))
    return frames / fps


def plan_timing(
    clip_seconds: float, speech_seconds: float, *, fps: int = DEFAULT_FPS
) -> SegmentTiming:
    """Close the gap between a clip and its narration, deterministically.

    The segment lasts as long as the clip, or as long as lead-in + speech + tail when that is
    longer (the last frame is then held; a tail down to ``MIN_TAIL`` fits the clip instead);
    rounded up to whole frames at ``fps``.
    """
    if clip_seconds < 0 or speech_seconds < 0:
        raise ValueError("durations cannot be negative")
    fits = LEAD_IN + speech_seconds + MIN_TAIL <= clip_seconds + 1e-9
    total = _whole_frames(
        clip_seconds if fits else max(clip_seconds, needed_seconds(speech_seconds)), fps
    )
    return SegmentTiming(
        total=total,
        speech_start=LEAD_IN,
        hold_video=round(max(0.0, total - clip_seconds), 6),
        pad_audio=round(total - LEAD_IN - speech_seconds, 6),
    )
