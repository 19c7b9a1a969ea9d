"""Concurrency benchmark (a script, not a test; issue 5).

Starts the fake MiniMax and OpenAI services as separate processes with real-world-like latency
(plan 1 s, image 1 s, video 20 s per task, speech 1 s; the fake MiniMax renders one clip per
shape and serves it to every task, as MiniMax renders on its own machines), then runs the command
``storyreel make STORY -n 8 --resolution 720P --yes`` against them:

  critical path  a 1-segment job: plan + speech + first frame + one more frame + video + mux +
                 assemble, each measured (the local FFmpeg work included)
  c8 rpm5        8 segments, --concurrency 8, MINIMAX_VIDEO_RPM at its default (5 a minute)
  c8 rpm60       8 segments, --concurrency 8, MINIMAX_VIDEO_RPM=60
  c1 rpm60       8 segments, --concurrency 1 (the sequential baseline; the RPM limit cannot bind)

and reports each wall time divided by the critical path (goal <= 1.10 at concurrency 8).
Polling is set to MINIMAX_POLL_INITIAL_DELAY=0, MINIMAX_POLL_INTERVAL=1 so the poll spacing
(10 s by default) does not hide the pipeline's own overhead.

Run:  .venv/bin/python bench/bench_concurrency.py [--video 20] [--skip-sequential] [--skip-rpm5]
      [--json FILE]   (the figures, for bench/run.py's RESULTS.md)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import re
import shutil
import sys
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

from _timing import Run, StepTime, run_storyreel

from storyreel.minimax._constants import ARRIVAL_MARGIN, RATE_PERIOD

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.fakes.fake_minimax import FAKE_MINIMAX_KEY  # noqa: E402
from tests.fakes.fake_openai import FAKE_OPENAI_KEY  # noqa: E402

STORY = (
    "Every night the old keeper climbs the spiral stairs. "
    "He lights the great lamp above the rocks. "
    "One winter a storm swallows the coast. "
    "A small fishing boat loses its way. "
    "The crew can no longer see the shore. "
    "The beam sweeps across the black water. "
    "It finds the boat and shows the way. "
    "At dawn the boat comes safely home."
)
LISTENING = re.compile(rb"listening on (http://\S+)")
PYTHONPATH = os.environ.get("PYTHONPATH", "")


@contextlib.asynccontextmanager
async def fake(module: str, *latency: str, reuse: bool = False) -> AsyncIterator[str]:
    """Run ``python -m tests.fakes.MODULE`` on a free port; yields its URL. ``reuse``: the fake
    MiniMax renders one clip per shape for every task (as in bench_workers.py): MiniMax renders
    on its own machines, and eight clips encoded here would take the CPU being measured."""
    args = [sys.executable, "-m", f"tests.fakes.{module}", "--port", "0"]
    if reuse:
        args.append("--reuse-clips")
    for item in latency:
        args += ["--latency", item]
    proc = await asyncio.create_subprocess_exec(
        *args,
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        # The repository root (for tests.fakes) in front of whatever path the caller set.
        env={**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), PYTHONPATH]))},
    )
    assert proc.stdout is not None
    try:
        async with asyncio.timeout(30):
            while not (match := LISTENING.search(await proc.stdout.readline())):
                if proc.returncode is not None:
                    raise SystemExit(f"{module} did not start")
        drain = asyncio.create_task(proc.stdout.read())  # keep its pipe from filling
        yield match.group(1).decode()
    finally:
        proc.terminate()
        await proc.wait()
        with contextlib.suppress(NameError):
            drain.cancel()


def critical_parts(run: Run) -> list[StepTime]:
    return [
        run.step("plan", None),
        run.step("speech", 0),
        run.step("frame", 0),
        run.step("frame", 1),
        run.step("video", 0),
        run.step("mux", 0),
        run.step("assemble", None),
    ]


def critical_path(run: Run) -> float:
    return sum(p.seconds for p in critical_parts(run))


def _ready(run: Run, i: int) -> float:
    """Seconds after the plan until segment ``i`` may create its clip: its narration and its two
    keyframes (frame 0 is drawn first; every other frame takes it as reference)."""
    frame0 = run.step("frame", 0).seconds

    def frame(k: int) -> float:
        return frame0 if k == 0 else frame0 + run.step("frame", k).seconds

    return max(run.step("speech", i).seconds, frame(i), frame(i + 1))


def _clip_and_mux(run: Run, i: int) -> float:
    return run.step("video", i).seconds + run.step("mux", i).seconds


def own_critical_path(run: Run, segments: int) -> float:
    """The longest chain of steps in this run, timed as they ran here: the plan, the slowest
    segment's narration or keyframes, its clip and mux, then the assembly. A wall time near it
    means no step waited for anything but its inputs."""
    chain = max(_ready(run, i) + _clip_and_mux(run, i) for i in range(segments))
    return run.step("plan", None).seconds + chain + run.step("assemble", None).seconds


def own_rpm_floor(run: Run, segments: int, rpm: int) -> float:
    """A lower bound on this run's wall time at ``rpm``: the last batch of creates leaves
    ``window`` after the first (the earliest ready segment's), and then needs at least the
    quickest clip and mux, and the assembly; and never less than the run's critical path."""
    windows = math.ceil(segments / rpm) - 1
    first = min(_ready(run, i) for i in range(segments))
    quickest = min(_clip_and_mux(run, i) for i in range(segments))
    bound = (
        run.step("plan", None).seconds
        + first
        + windows * (RATE_PERIOD + ARRIVAL_MARGIN)
        + quickest
        + run.step("assemble", None).seconds
    )
    return max(bound, own_critical_path(run, segments))


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--video", type=float, default=20.0, help="seconds per video task")
    parser.add_argument("--segments", type=int, default=8)
    parser.add_argument("--skip-sequential", action="store_true", help="no --concurrency 1 run")
    parser.add_argument("--skip-rpm5", action="store_true", help="no run at the default 5 RPM")
    parser.add_argument("--cp-runs", type=int, default=3, help="1-segment runs (median used)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="storyreel-bench-concurrency-"))
    story = work / "story.txt"
    story.write_text(STORY, encoding="utf-8")
    results: list[tuple[str, Run]] = []
    try:
        async with (
            fake("fake_minimax", f"video={args.video}", "speech=1", reuse=True) as minimax,
            fake("fake_openai", "plan=1,image=1") as openai,
        ):
            base = {
                "MINIMAX_BASE_URL": minimax,
                "MINIMAX_API_KEY": FAKE_MINIMAX_KEY,
                "OPENAI_BASE_URL": f"{openai}/v1",
                "OPENAI_API_KEY": FAKE_OPENAI_KEY,
                "MINIMAX_POLL_INITIAL_DELAY": "0",
                "MINIMAX_POLL_INTERVAL": "1",
            }
            n = str(args.segments)
            # The baseline every ratio divides by: its median of a few runs, so one stall of a
            # busy machine does not move every figure.
            runs = [("critical path (1 segment)", "1", "1", {"MINIMAX_VIDEO_RPM": "60"})]
            runs *= args.cp_runs
            if not args.skip_rpm5:
                runs.append((f"{n} segments, c8, rpm 5 (default)", n, "8", {}))
            runs.append((f"{n} segments, c8, rpm 60", n, "8", {"MINIMAX_VIDEO_RPM": "60"}))
            if not args.skip_sequential:
                runs.append((f"{n} segments, c1, rpm 60", n, "1", {"MINIMAX_VIDEO_RPM": "60"}))
            for number, (label, segments, concurrency, extra) in enumerate(runs):
                env = {**base, **extra, "STORYREEL_DATA_DIR": str(work / f"data{number}")}
                argv = ["make", str(story), "--out", str(work / f"out{number}"), "--yes"]
                argv += ["-n", segments, "--resolution", "720P", "--concurrency", concurrency]
                print(f"running: {label} ...", flush=True)
                results.append((label, await run_storyreel(argv, env, work / f"make{number}.log")))
    finally:
        shutil.rmtree(work, ignore_errors=True)

    baselines = sorted(results[: args.cp_runs], key=lambda item: critical_path(item[1]))
    results[: args.cp_runs] = [baselines[len(baselines) // 2]]
    one = results[0][1]
    path = critical_path(one)
    print()
    print(
        f"fake latency: plan 1 s, image 1 s, video {args.video:g} s, speech 1 s; 720P; "
        f"{os.cpu_count()} cores"
    )
    print(
        f"critical path of one segment (steps summed, median of {args.cp_runs} runs): "
        f"{path:.2f} s; 1-segment job wall time: {one.wall:.2f} s"
    )
    print(
        "  = "
        + " + ".join(
            f"{p.stage}{'' if p.index is None else p.index} {p.seconds:.2f}"
            for p in critical_parts(one)
        )
    )
    print()
    header = f"{'run':34} {'wall s':>8} {'steps s':>8} {'wall/CP':>8} {'wall/1-seg wall':>16}"
    print(header)
    for label, run in results:
        steps = max(s.end for s in run.steps) - min(s.start for s in run.steps)
        print(
            f"{label:34} {run.wall:8.2f} {steps:8.2f} {run.wall / path:8.3f} "
            f"{run.wall / one.wall:16.3f}"
        )
    print()
    for label, run in results[1:]:
        spans = run.by_stage()
        parts = ", ".join(f"{stage} {span:.1f}" for stage, (_, _, span) in spans.items())
        print(f"{label}: stage spans (first start -> last end, s): {parts}")
    print()
    for label, run in results[1:]:
        own = own_critical_path(run, args.segments)
        print(
            f"{label}: its own critical path {own:.1f} s; wall / it {run.wall / own:.3f}; "
            f"start-up {run.startup:.2f} s, then the job {run.span:.1f} s "
            f"(job / critical path {run.span / own:.3f})"
        )
    if not args.skip_rpm5:
        rpm5 = next(run for label, run in results if "rpm 5 " in label)
        floor = rpm_floor(args.segments, 5, path)
        print(f"rpm 5: RPM-bound minimum {floor:.1f} s; wall / minimum {rpm5.wall / floor:.3f}")
        own_floor = own_rpm_floor(rpm5, args.segments, 5)
        print(
            f"rpm 5: own RPM-bound minimum {own_floor:.1f} s; wall / it {rpm5.wall / own_floor:.3f}"
        )
    if args.json:
        args.json.write_text(json.dumps(figures(args, path, results), indent=2), encoding="utf-8")


def rpm_floor(segments: int, rpm: int, path: float) -> float:
    """The least wall time ``segments`` creates allow at ``rpm``: the last batch of ``rpm``
    creates leaves one full window (plus the limiter's arrival margin) after the first, and its
    segment then takes the critical path's clip, mux and assembly like the first did."""
    windows = math.ceil(segments / rpm) - 1
    return windows * (RATE_PERIOD + ARRIVAL_MARGIN) + path


def figures(args: argparse.Namespace, path: float, results: list[tuple[str, Run]]) -> dict:
    one = results[0][1]
    runs = {}
    for label, run in results[1:]:
        key = "c1_rpm60" if ", c1," in label else "rpm5" if "rpm 5 " in label else "rpm60"
        own = own_critical_path(run, args.segments)
        runs[key] = {
            "label": label,
            "wall": run.wall,
            "wall_per_cp": run.wall / path,
            "own_cp": own,
            "wall_per_own_cp": run.wall / own,
            "startup": run.startup,
            "span": run.span,
            "span_per_own_cp": run.span / own,
        }
        if key == "rpm5":
            floor = rpm_floor(args.segments, 5, path)
            own_floor = own_rpm_floor(run, args.segments, 5)
            runs[key].update(
                floor=floor,
                wall_per_floor=run.wall / floor,
                own_floor=own_floor,
                wall_per_own_floor=run.wall / own_floor,
            )
    return {
        "video_latency": args.video,
        "segments": args.segments,
        "critical_path": path,
        "one_segment_wall": one.wall,
        "runs": runs,
    }


if __name__ == "__main__":
    asyncio.run(main())
