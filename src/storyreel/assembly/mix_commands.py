"""Pure builders of the final mix's FFmpeg filter graph: narration, an optional music bed ducked
under the speech, and the master stage (gain to -16 LUFS, peak limiter). Data in, strings out;
``assembly/mix.py`` runs the measuring passes and ``assembly/concat.py`` the final one.

The graph is the same in every pass, only its end differs: the measuring passes end in
``ebur128`` (what the mix *is*), the final pass in the master gain and the limiter (what it
*becomes*). That is what makes the two-pass normalisation exact: it measures the very signal it
then scales.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from storyreel.assembly.commands import (
    EBUR128,
    JoinedAudio,
    ff_num,
    limiter_filter,
    normalise_audio_filter,
)
from storyreel.assembly.spec import OutputSpec

# While someone speaks the bed sits this far under the narration (the issue asks 15-20 dB;
# broadcast practice for speech over music is about 18).
DUCK_UNDER_SPEECH_DB = 18.0
# The bed goes down before the first word and comes back slowly after the last: a bed that
# jumps up between two sentences sounds like a mistake.
DUCK_ATTACK = 0.25  # s
DUCK_RELEASE = 0.6  # s
# Gaps shorter than this stay ducked (pumping between sentences is worse than a quiet bed).
DUCK_HOLD = 1.2  # s
FADE_IN = 1.5  # s
FADE_OUT = 3.0  # s
DEFAULT_MUSIC_VOLUME = 0.3  # the bed in the gaps, as a fraction of the narration's loudness


@dataclass(frozen=True)
class Music:
    """A bed under the narration: the user's (or MiniMax's) track, looped or trimmed to the
    video, or, with ``path=None``, the locally synthesised one."""

    path: Path | None
    volume: float = DEFAULT_MUSIC_VOLUME  # (0, 1]: 1 = as loud as the narration in the gaps


@dataclass(frozen=True)
class MixPlan:
    """Everything the mix graph is built from. The gains come from the measuring passes."""

    total: float  # seconds: the video's length
    speech: tuple[tuple[float, float], ...] = ()  # (start, end) of each narration, seconds
    music: Music | None = None
    music_gain_db: float = 0.0  # brings the bed to the narration's loudness (pass 1)
    master_gain_db: float = 0.0  # brings the whole mix to LOUDNESS_TARGET (pass 2)


# -- the synthesised bed --------------------------------------------------------------------------

CHORD_SECONDS = 4.0
# A minor: Am - F - C - G, each as bass + three voices (Hz). Quiet sines, so nothing clips.
CHORDS: tuple[tuple[float, ...], ...] = (
    (110.0, 220.0, 261.63, 329.63),
    (87.31, 174.61, 220.0, 261.63),
    (130.81, 196.0, 261.63, 329.63),
    (98.0, 196.0, 246.94, 293.66),
)
SYNTH_VERSION = "synth-am-1"  # bump when the synthesised bed changes: videos re-mix
SYNTH_RATE = 16000  # the bed has nothing above 3 kHz; a low rate keeps aevalsrc cheap


def synth_source(total: float) -> str:
    """The lavfi graph of an instrumental pad lasting ``total`` seconds: a chord every
    :data:`CHORD_SECONDS`, each swelling in and out (zero at the changes, so no clicks), with a
    slow tremolo and a little echo for room. No network, no files: FFmpeg's own sources."""
    step = ff_num(CHORD_SECONDS)
    index = f"mod(floor(t/{step}),{len(CHORDS)})"

    def chord(freqs: Sequence[float]) -> str:
        return "+".join(f"sin(2*PI*{ff_num(f)}*t)" for f in freqs)

    # if() evaluates lazily, so each sample computes one chord's sines, not all of them
    expr = chord(CHORDS[-1])
    for k in range(len(CHORDS) - 2, -1, -1):
        expr = f"if(eq({index},{k}),{chord(CHORDS[k])},{expr})"
    swell = f"min(1,min(mod(t,{step})/0.5,({step}-mod(t,{step}))/0.5))"
    return (
        f"aevalsrc='0.08*({expr})*{swell}':s={SYNTH_RATE}:d={ff_num(total + 0.5)},"
        "tremolo=f=0.5:d=0.4,aecho=0.8:0.6:90|170:0.3|0.2,lowpass=f=3000"
    )


def music_input_args(music: Music, total: float) -> list[str]:
    """The bed as an FFmpeg input: a file looped forever and read for ``total`` seconds (so a
    long track is trimmed, a short one repeated), or the synthesised source."""
    if music.path is None:
        return ["-f", "lavfi", "-i", synth_source(total)]
    return ["-stream_loop", "-1", "-t", ff_num(total), "-i", str(music.path)]


# -- ducking --------------------------------------------------------------------------------------


