"""Narration that fills the picture: each narration is fitted to its clip, and silence measured.

A clip lasts 6 or 10 s (what Hailuo offers); a narration lasts what the voice makes of it. Left
alone, a 6.5 s narration in a 10 s clip is 3 s of silence (36 % of the demo video was silence,
in gaps of 1.4 to 4.3 s). So once spoken, every narration is measured and fitted, whatever voice
made it (espeak-ng's offline, MiniMax's real one: nothing here assumes a speaking rate):

- its own leading and trailing silence is measured (``silencedetect``) and trimmed to a few
  hundredths, so the segment's lead-in and tail are the only silence around it;
- its tempo is adjusted (FFmpeg's ``atempo``, pitch kept) so that it ends ``GAP`` seconds
  before the next narration starts: within ``NATURAL_TEMPO`` as a rule, up to ``WIDE_TEMPO``
  only where that band would leave a held last frame or a gap over ``MAX_GAP``;
- of the 6 and 10 s clips, the one needing the smaller change of pace wins.

A narration too long for 10 s even at the fastest tempo still holds the clip's last frame: the
pipeline reports it with the fix (split that segment's narration in ``plan.json``).

Between two narrations the silence is the clip minus the paced narration: ``GAP`` (0.7 s) when
filled, never more than ``MAX_GAP`` unless no tempo in the wide band gets there.

``measure_silence`` is FFmpeg's ``silencedetect`` over a file's audio: the manifest reports it.
"""

from __future__ import annotations

import asyncio
import math
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from storyreel.assembly.ffmpeg import atomic_output, run_ffmpeg
from storyreel.assembly.timing import CLIP_DURATIONS, LEAD_IN, TAIL, Duration, needed_seconds

# Slower than 0.85 drags, faster than 1.15 hurries (a real voice's own pace varies by that).
NATURAL_TEMPO = (0.85, 1.15)
# Noticeable but still natural speech; used only to avoid a held frame or a long gap.
WIDE_TEMPO = (0.8, 1.3)
MIN_TEMPO, MAX_TEMPO = WIDE_TEMPO
# The silence aimed for between two narrations (the clip minus the paced narration): a breath.
GAP = 0.7
# ... and the most left before the wide band is used: the "at most about a second".
MAX_GAP = 1.0
# A tempo this close to 1 is left at 1 (no re-encode for a few frames' gain).
CLOSE_ENOUGH = 0.02
# A narration's own silence at each end: quieter than this is trimmed, down to KEEP_EDGE.
EDGE_DB = -45
EDGE_MIN_SECONDS = 0.02
KEEP_EDGE = 0.03
# silencedetect: quieter than this for at least this long is silence.
SILENCE_DB = -40
SILENCE_MIN_SECONDS = 0.5


@dataclass(frozen=True)
class Fit:
    clip: Duration
    tempo: float  # > 1 speaks faster; 1.0 leaves the narration as it is

    def seconds(self, speech_seconds: float) -> float:
        """How long the narration lasts at this tempo."""
        return speech_seconds / self.tempo

    def gap(self, speech_seconds: float) -> float:
        """The silence between this narration's end and the next one's start."""
        return max(LEAD_IN + TAIL, self.clip - self.seconds(speech_seconds))

    def hold(self, speech_seconds: float) -> float:
        """How long the clip's last frame is held because the narration outlasts it."""
        return max(0.0, needed_seconds(self.seconds(speech_seconds)) - self.clip)


# Aim a little inside the clip: the segment is whole frames (6.0000001 s would be one more),
# and ``atempo``'s output lasts a few hundredths more or less than asked for.
_FRAME_MARGIN = 0.03


def _tempo_for(speech_seconds: float, clip: int) -> float:
    """The tempo that puts ``GAP`` between this narration and the next in ``clip``: within the
    natural band, then into the wide one only as far as a held frame or ``MAX_GAP`` needs."""
    low, high = NATURAL_TEMPO
    tempo = min(high, max(low, speech_seconds / (clip - GAP)))
    if abs(tempo - 1.0) < CLOSE_ENOUGH:
        tempo = 1.0
    room = clip - LEAD_IN - TAIL - _FRAME_MARGIN  # the longest narration without a hold
    paced_seconds = speech_seconds / tempo
    if paced_seconds > room:
        tempo = min(WIDE_TEMPO[1], speech_seconds / room)
    elif clip - paced_seconds > MAX_GAP:
        tempo = max(WIDE_TEMPO[0], speech_seconds / (clip - MAX_GAP))
    return round(tempo, 4)


def fit(speech_seconds: float, *, six_only: bool = False) -> Fit:
    """The clip for a narration of ``speech_seconds`` (measured, its edges trimmed) and the
    tempo that fills it. Of the two clips: the one without a held frame, then the one whose gap
    is within ``MAX_GAP``, then the one changing the pace least, then the shorter (cheaper)."""
    short, _long = CLIP_DURATIONS
    if speech_seconds <= 0:
        return Fit(short, 1.0)
    clips: tuple[Duration, ...] = (short,) if six_only else CLIP_DURATIONS
    options = [Fit(clip, _tempo_for(speech_seconds, clip)) for clip in clips]

    def cost(option: Fit) -> tuple[float, float, float, int]:
        excess = max(0.0, option.gap(speech_seconds) - MAX_GAP)
        hold = option.hold(speech_seconds)
        return (round(hold, 2), round(excess, 2), abs(math.log(option.tempo)), option.clip)

    return min(options, key=cost)


