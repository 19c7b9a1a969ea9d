"""Pure FFmpeg argv builders: data in, argv out (without the program name; ``run_ffmpeg`` adds it).

Nothing here touches the disk or runs anything, so every step of the assembly is unit-tested by
comparing argv lists.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from storyreel.assembly.spec import OutputSpec
from storyreel.assembly.timing import SegmentTiming

LOUDNESS_TARGET = -16.0  # LUFS, integrated: the usual target for speech on the web
TRUE_PEAK = -1.5  # dBTP: the final mix stays under this (the limiter, LIMIT_DB, sees to it)
MAX_GAIN = 30.0  # dB either way: a near-silent file is not blown up into noise
# Sample-peak ceiling of the limiter, under the -1.5 dBTP true-peak target: inter-sample peaks
# and the AAC encoder add about half a dB to the sample peaks (measured on the offline demo).
LIMIT_DB = -2.5

_INTEGRATED = re.compile(r"Integrated loudness:\s*I:\s*(-?[\d.]+|-inf)\s*LUFS", re.S)
_TRUE_PEAK = re.compile(r"True peak:\s*Peak:\s*(-?[\d.]+|-inf)\s*dBFS", re.S)


def ff_num(value: float) -> str:
    """A number as FFmpeg reads it, without float noise (6.0 -> '6', 0.1 + 0.2 -> '0.3')."""
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return text if text not in ("", "-0") else "0"


def normalise_video_filter(spec: OutputSpec) -> str:
    """Any clip to the spec: zero-based timestamps, spec fps, cover-scale then centre-crop, square
    pixels, spec pixel format. Cover (not letterbox) because a 1366x768 clip in a 1280x720 video
    should fill it."""
    w, h = spec.size
    return ",".join(
        [
            "setpts=PTS-STARTPTS",
            f"fps={spec.fps}",
            f"scale={w}:{h}:force_original_aspect_ratio=increase",
            f"crop={w}:{h}",
            "setsar=1",
            f"format={spec.pix_fmt}",
        ]
    )


def normalise_audio_filter(spec: OutputSpec) -> str:
    layout = (
        "stereo" if spec.channels == 2 else "mono" if spec.channels == 1 else f"{spec.channels}c"
    )
    return f"aresample={spec.sample_rate},aformat=sample_fmts=fltp:channel_layouts={layout}"


@dataclass(frozen=True)
class Loudness:
    integrated: float  # LUFS
    true_peak: float  # dBTP

    def gain_db(self) -> float:
        """Linear gain to the target loudness; :func:`limiter_filter` after it catches the
        peaks. Holding the gain back for the peaks instead left peaky voices up to 2 dB quieter
        than the others (segments measured -16.5 to -17.8 LUFS on the offline demo).

        Two-pass linear normalisation instead of single-pass ``loudnorm``: it keeps the voice's
        dynamics (loudnorm falls back to dynamic compression on short clips) and costs less
        (loudnorm resamples to 192 kHz).
        """
        if self.integrated == float("-inf"):
            return 0.0  # silence: nothing to normalise
        return round(max(-MAX_GAIN, min(MAX_GAIN, LOUDNESS_TARGET - self.integrated)), 2)


def limiter_filter(limit_db: float = LIMIT_DB) -> str:
    """A look-ahead peak limiter that only catches peaks: ``level=disabled`` stops alimiter from
    turning the whole signal up to its ceiling; ``latency`` compensates its look-ahead, so the
    sound stays in sync with the picture."""
    limit = max(0.0625, min(1.0, 10 ** (limit_db / 20)))
    return f"alimiter=limit={limit:.4f}:attack=5:release=50:level=disabled:latency=1"


# EBU R128 integrated loudness and true peak, printed at the end of stderr (parse_loudness).
EBUR128 = "ebur128=framelog=quiet:peak=true"


def loudness_args(narration: Path, spec: OutputSpec) -> list[str]:
    """Measure the narration as it will be played (resampled, upmixed): EBU R128 integrated
    loudness and true peak, printed by ``ebur128`` at the end of stderr."""
    return [
        "-i", str(narration),
        "-map", "0:a:0",
        "-af", f"{normalise_audio_filter(spec)},{EBUR128}",
        "-f", "null", "-",
    ]  # fmt: skip


def parse_loudness(stderr: str) -> Loudness:
    """Read the ``ebur128`` summary; raises ValueError when it is not there."""
    integrated = _INTEGRATED.findall(stderr)
    peak = _TRUE_PEAK.findall(stderr)
    if not integrated or not peak:
        raise ValueError("no ebur128 summary in ffmpeg's output")
    return Loudness(float(integrated[-1]), float(peak[-1]))


def narration_filter(spec: OutputSpec, timing: SegmentTiming, gain_db: float = 0.0) -> str:
    """Narration to the spec: resampled and upmixed, loudness-normalised by ``gain_db`` (see
    :meth:`Loudness.gain_db`) with its peaks limited, delayed by the lead-in, padded with
    silence to the end. Every segment's voice then sits at the same loudness."""
    delay_ms = round(timing.speech_start * 1000)
    return ",".join(
        [
            "asetpts=PTS-STARTPTS",
            normalise_audio_filter(spec),
            f"volume={ff_num(gain_db)}dB",
            limiter_filter(),
            f"adelay={delay_ms}:all=1",
            # adelay may stamp its silence with bogus timestamps (seen after loudnorm), and the
            # encoder would then leave a gap: count timestamps from the samples
            "asetpts=N/SR/TB",
            f"apad=whole_dur={ff_num(timing.total)}",
        ]
    )


