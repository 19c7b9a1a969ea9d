"""Running the final mix's measuring passes, and checking a music track before anything is paid.

Cheap audio-only passes before the final join (the picture is never decoded; about 100x real
time): the bed's own loudness (only with music), the loudness of the mix itself, and, when the
limiter will catch peaks, the loudness of the mastered mix to make up what it took. The final
pass (``concat.py``) then scales that very mix to -16 LUFS and limits its peaks, so the result
is on target with or without music.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from storyreel.assembly.commands import (
    LIMIT_DB,
    LOUDNESS_TARGET,
    JoinedAudio,
    Loudness,
    parse_loudness,
)
from storyreel.assembly.ffmpeg import run_ffmpeg
from storyreel.assembly.mix_commands import (
    MixPlan,
    Music,
    measure_mix_args,
    measure_music_args,
)
from storyreel.assembly.probe import probe
from storyreel.assembly.spec import OutputSpec
from storyreel.errors import MediaError, UsageError

MIN_MUSIC_SECONDS = 3.0  # shorter loops are a click track, not a bed
MAX_MUSIC_BYTES = 200 * 1024 * 1024  # a long lossless album track fits; a disk image does not
MUSIC_FIELD = "--music"
# At most this much gain is added back for what the limiter took: more would mean limiting
# hard (a squashed, distorted voice), and a quieter result is the better failure.
MAX_MAKEUP_DB = 2.0
# True peaks this little over the limiter's (sample-peak) ceiling cost about 0.1 LU once
# limited: not worth a pass. The usual case without music, every narration being limited at
# that ceiling already (demo: -16.1 LUFS in one measuring pass).
LIMITER_SLACK_DB = 1.0


def check_music_file(path: Path, *, field: str = MUSIC_FIELD, shown: str | None = None) -> float:
    """The track's duration, or a one-line :class:`UsageError` naming ``field`` when it is not a
    usable music track (missing, unreadable, no audio, too short, too big). Called before any
    paid call, so a bad track costs nothing. The messages call the file ``shown`` when given
    (the service's answers never show one of its own paths)."""
    name = shown or str(path)
    if not path.is_file():
        raise UsageError(f"no such file {name}", field=field, fix="name an audio file")
    if not os.access(path, os.R_OK):
        raise UsageError(f"{name} is not readable", field=field, fix="check its permissions")
    size = path.stat().st_size
    if size > MAX_MUSIC_BYTES:
        raise UsageError(
            f"{name} is {size // (1024 * 1024)} MB, more than {MAX_MUSIC_BYTES // (1024 * 1024)}",
            field=field,
            fix="use a compressed track (mp3, m4a, ogg)",
        )
    try:
        info = probe(path)
    except MediaError:
        raise UsageError(
            f"{name} is not an audio file FFmpeg can read", field=field, fix="use mp3, m4a or wav"
        ) from None
    if info.audio is None:
        raise UsageError(f"{name} has no audio stream", field=field, fix="use an audio file")
    seconds = info.audio.duration or info.duration
    if seconds < MIN_MUSIC_SECONDS:
        raise UsageError(
            f"{name} lasts {seconds:.1f} s, less than {MIN_MUSIC_SECONDS:g} s",
            field=field,
            fix="use a longer track; it is looped to the video's length",
        )
    return seconds


async def _measure(args: list[str], what: str, seconds: float) -> Loudness:
    stderr = await run_ffmpeg(args, expected_seconds=seconds)
    try:
        return parse_loudness(stderr)
    except ValueError as exc:
        raise MediaError(f"cannot measure the loudness of {what} ({exc})") from exc


async def plan_mix(
    narration: JoinedAudio,
    *,
    total: float,
    speech: Sequence[tuple[float, float]],
    music: Music | None,
    spec: OutputSpec,
) -> MixPlan:
    """Measure, and return the mix with its gains: the bed at the narration's loudness (then
    at ``music.volume`` of it in the gaps), the whole at -16 LUFS.

    ``narration`` is how to read the joined narration (the inputs it needs come first).
    """
    plan = MixPlan(total=total, speech=tuple(speech), music=music)
    if music is not None:
        bed = await _measure(measure_music_args(music, total, spec), "the music", total)
        plan = replace(plan, music_gain_db=bed.gain_db())
    mixed = await _measure(measure_mix_args(narration, plan, spec), "the mix", total)
    plan = replace(plan, master_gain_db=mixed.gain_db())
    if mixed.true_peak + plan.master_gain_db <= LIMIT_DB + LIMITER_SLACK_DB:
        return plan  # the limiter will barely touch it: the gain alone lands on the target
    # The limiter takes a little loudness off with the peaks (0.3-0.5 LU on the demo, more
    # under music, whose quiet gaps pull the measured loudness down and the gain up): measure
    # what the master really gives and make up the difference, once. The second-order rest
    # is a few hundredths of a LU.
    mastered = await _measure(
        measure_mix_args(narration, plan, spec, mastered=True), "the master", total
    )
    makeup = max(0.0, min(MAX_MAKEUP_DB, LOUDNESS_TARGET - mastered.integrated))
    return replace(plan, master_gain_db=round(plan.master_gain_db + makeup, 2))


__all__ = ["MixPlan", "Music", "check_music_file", "plan_mix"]
