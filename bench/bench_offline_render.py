"""Offline render benchmark (a script, not a test; issue 3).

Renders a 6-segment story with the offline providers at 720P through the real command
(``storyreel make STORY --offline -n 6 --resolution 720P``, a fresh data dir and output folder),
and reports the wall time divided by the video's duration (goal: <= 0.5, twice real time), and how
the time splits per stage, from the step events the job store keeps.

Run:  .venv/bin/python bench/bench_offline_render.py [--segments 6] [--resolution 720P] [--keep DIR]
      [--json FILE]   (the figures, for bench/run.py's RESULTS.md)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import tempfile
from pathlib import Path

from _timing import run_storyreel

STORY = (
    "Every night the old keeper climbs the spiral stairs of the lighthouse. "
    "He trims the wick and lights the great lamp above the rocks. "
    "One winter a storm swallows the coast in rain and black water. "
    "A small fishing boat loses its way among the waves. "
    "The beam sweeps across the sea and finds the frightened crew. "
    "At dawn the boat comes safely home, and the keeper finally sleeps."
)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--segments", type=int, default=6)
    parser.add_argument("--resolution", default="720P")
    parser.add_argument("--keep", type=Path, help="keep the output here")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="storyreel-bench-offline-"))
    try:
        story = work / "story.txt"
        story.write_text(STORY, encoding="utf-8")
        out = args.keep or work / "out"
        env = {"STORYREEL_DATA_DIR": str(work / "data")}
        for name in ("MINIMAX_API_KEY", "OPENAI_API_KEY", "MINIMAX_BASE_URL", "OPENAI_BASE_URL"):
            os.environ.pop(name, None)
        run = await run_storyreel(
            [
                "make",
                str(story),
                "--out",
                str(out),
                "--offline",
                "-n",
                str(args.segments),
                "--resolution",
                args.resolution,
            ],
            env,
            work / "make.log",
        )
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)

    ratio = run.wall / run.video_seconds
    print(f"offline render: {args.segments} segments at {args.resolution}, {os.cpu_count()} cores")
    print(f"  wall time       {run.wall:7.2f} s (whole command, Python start included)")
    print(f"  video duration  {run.video_seconds:7.2f} s")
    print(f"  wall / duration {ratio:7.3f}   (goal <= 0.5: {'met' if ratio <= 0.5 else 'NOT met'})")
    print()
    first = min(s.start for s in run.steps)
    last = max(s.end for s in run.steps)
    print(f"  {'stage':9} {'steps':>5} {'busy s':>8} {'span s':>8} {'share of busy':>14}")
    stages = run.by_stage()
    busy_total = sum(busy for _, busy, _ in stages.values())
    for stage, (count, busy, span) in stages.items():
        print(f"  {stage:9} {count:5d} {busy:8.2f} {span:8.2f} {busy / busy_total:13.0%}")
    print(
        f"  steps ran {last - first:.2f} s of the {run.wall:.2f} s; the rest is start-up "
        "(imports, store, estimate) and the storyboard"
    )
    if args.json:
        figures = {
            "segments": args.segments,
            "resolution": args.resolution,
            "wall": run.wall,
            "video_seconds": run.video_seconds,
            "steps_span": last - first,
            "stages": {
                stage: {"steps": count, "busy": busy, "span": span}
                for stage, (count, busy, span) in stages.items()
            },
        }
        args.json.write_text(json.dumps(figures, indent=2), encoding="utf-8")


if __name__ == "__main__":
    asyncio.run(main())