def video_encode_args(spec: OutputSpec) -> list[str]:
    """H.264 with identical settings for every segment, so their SPS/PPS match and concat can copy.
    One keyframe per second keeps seeking and cutting cheap."""
    return [
        "-c:v", spec.video_codec,
        "-preset", spec.preset,
        "-crf", str(spec.crf),
        "-profile:v", "high",
        "-pix_fmt", spec.pix_fmt,
        "-g", str(spec.fps),
        "-r", str(spec.fps),
    ]  # fmt: skip


def audio_encode_args(spec: OutputSpec) -> list[str]:
    return [
        "-c:a", spec.audio_codec,
        "-b:a", spec.audio_bitrate,
        "-ar", str(spec.sample_rate),
        "-ac", str(spec.channels),
    ]  # fmt: skip


def mp4_output_args(out: Path) -> list[str]:
    # -f mp4 explicitly: outputs are written under a temporary name first
    return ["-movflags", "+faststart", "-f", "mp4", str(out)]


def segment_args(
    clip: Path | None,
    narration: Path | None,
    out: Path,
    spec: OutputSpec,
    timing: SegmentTiming,
    *,
    copy_video: bool = False,
    gain_db: float = 0.0,
) -> list[str]:
    """One ffmpeg call that turns a clip and its narration into a normalised segment.

    ``clip=None`` (no usable video stream) draws black; ``narration=None`` gives silence.
    ``copy_video`` keeps the clip's video untouched: only valid when it already has the spec's
    codec, size, fps and pixel format and covers the whole segment (the caller checks).
    The video is always padded by holding its last frame and the audio with silence; ``-t`` then
    cuts both to exactly ``timing.total``.
    """
    total = ff_num(timing.total)
    args: list[str] = []
    if clip is None:
        w, h = spec.size
        args += ["-f", "lavfi", "-i", f"color=c=black:s={w}x{h}:r={spec.fps}:d={total}"]
    else:
        args += ["-i", str(clip)]
    if narration is None:
        layout = "stereo" if spec.channels == 2 else "mono"
        args += ["-f", "lavfi", "-i", f"anullsrc=r={spec.sample_rate}:cl={layout}"]
        audio_chain = f"[1:a:0]apad=whole_dur={total}[a]"
    else:
        args += ["-i", str(narration)]
        audio_chain = f"[1:a:0]{narration_filter(spec, timing, gain_db)}[a]"
    if copy_video:
        args += ["-filter_complex", audio_chain, "-map", "0:v:0", "-map", "[a]", "-c:v", "copy"]
    else:
        # stop_duration=total is always enough: -t cuts, so a clip shorter than its header
        # claims is still filled by its last frame
        video_chain = (
            f"[0:v:0]{normalise_video_filter(spec)},tpad=stop_mode=clone:stop_duration={total}[v]"
        )
        args += ["-filter_complex", f"{video_chain};{audio_chain}", "-map", "[v]", "-map", "[a]"]
        args += video_encode_args(spec)
    args += audio_encode_args(spec)
    args += ["-t", total, "-map_metadata", "-1", "-map_chapters", "-1"]
    return args + mp4_output_args(out)


