"""Narration that fills the picture: each narration is fitted to its clip, and silence measured.

A clip lasts 6 or 10 s (what Hailuo offers); a narration lasts what the voice makes of it. Left
alone, a 6.5 s narration in a 10 s clip is 3 s of silence (36 % of the demo video was silence,
in gaps of 1.4 to 4.3 s). So after speaking, the narration's tempo is adjusted (FFmpeg's
``atempo``, pitch kept) within a range a listener accepts, so that it fills its clip up to a gap
of about a second before the next one, or is sped up a little to fit a 6 s clip instead of
leaving most of a 10 s one empty. Beyond that range the narration stays as spoken (a long one
holds the clip's last frame, as before).

``measure_silence`` is FFmpeg's ``silencedetect`` over a file's audio: the manifest reports it.
"""

from __future__ import annotations

import asyncio
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from storyreel.assembly.ffmpeg import atomic_output, run_ffmpeg
from storyreel.assembly.timing import CLIP_DURATIONS, Duration, needed_seconds

# Slower than 0.85 drags; faster than 1.15 hurries (and a real voice's own pace varies by that).
MIN_TEMPO = 0.85
MAX_TEMPO = 1.15
# Aim a little short of the clip's end: lead-in + tail + this is the gap to the next narration.
SLACK = 0.2
# A narration within this of its target is left alone (no re-encode for a few frames' gain).
CLOSE_ENOUGH = 0.25
# silencedetect: quieter than this for at least this long is silence.
SILENCE_DB = -40
SILENCE_MIN_SECONDS = 0.5


@dataclass(frozen=True)
class Fit:
    clip: Duration
    tempo: float  # > 1 speaks faster; 1.0 leaves the narration as it is

    def seconds(self, speech_seconds: float) -> float:
        return speech_seconds / self.tempo


def _target(clip: int) -> float:
    """The narration length that fills ``clip`` up to the gap before the next one."""
    return clip - needed_seconds(0.0) - SLACK


def fit(speech_seconds: float, *, six_only: bool = False) -> Fit:
    """The clip for a narration of ``speech_seconds`` and the tempo that fills it."""
    short, long = CLIP_DURATIONS
    if speech_seconds <= 0:
        return Fit(short, 1.0)
    clips: tuple[Duration, ...] = (short,) if six_only else (short, long)
    for clip in clips:
        target = _target(clip)
        if needed_seconds(speech_seconds) <= clip + 1e-9:  # fits: slow down to fill it
            if target - speech_seconds <= CLOSE_ENOUGH:
                return Fit(clip, 1.0)
            return Fit(clip, max(MIN_TEMPO, speech_seconds / target))
        if speech_seconds / MAX_TEMPO <= target + CLOSE_ENOUGH:  # a little faster fits it
            return Fit(clip, min(MAX_TEMPO, speech_seconds / target))
    # Longer than the longest clip even sped up: as fast as allowed, the last frame held.
    return Fit(clips[-1], MAX_TEMPO)


def paced_name(tempo: float) -> str:
    """The paced narration's file name: the tempo in it, so a new tempo is a new file."""
    return f"paced-{tempo:.3f}.wav"


def _paced_target(source: Path, tempo: float) -> tuple[Path, bool]:
    """Where ``source`` at ``tempo`` goes, and whether it is there already; removes older paced
    files beside it, so the folder holds one narration to use."""
    keep = source.with_name(paced_name(tempo)) if abs(tempo - 1.0) >= 1e-6 else source
    for old in source.parent.glob("paced-*.wav"):
        if old != keep:
            old.unlink(missing_ok=True)
    made = keep == source or (
        keep.is_file() and keep.stat().st_mtime >= source.stat().st_mtime  # a resumed run
    )
    return keep, made


async def paced(source: Path, tempo: float) -> Path:
    """``source`` at ``tempo`` (WAV, next to it); ``source`` itself when the tempo is 1."""
    keep, made = await asyncio.to_thread(_paced_target, source, tempo)
    if made:
        return keep
    with atomic_output(keep) as tmp:
        await run_ffmpeg(
            ["-i", str(source), "-vn", "-af", f"atempo={tempo:.4f}", "-c:a", "pcm_s16le",
             "-f", "wav", str(tmp)]
        )  # fmt: skip
    return keep


def paced_on_disk(source: Path, tempo: float) -> Path:
    """The narration a finished segment was made with (another process paced it)."""
    candidate = source.with_name(paced_name(tempo))
    return candidate if abs(tempo - 1.0) >= 1e-6 and candidate.is_file() else source


@dataclass(frozen=True)
class Silence:
    seconds: float
    ratio: float  # of the file's duration
    longest: float


_FIELD = re.compile(r"lavfi\.silence_(start|end|duration)=(-?[0-9.]+)")


async def measure_silence(media: Path, duration: float) -> Silence:
    """How much of ``media``'s audio is silence (FFmpeg ``silencedetect``)."""
    with tempfile.TemporaryDirectory(prefix="storyreel-silence-") as work:
        report = Path(work) / "silence.txt"
        # The metadata goes to a file: stderr keeps only a tail, a long video has many gaps.
        detect = f"silencedetect=noise={SILENCE_DB}dB:d={SILENCE_MIN_SECONDS}"
        meta = f"ametadata=mode=print:file={report.as_posix()}"
        await run_ffmpeg(["-i", str(media), "-vn", "-af", f"{detect},{meta}", "-f", "null", "-"])
        text = report.read_text(encoding="utf-8") if report.is_file() else ""
    total = longest = 0.0
    start: float | None = None
    for key, value in _FIELD.findall(text):
        if key == "start":
            start = max(0.0, float(value))
        elif key == "duration":
            total += float(value)
            longest = max(longest, float(value))
            start = None
    if start is not None:  # silent to the end
        total += max(0.0, duration - start)
        longest = max(longest, duration - start)
    ratio = total / duration if duration > 0 else 0.0
    return Silence(round(total, 3), round(ratio, 4), round(longest, 3))
