"""``storyreel workers`` and following a remote job from the store's events."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from storyreel.cli.workers import follow_job, stored_event
from storyreel.pipeline.events import Event, JobFinished, StepFinished
from storyreel.pipeline.store import SQLiteJobStore


async def test_follow_job_replays_stored_events_until_the_end(tmp_path: Path) -> None:
    async with SQLiteJobStore(tmp_path / "s.db") as store:
        job = await store.create_job("s", {}, tmp_path)
        await store.append_event(job.id, "StepFinished", {"stage": "video", "segment": 1})
        await store.append_event(job.id, "SomethingNewer", {"x": 1})  # skipped, not fatal
        seen: list[Event] = []
        polls = 0

        async def sleep(_: float) -> None:
            nonlocal polls
            polls += 1
            if polls == 2:  # the job ends while it is followed
                await store.append_event(
                    job.id, "JobFinished", {"video": "v.mp4", "duration": 6.0, "segments": 1}
                )
                await store.set_status(job.id, "succeeded")

        assert await follow_job(store, job.id, seen.append, sleep=sleep) == "succeeded"
    assert seen == [
        StepFinished(stage="video", segment=1),
        JobFinished(video="v.mp4", duration=6.0, segments=1),
    ]
    assert stored_event("StepFinished", {"stage": "mux"}) == StepFinished(stage="mux")
    assert stored_event("StepFinished", {}) is None  # incomplete: ignored, not a crash


def test_worker_commands_need_a_broker(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "STORYREEL_BROKER_URL"}
    for command in (["worker"], ["workers"]):
        done = subprocess.run(
            [sys.executable, "-m", "storyreel.cli", *command],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 2
        assert "STORYREEL_BROKER_URL" in done.stderr


@pytest.mark.services
def test_workers_lists_queue_and_jobs(
    pg_url: str, redis_url: str, redis_namespace: str, tmp_path: Path
) -> None:
    env = {
        **os.environ,
        "STORYREEL_BROKER_URL": redis_url,
        "STORYREEL_REDIS_NAMESPACE": redis_namespace,
        "STORYREEL_DATABASE_URL": pg_url,
    }
    done = subprocess.run(
        [sys.executable, "-m", "storyreel.cli", "workers"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "0 worker(s) alive" in done.stdout
    assert "queue: 0 waiting, 0 in flight" in done.stdout
    assert "jobs:" in done.stdout
