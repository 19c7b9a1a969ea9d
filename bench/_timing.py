"""Shared by the pipeline benchmarks: run the real ``storyreel`` command and read back, from the
job store's events, when each step started and finished."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from storyreel.pipeline.store import DB_NAME, SQLiteJobStore

STAGES = ("plan", "speech", "frame", "video", "mux", "assemble")


@dataclass(frozen=True)
class StepTime:
    stage: str
    index: int | None
    start: float
    end: float
    reused: bool

    @property
    def seconds(self) -> float:
        return self.end - self.start


@dataclass(frozen=True)
class Run:
    wall: float
    steps: list[StepTime]
    video_seconds: float
    # From the command's launch to the job's first event (the interpreter, imports, the
    # language model, the providers' clients), and from that event to the job's last: the
    # part the pipeline schedules.
    startup: float = 0.0
    span: float = 0.0

    def step(self, stage: str, index: int | None) -> StepTime:
        return next(s for s in self.steps if s.stage == stage and s.index == index)

    def by_stage(self) -> dict[str, tuple[int, float, float]]:
        """stage -> (steps, busy seconds summed over steps, span from first start to last end)."""
        groups: dict[str, list[StepTime]] = defaultdict(list)
        for step in self.steps:
            groups[step.stage].append(step)
        return {
            stage: (
                len(items),
                sum(s.seconds for s in items),
                max(s.end for s in items) - min(s.start for s in items),
            )
            for stage in STAGES
            if (items := groups.get(stage))
        }


async def run_storyreel(args: list[str], env: dict[str, str], log: Path) -> Run:
    """Run ``storyreel ARGS`` to the end (it must succeed) and time its steps."""
    started, launched = time.perf_counter(), time.time()
    with log.open("wb") as output:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "storyreel.cli",
            *args,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=output,
            stderr=output,
            env={**os.environ, **env},
        )
        rc = await proc.wait()
    wall = time.perf_counter() - started
    if rc != 0:
        raise SystemExit(f"storyreel {' '.join(args)} failed ({rc}); see {log}")
    steps, video, (first, last) = await read_steps(Path(env["STORYREEL_DATA_DIR"]))
    return Run(wall, steps, video, startup=first - launched, span=last - first)


async def read_steps(
    data_dir: Path,
) -> tuple[list[StepTime], float, tuple[float, float]]:
    """The job's steps, its video's length, and when its first and last events were stored."""
    async with SQLiteJobStore(data_dir / DB_NAME) as store:
        (job,) = await store.list_jobs(limit=1)
        started: dict[tuple[str, int | None], float] = {}
        steps: list[StepTime] = []
        video = 0.0
        events = await store.events(job.id)
        for event in events:
            data = event.payload
            key = (str(data.get("stage")), data.get("segment"))
            if event.type == "StepStarted":
                started[key] = event.at
            elif event.type == "StepFinished" and key in started:
                steps.append(
                    StepTime(key[0], key[1], started[key], event.at, bool(data.get("reused")))
                )
            elif event.type == "JobFinished":
                video = float(data["duration"])
        return steps, video, (events[0].at, events[-1].at)