def _quote_concat_path(path: Path) -> str:
    # ffconcat quoting: single quotes, and a quote inside is closed, escaped and reopened
    return "'" + str(path.resolve()).replace("'", "'\\''") + "'"


def concat_list(parts: Sequence[Path]) -> str:
    """Text of an ffconcat playlist joining ``parts`` in order."""
    lines = ["ffconcat version 1.0"] + [f"file {_quote_concat_path(p)}" for p in parts]
    return "\n".join(lines) + "\n"


def image_playlist(entries: Sequence[tuple[Path, float]]) -> str:
    """Text of an ffconcat playlist of still images, each shown for its duration in seconds."""
    lines = ["ffconcat version 1.0"]
    for path, seconds in entries:
        lines += [f"file {_quote_concat_path(path)}", f"duration {ff_num(seconds)}"]
    return "\n".join(lines) + "\n"


class AudioGraph(Protocol):
    """The final video's audio (``mix_commands.FinalMix``): extra inputs after the picture's,
    and the filter chains that turn the joined narration into ``out``."""

    def inputs(self) -> list[str]: ...

    def chains(self, narration_in: str, first_input: int, out: str = "[a]") -> list[str]: ...


def _audio(
    audio: AudioGraph | None, narration_in: str, first_input: int
) -> tuple[list[str], list[str], str]:
    """(extra inputs, filter chains, what to map as the audio) for the concat builders."""
    if audio is None:
        return [], [], narration_in.strip("[]")
    return audio.inputs(), audio.chains(narration_in, first_input), "[a]"


def _concat_input(playlist: Path) -> list[str]:
    return ["-f", "concat", "-safe", "0", "-i", str(playlist)]


def _part_audio(i: int, spec: OutputSpec) -> str:
    return f"[{i}:a:0]asetpts=PTS-STARTPTS,{normalise_audio_filter(spec)}[a{i}]"


@dataclass(frozen=True)
class JoinedAudio:
    """How an audio-only pass reads the joined narration: its inputs, the chains that join
    them, and the label the result is under."""

    inputs: list[str]
    chains: list[str]
    label: str
    input_count: int

    @classmethod
    def of_playlist(cls, playlist: Path) -> JoinedAudio:
        """Segments that stream-copy: the concat demuxer, as the final pass reads them."""
        return cls(_concat_input(playlist), [], "[0:a:0]", 1)

    @classmethod
    def of_parts(cls, parts: Sequence[Path], spec: OutputSpec) -> JoinedAudio:
        """Segments that differ: each normalised, then the concat filter (as the re-encode)."""
        inputs = [arg for part in parts for arg in ("-i", str(part))]
        pads = "".join(f"[a{i}]" for i in range(len(parts)))
        chains = [_part_audio(i, spec) for i in range(len(parts))]
        chains.append(f"{pads}concat=n={len(parts)}:v=0:a=1[narration]")
        return cls(inputs, chains, "[narration]", len(parts))


