"""Running ``storyreel`` as a real process in pipeline tests, watching it, and killing it.

The CLI is a child process (``python -m storyreel.cli``) whose environment is the test's: the
fake services' URLs and keys, and the test's own ``STORYREEL_DATA_DIR``. The fakes live in the
test process, so their counters span every death and restart of the CLI. Output goes to files,
not pipes, so a chatty child never blocks on a full pipe.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
import pytest

from storyreel.assembly.probe import MediaInfo, probe
from storyreel.pipeline.store import DB_NAME, Job, SQLiteJobStore, Step

STORY = (
    "Every night the old keeper climbs the tower and lights the great lamp. "
    "One winter a storm swallows the coast and a fishing boat loses its way. "
    "At dawn the beam finds the boat and guides it safely home."
)
# Wide enough that rich never wraps a message in the middle of what a test looks for.
_ENV = {"COLUMNS": "200", "NO_COLOR": "1", "PYTHONUNBUFFERED": "1"}


@dataclass(frozen=True)
class Finished:
    returncode: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


class CLI:
    """Starts ``storyreel`` commands with their output in ``logs``."""

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.logs.mkdir(parents=True, exist_ok=True)
        self._count = 0

    @property
    def data_dir(self) -> Path:
        return Path(os.environ["STORYREEL_DATA_DIR"])

    async def start(self, *args: str, extra_env: dict[str, str] | None = None) -> Running:
        self._count += 1
        out = self.logs / f"{self._count:02d}.out"
        err = self.logs / f"{self._count:02d}.err"
        with out.open("wb") as stdout, err.open("wb") as stderr:
            proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "storyreel.cli",
                *args,
                stdin=asyncio.subprocess.DEVNULL,  # no TTY: nobody to answer a prompt
                stdout=stdout,
                stderr=stderr,
                env={**os.environ, **_ENV, **(extra_env or {})},
            )
        return Running(proc, out, err, " ".join(args))

    async def run(
        self, *args: str, seconds: float = 120, extra_env: dict[str, str] | None = None
    ) -> Finished:
        running = await self.start(*args, extra_env=extra_env)
        return await running.wait(seconds)


@dataclass
class Running:
    proc: asyncio.subprocess.Process
    out: Path
    err: Path
    what: str

    def finished(self) -> Finished:
        assert self.proc.returncode is not None
        return Finished(
            self.proc.returncode,
            self.out.read_text(encoding="utf-8", errors="replace"),
            self.err.read_text(encoding="utf-8", errors="replace"),
        )

    async def wait(self, seconds: float = 120) -> Finished:
        try:
            await asyncio.wait_for(self.proc.wait(), seconds)
        except TimeoutError:
            self.proc.kill()
            await self.proc.wait()
            output = self.finished().output
            raise AssertionError(f"`storyreel {self.what}` hung:\n{output}") from None
        return self.finished()

    async def kill_when(
        self,
        condition: Callable[[], Awaitable[bool]],
        *,
        what: str,
        seconds: float = 60,
        every: float = 0.02,
    ) -> Finished:
        """SIGKILL the process the moment ``condition()`` holds. Fails when the process ends
        first (the window was missed) or the condition never comes."""
        deadline = time.monotonic() + seconds
        while not await condition():
            if self.proc.returncode is not None:
                raise AssertionError(
                    f"`storyreel {self.what}` ended (rc {self.proc.returncode}) before {what}:\n"
                    f"{self.finished().output}"
                )
            if time.monotonic() > deadline:
                self.proc.kill()
                await self.proc.wait()
                raise AssertionError(f"{what} never happened:\n{self.finished().output}")
            await asyncio.sleep(every)
        self.proc.send_signal(signal.SIGKILL)
        await self.proc.wait()
        done = self.finished()
        assert done.returncode == -signal.SIGKILL, f"not killed during {what}: {done.output}"
        return done


class StoreView:
    """Reads the job store the CLI writes (another connection on the same SQLite file)."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / DB_NAME
        self._store: SQLiteJobStore | None = None

    async def _open(self) -> SQLiteJobStore | None:
        if self._store is None and self.path.is_file():
            self._store = SQLiteJobStore(self.path)
            await self._store.__aenter__()
        return self._store

    async def job(self) -> Job | None:
        store = await self._open()
        if store is None:
            return None
        jobs = await store.list_jobs(limit=2)
        assert len(jobs) <= 1, "one job per test"
        return jobs[0] if jobs else None

    async def steps(self) -> dict[str, Step]:
        job = await self.job()
        if job is None or self._store is None:
            return {}
        return {step.key: step for step in await self._store.list_steps(job.id)}

    async def states(self, kind: str) -> list[str]:
        """States of the steps of ``kind`` (``"video"``, ``"mux"``...), by key order."""
        steps = await self.steps()
        return [steps[k].state for k in sorted(steps) if steps[k].kind == kind]

    @property
    def store(self) -> SQLiteJobStore:
        assert self._store is not None, "no job yet"
        return self._store

    async def aclose(self) -> None:
        if self._store is not None:
            await self._store.aclose()
            self._store = None


def check_output(out: Path, segments: int) -> MediaInfo:
    """``out`` holds a finished video of ``segments`` segments, consistent with its manifest."""
    segment_files = sorted(out.glob("segments/*/segment.mp4"))
    info = check_final_video(
        out / "final_video.mp4", segments=segments, segment_files=segment_files
    )
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["video"] == "final_video.mp4"
    assert [s["segment"] for s in manifest["segments"]] == [
        str(p.relative_to(out)) for p in segment_files
    ]
    durations = [s["duration"] for s in manifest["segments"]]
    assert [s["start"] for s in manifest["segments"]] == pytest.approx(
        [sum(durations[:i]) for i in range(segments)], abs=0.01
    )
    assert manifest["duration"] == pytest.approx(info.duration, abs=0.05)
    assert all(s["video_mux"] in ("copied", "re-encoded") for s in manifest["segments"])
    return info


def video_mux(out: Path) -> list[str]:
    """Per segment, how its clip's video went into it: "copied" or "re-encoded"."""
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    return [s["video_mux"] for s in manifest["segments"]]


def check_final_video(path: Path, *, segments: int, segment_files: list[Path]) -> MediaInfo:
    """The final video is H.264 + AAC, decodes, lasts the sum of its segments (0.1 s each),
    and every segment's stretch of the soundtrack carries sound."""
    info = probe(path, decode=True)
    assert info.decoded
    assert info.video is not None and info.video.codec == "h264", info
    assert info.audio is not None and info.audio.codec == "aac", info
    assert len(segment_files) == segments
    lengths = [probe(p).duration for p in segment_files]
    assert abs(info.duration - sum(lengths)) <= 0.1 * segments, (info.duration, lengths)
    start = 0.0
    for index, length in enumerate(lengths):
        assert audio_rms(path, start, start + length) > 1e-3, f"segment {index + 1} is silent"
        start += length
    return info


def audio_rms(path: Path, start: float, end: float) -> float:
    """RMS of the first audio stream between ``start`` and ``end`` seconds (decoded)."""
    chunks: list[np.ndarray] = []
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        for frame in container.decode(stream):
            if frame.time is None:
                continue
            seconds = frame.samples / frame.sample_rate
            if frame.time + seconds < start or frame.time > end:
                continue
            chunks.append(frame.to_ndarray().astype(np.float64).ravel())
    if not chunks:
        return 0.0
    samples = np.concatenate(chunks)
    return float(np.sqrt(np.mean(samples**2)))