def duck_windows(speech: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    """Speech spans merged where the gap between them is too short to bring the bed back."""
    merged: list[tuple[float, float]] = []
    for start, end in sorted(speech):
        if end <= start:
            continue
        if merged and start - merged[-1][1] < DUCK_HOLD + DUCK_ATTACK + DUCK_RELEASE:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def duck_depth_db(volume: float) -> float:
    """How far the bed goes down while someone speaks: to :data:`DUCK_UNDER_SPEECH_DB` under
    the narration, or not at all when the user's volume already puts it lower."""
    gap_db = 20 * math.log10(volume)
    return max(0.0, gap_db + DUCK_UNDER_SPEECH_DB)


def duck_expression(speech: Sequence[tuple[float, float]], depth_db: float) -> str:
    """A ``volume`` expression of ``t``: 1 in the gaps, ``-depth_db`` while someone speaks, with
    linear ramps (attack before the first word, release after the last). The windows never
    overlap once merged, so their ramps add up to at most 1."""
    terms = [
        f"clip(min((t-{ff_num(s - DUCK_ATTACK)})/{ff_num(DUCK_ATTACK)},"
        f"({ff_num(e + DUCK_RELEASE)}-t)/{ff_num(DUCK_RELEASE)}),0,1)"
        for s, e in duck_windows(speech)
    ]
    if not terms or depth_db <= 0:
        return "1"
    return f"pow(10,-{ff_num(depth_db)}*({'+'.join(terms)})/20)"


# -- the graph ------------------------------------------------------------------------------------


def bed_chain(music_in: str, plan: MixPlan, spec: OutputSpec, out: str = "[bed]") -> str:
    """The bed from its input: to the spec's rate and layout, cut to the video, faded in and out,
    at its loudness under the narration, ducked under the speech."""
    if plan.music is None:
        raise ValueError("no music in this mix")
    total = plan.total
    fade_out = min(FADE_OUT, total / 3)
    gap_db = 20 * math.log10(plan.music.volume)
    return (
        f"{music_in}asetpts=PTS-STARTPTS,{normalise_audio_filter(spec)},"
        f"atrim=end={ff_num(total)},"
        f"afade=t=in:d={ff_num(min(FADE_IN, total / 3))},"
        f"afade=t=out:st={ff_num(total - fade_out)}:d={ff_num(fade_out)},"
        f"volume={ff_num(plan.music_gain_db + gap_db)}dB,"
        f"volume='{duck_expression(plan.speech, duck_depth_db(plan.music.volume))}':eval=frame"
        f"{out}"
    )


@dataclass(frozen=True)
class FinalMix:
    """The audio of the final video, as the concat builders in ``commands.py`` take it: the
    bed's input (if any) and the chains that turn the joined narration into ``[a]``."""

    plan: MixPlan
    spec: OutputSpec

    def inputs(self) -> list[str]:
        music = self.plan.music
        return music_input_args(music, self.plan.total) if music is not None else []

    def chains(self, narration_in: str, first_input: int, out: str = "[a]") -> list[str]:
        """The mix, then the master gain from the measuring pass and the limiter."""
        master = f"[mix]{master_filter(self.plan.master_gain_db)}{out}"
        return [*mix_chains(narration_in, first_input, self.plan, self.spec), master]


def master_filter(gain_db: float) -> str:
    return f"volume={ff_num(gain_db)}dB,{limiter_filter()}"


def mix_chains(
    narration_in: str, music_index: int, plan: MixPlan, spec: OutputSpec, out: str = "[mix]"
) -> list[str]:
    """Narration plus the ducked bed (input ``music_index``), summed as they are
    (``normalize=0``: amix would otherwise scale both down), as long as the narration."""
    if plan.music is None:
        return [f"{narration_in}anull{out}"]
    return [
        bed_chain(f"[{music_index}:a:0]", plan, spec),
        f"{narration_in}[bed]amix=inputs=2:duration=first:dropout_transition=0:normalize=0{out}",
    ]


def measure_music_args(music: Music, total: float, spec: OutputSpec) -> list[str]:
    """Pass 1: the bed's own loudness, looped or trimmed to the video as it will be played."""
    return [
        *music_input_args(music, total),
        "-map", "0:a:0",
        "-af", f"asetpts=PTS-STARTPTS,{normalise_audio_filter(spec)},atrim=end={ff_num(total)},"
        f"{EBUR128}",
        "-f", "null", "-",
    ]  # fmt: skip


def measure_mix_args(
    narration: JoinedAudio, plan: MixPlan, spec: OutputSpec, *, mastered: bool = False
) -> list[str]:
    """Pass 2: the loudness of the mix itself (audio only: the video is never decoded), so the
    final pass can scale it to the target exactly. ``mastered``: of the mix after the master
    gain and the limiter, as the final pass will make it (pass 3, see ``mix.plan_mix``)."""
    music = music_input_args(plan.music, plan.total) if plan.music is not None else []
    chains = mix_chains(narration.label, narration.input_count, plan, spec)
    master = f"{master_filter(plan.master_gain_db)}," if mastered else ""
    return [
        *narration.inputs,
        *music,
        "-filter_complex", ";".join([*narration.chains, *chains, f"[mix]{master}{EBUR128}[m]"]),
        "-map", "[m]",
        "-f", "null", "-",
    ]  # fmt: skip