def _burn_filter(video_in: str, overlay_in: str, spec: OutputSpec) -> str:
    # eof_action=pass: once the caption track ends the picture goes on untouched
    return f"{video_in}{overlay_in}overlay=0:0:eof_action=pass:format=auto,format={spec.pix_fmt}[v]"


def concat_copy_args(
    playlist: Path, out: Path, spec: OutputSpec, *, audio: AudioGraph | None = None
) -> list[str]:
    """Join identical segments: the video is stream-copied, the audio re-encoded (through
    ``audio``'s mix and master when given).

    ``-copyts`` keeps the segments' own zero-based timestamps. Without it ffmpeg shifts
    everything by the AAC priming packet (-21 ms), and ``-avoid_negative_ts make_zero`` shifts
    the video to start at 0.083 s: a positive start time some players show as black. The audio
    is decoded and re-encoded (cheap) because copied AAC would overlap each part's priming
    packet with the previous part's tail: a click and up to 21 ms of drift at every join.
    """
    inputs, chains, audio_out = _audio(audio, "[0:a:0]", 1)
    graph = ["-filter_complex", ";".join(chains)] if chains else []
    return [
        "-copyts",
        *_concat_input(playlist),
        *inputs,
        *graph,
        "-map", "0:v:0", "-map", audio_out,
        "-c:v", "copy",
        *audio_encode_args(spec),
        "-map_metadata", "-1",
        *mp4_output_args(out),
    ]  # fmt: skip


def concat_burn_args(
    playlist: Path,
    captions: Path,
    out: Path,
    spec: OutputSpec,
    *,
    audio: AudioGraph | None = None,
) -> list[str]:
    """Join identical segments and burn captions: one video re-encode."""
    inputs, chains, audio_out = _audio(audio, "[0:a:0]", 2)
    return [
        "-copyts",
        *_concat_input(playlist),
        *_concat_input(captions),
        *inputs,
        "-filter_complex", ";".join([_burn_filter("[0:v:0]", "[1:v:0]", spec), *chains]),
        "-map", "[v]", "-map", audio_out,
        *video_encode_args(spec),
        *audio_encode_args(spec),
        "-map_metadata", "-1",
        *mp4_output_args(out),
    ]  # fmt: skip


def concat_reencode_args(
    parts: Sequence[Path],
    out: Path,
    spec: OutputSpec,
    *,
    captions: Path | None = None,
    audio: AudioGraph | None = None,
) -> list[str]:
    """Join segments that differ (size, fps, codec...) with the concat filter, normalising each
    one on the way; optionally burning captions in the same pass."""
    args: list[str] = []
    for part in parts:
        args += ["-i", str(part)]
    chains = []
    pads = ""
    for i in range(len(parts)):
        chains.append(f"[{i}:v:0]{normalise_video_filter(spec)}[v{i}]")
        chains.append(_part_audio(i, spec))
        pads += f"[v{i}][a{i}]"
    joined = "[v]" if captions is None else "[joined]"
    narration = "[a]" if audio is None else "[narration]"
    chains.append(f"{pads}concat=n={len(parts)}:v=1:a=1{joined}{narration}")
    if captions is not None:
        args += _concat_input(captions)
        chains.append(_burn_filter("[joined]", f"[{len(parts)}:v:0]", spec))
    extra, audio_chains, _ = _audio(audio, narration, len(parts) + (captions is not None))
    return [
        *args,
        *extra,
        "-filter_complex", ";".join([*chains, *audio_chains]),
        "-map", "[v]", "-map", "[a]",
        *video_encode_args(spec),
        *audio_encode_args(spec),
        "-map_metadata", "-1",
        *mp4_output_args(out),
    ]  # fmt: skip


def frame_args(src: Path, at_seconds: float, out: Path) -> list[str]:
    """Extract one frame at ``at_seconds`` as an image (used to look at results)."""
    return ["-ss", ff_num(at_seconds), "-i", str(src), "-frames:v", "1", "-update", "1", str(out)]
