"""Assembly benchmark (a script, not a test): storyreel's FFmpeg assembly vs a MoviePy assembly.

Makes 10 uniform 6 s clips (1280x720, 24 fps, H.264) and 10 narration WAVs, then times in the same
run:

  ours     mux_segment x10 (at most one per core at a time) + concat_segments
  ours-re  the same with allow_copy=False: every clip re-encoded (what a clip of another size,
           fps or codec costs)
  limit    the physical limit of the copy path: raw ffmpeg doing the minimum, at the same
           parallelism (per clip `-c:v copy -c:a aac -shortest`, the narration padded to the
           clip and encoded as ours is, 48 kHz stereo; then a concat-demuxer stream copy of the
           results); no probes, no loudness, no checks. Same streams and length as ours
  moviepy  VideoFileClip.with_audio(AudioFileClip) x10 -> concatenate_videoclips ->
           write_videofile(libx264, aac), the way MoviePy-based peers assemble

Run:  .venv/bin/pip install -e '.[bench]' && .venv/bin/python bench/bench_assembly.py
Options: --segments N, --seconds S, --skip-moviepy, --keep DIR, --json FILE (the figures, for
bench/run.py's RESULTS.md).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from storyreel.assembly.commands import concat_list
from storyreel.assembly.concat import concat_segments
from storyreel.assembly.ffmpeg import ffmpeg_exe
from storyreel.assembly.probe import probe
from storyreel.assembly.segment import mux_segment
from storyreel.assembly.spec import OutputSpec

SPEC = OutputSpec.for_resolution("720P")


def ffmpeg(*args: str) -> None:
    subprocess.run([ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", *args], check=True)


def make_inputs(work: Path, count: int, seconds: float) -> list[tuple[Path, Path]]:
    pairs = []
    for n in range(count):
        clip, speech = work / f"clip_{n}.mp4", work / f"narration_{n}.wav"
        # moving, detailed content (not a flat colour) so the encoder does real work
        ffmpeg(
            "-f", "lavfi", "-i", f"mandelbrot=s=1280x720:rate=24:start_scale={2 + n * 0.3}",
            "-t", str(seconds), "-c:v", "libx264", "-preset", "veryfast", "-crf", "20",
            "-pix_fmt", "yuv420p", str(clip),
        )  # fmt: skip
        # narration shorter than the clip, as the planner aims for (3.5 - 5 s, 24 kHz mono)
        ffmpeg(
            "-f", "lavfi", "-i", f"sine=f={300 + 40 * n}:r=24000:d={3.5 + (n % 4) * 0.4}",
            "-c:a", "pcm_s16le", str(speech),
        )  # fmt: skip
        pairs.append((clip, speech))
    return pairs


async def ours(pairs: list[tuple[Path, Path]], out_dir: Path, *, allow_copy: bool) -> Path:
    limit = asyncio.Semaphore(os.cpu_count() or 2)

    async def one(n: int, clip: Path, speech: Path) -> Path:
        async with limit:
            out = out_dir / f"segment_{n}.mp4"
            await mux_segment(clip, speech, out, SPEC, allow_copy=allow_copy)
            return out

    parts = await asyncio.gather(*(one(n, c, s) for n, (c, s) in enumerate(pairs)))
    final = out_dir / "final_video.mp4"
    await concat_segments(list(parts), final, SPEC)
    return final


async def physical_limit(pairs: list[tuple[Path, Path]], out_dir: Path) -> Path:
    """The least any copy-path assembly can do: mux each clip by stream copy (the narration
    encoded to AAC), then join the results by stream copy. What ours is measured against.

    The narration is padded with silence (``apad``; ``-shortest`` then stops at the clip's end)
    and encoded to the spec's rate, layout and bitrate: without that the limit would make a
    40 s video of 24 kHz mono where ours makes 60 s of 48 kHz stereo, a cheaper job."""
    limit = asyncio.Semaphore(os.cpu_count() or 2)

    async def run(*args: str) -> None:
        proc = await asyncio.create_subprocess_exec(
            ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-nostdin", "-y", *args
        )
        if await proc.wait() != 0:
            raise SystemExit(f"ffmpeg {' '.join(args)} failed")

    async def one(n: int, clip: Path, speech: Path) -> Path:
        async with limit:
            out = out_dir / f"segment_{n}.mp4"
            await run(
                "-i", str(clip), "-i", str(speech), "-map", "0:v", "-map", "1:a",
                "-c:v", "copy", "-af", "apad", "-c:a", "aac", "-b:a", SPEC.audio_bitrate,
                "-ar", str(SPEC.sample_rate), "-ac", str(SPEC.channels), "-shortest", str(out),
            )  # fmt: skip
            return out

    parts = await asyncio.gather(*(one(n, c, s) for n, (c, s) in enumerate(pairs)))
    playlist = out_dir / "parts.ffconcat"
    playlist.write_text(concat_list(list(parts)), encoding="utf-8")
    final = out_dir / "final_video.mp4"
    await run("-f", "concat", "-safe", "0", "-i", str(playlist), "-c", "copy", str(final))
    return final


def moviepy_assembly(pairs: list[tuple[Path, Path]], out: Path) -> Path:
    from moviepy import AudioFileClip, VideoFileClip, concatenate_videoclips

    clips = [VideoFileClip(str(c)).with_audio(AudioFileClip(str(s))) for c, s in pairs]
    final = concatenate_videoclips(clips)
    final.write_videofile(str(out), fps=SPEC.fps, codec="libx264", audio_codec="aac", logger=None)
    for clip in clips:
        clip.close()
    return out


def timed(label: str, fn: object, *args: object, **kwargs: object) -> tuple[float, Path]:
    start = time.perf_counter()
    result = fn(*args, **kwargs)  # type: ignore[operator]
    if asyncio.iscoroutine(result):
        result = asyncio.run(result)
    elapsed = time.perf_counter() - start
    info = probe(result, decode=True)
    print(
        f"{label:8s} {elapsed:7.2f} s  -> {info.duration:.2f} s video, {info.video.frames} frames"
    )  # type: ignore[union-attr]
    return elapsed, result


def children_peak_rss_mb() -> float:
    # ru_maxrss of the largest child process (ffmpeg) in kilobytes on Linux
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--segments", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--skip-moviepy", action="store_true")
    parser.add_argument("--keep", type=Path, help="keep the inputs and outputs in this folder")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    figures: dict[str, object] = {"segments": args.segments, "seconds": args.seconds}

    work = Path(args.keep or tempfile.mkdtemp(prefix="storyreel-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        print(f"{args.segments} clips of {args.seconds:g} s at {SPEC.width}x{SPEC.height}, "
              f"{SPEC.fps} fps; {os.cpu_count()} cores; ffmpeg {ffmpeg_exe()}")  # fmt: skip
        pairs = make_inputs(work, args.segments, args.seconds)
        for sub in ("ours", "ours_re", "limit", "moviepy"):
            (work / sub).mkdir(exist_ok=True)
        # the fast path takes ~2 s, so a busy neighbour skews one run: report the median of 3
        runs = sorted(
            timed("ours", ours, pairs, work / "ours", allow_copy=True)[0] for _ in range(3)
        )
        t_ours = runs[1]
        print(f"ours median of 3: {t_ours:.2f} s")
        limits = sorted(timed("limit", physical_limit, pairs, work / "limit")[0] for _ in range(3))
        t_limit = limits[1]
        print(f"limit median of 3: {t_limit:.2f} s")
        print(f"ratio ours/limit       = {t_ours / t_limit:6.2f}x  (goal <= 2x)")
        t_re, _ = timed("ours-re", ours, pairs, work / "ours_re", allow_copy=False)
        print(f"peak RSS of one ffmpeg child: {children_peak_rss_mb():.0f} MB")
        figures.update(
            ours=t_ours,
            ours_runs=runs,
            limit=t_limit,
            limit_runs=limits,
            ours_re=t_re,
            ffmpeg_rss_mb=children_peak_rss_mb(),
        )
        if args.skip_moviepy:
            return
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        t_mp, _ = timed("moviepy", moviepy_assembly, pairs, work / "moviepy" / "final_video.mp4")
        rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"peak RSS of this Python process: {rss_before:.0f} MB before MoviePy, "
              f"{rss_after:.0f} MB after")  # fmt: skip
        print(f"ratio moviepy/ours     = {t_mp / t_ours:6.1f}x  (goal >= 20x)")
        print(f"ratio moviepy/ours-re  = {t_mp / t_re:6.1f}x  (every clip re-encoded)")
        figures.update(moviepy=t_mp, moviepy_rss_mb=rss_after)
    finally:
        if args.json:
            args.json.write_text(json.dumps(figures, indent=2), encoding="utf-8")
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