@dataclass(frozen=True)
class Edges:
    """Where a narration's sound starts and ends (its own leading and trailing silence cut,
    ``KEEP_EDGE`` of it kept so no fade can clip a first or last syllable)."""

    start: float
    end: float
    duration: float  # of the file as spoken

    @property
    def seconds(self) -> float:
        return max(0.0, self.end - self.start)

    @property
    def trimmed(self) -> bool:
        return self.start > 1e-3 or self.duration - self.end > 1e-3


def paced_name(tempo: float, edges: Edges) -> str:
    """The paced narration's file name: tempo and cut in it, so a new fit is a new file."""
    return f"paced-{tempo:.3f}-{round(edges.start * 1000)}-{round(edges.end * 1000)}.wav"


def _paced_target(source: Path, tempo: float, edges: Edges) -> tuple[Path, bool]:
    """Where ``source`` at ``tempo`` goes, and whether it is there already; removes older paced
    files beside it, so the folder holds one narration to use."""
    as_is = abs(tempo - 1.0) < 1e-6 and not edges.trimmed
    keep = source if as_is else source.with_name(paced_name(tempo, edges))
    for old in source.parent.glob("paced-*.wav"):
        if old != keep:
            old.unlink(missing_ok=True)
    made = keep == source or (
        keep.is_file() and keep.stat().st_mtime >= source.stat().st_mtime  # a resumed run
    )
    return keep, made


async def speech_edges(source: Path, duration: float) -> Edges:
    """Measure ``source``'s leading and trailing silence (``silencedetect``): what a voice puts
    around its words (espeak-ng a few hundredths, other voices more) is not part of the gap."""
    quiet = await _silences(source, noise_db=EDGE_DB, min_seconds=EDGE_MIN_SECONDS)
    start, end = 0.0, duration
    if quiet and quiet[0][0] <= 1e-3 and quiet[0][1] is not None:
        start = max(0.0, quiet[0][1] - KEEP_EDGE)
    if quiet and (quiet[-1][1] is None or quiet[-1][1] >= duration - 1e-2):
        end = min(duration, quiet[-1][0] + KEEP_EDGE)
    if end - start < 0.1:  # nothing audible: leave it for the caller's own check
        start, end = 0.0, duration
    return Edges(round(start, 3), round(end, 3), duration)


async def paced(source: Path, tempo: float, edges: Edges | None = None) -> Path:
    """``source`` cut to ``edges`` and at ``tempo`` (WAV, next to it); ``source`` itself when
    there is nothing to cut and the tempo is 1."""
    edges = edges or Edges(0.0, 0.0, 0.0)
    keep, made = await asyncio.to_thread(_paced_target, source, tempo, edges)
    if made:
        return keep
    cut = f"atrim=start={edges.start:.3f}:end={edges.end:.3f},asetpts=PTS-STARTPTS,"
    audio_filter = (cut if edges.trimmed else "") + f"atempo={tempo:.4f}"
    with atomic_output(keep) as tmp:
        await run_ffmpeg(
            ["-i", str(source), "-vn", "-af", audio_filter, "-c:a", "pcm_s16le",
             "-f", "wav", str(tmp)]
        )  # fmt: skip
    return keep


def paced_on_disk(source: Path) -> Path:
    """The narration a finished segment was made with (another process paced it): its paced
    file when there is one, else the narration as spoken."""
    candidates = sorted(source.parent.glob("paced-*.wav"))
    return candidates[0] if len(candidates) == 1 else source


@dataclass(frozen=True)
class Silence:
    seconds: float
    ratio: float  # of the file's duration
    longest: float


_FIELD = re.compile(r"lavfi\.silence_(start|end|duration)=(-?[0-9.]+)")


async def _silences(
    media: Path, *, noise_db: float, min_seconds: float
) -> list[tuple[float, float | None]]:
    """``silencedetect``'s spans of ``media``: (start, end), end None when silent to the end."""
    with tempfile.TemporaryDirectory(prefix="storyreel-silence-") as work:
        report = Path(work) / "silence.txt"
        # The metadata goes to a file: stderr keeps only a tail, a long video has many gaps.
        detect = f"silencedetect=noise={noise_db}dB:d={min_seconds}"
        meta = f"ametadata=mode=print:file={report.as_posix()}"
        await run_ffmpeg(["-i", str(media), "-vn", "-af", f"{detect},{meta}", "-f", "null", "-"])
        text = report.read_text(encoding="utf-8") if report.is_file() else ""
    spans: list[tuple[float, float | None]] = []
    start: float | None = None
    for key, value in _FIELD.findall(text):
        if key == "start":
            start = max(0.0, float(value))
        elif key == "end" and start is not None:
            spans.append((start, float(value)))
            start = None
    if start is not None:  # silent to the end
        spans.append((start, None))
    return spans


async def measure_silence(media: Path, duration: float) -> Silence:
    """How much of ``media``'s audio is silence (FFmpeg ``silencedetect``)."""
    spans = await _silences(media, noise_db=SILENCE_DB, min_seconds=SILENCE_MIN_SECONDS)
    lengths = [max(0.0, (duration if end is None else end) - start) for start, end in spans]
    total, longest = sum(lengths), max(lengths, default=0.0)
    ratio = total / duration if duration > 0 else 0.0
    return Silence(round(total, 3), round(ratio, 4), round(longest, 3))
