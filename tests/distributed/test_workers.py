"""Three real worker processes, real Redis and PostgreSQL, the fake APIs on local sockets: jobs
spread over the workers, one is killed -9 in the middle of a video, and still every job ends
with exactly one paid video per segment, inside the RPM limit shared by all workers."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from storyreel.assembly.probe import probe
from storyreel.config import Settings
from storyreel.distributed import submit_job
from storyreel.pipeline.jobs import JobOptions, JobRunner
from storyreel.pipeline.store import PAID_KINDS, JobStore, open_store
from tests.fakes.fake_minimax import FakeMiniMax
from tests.fakes.fake_openai import FakeOpenAI

pytestmark = [pytest.mark.services, pytest.mark.slow]

VIDEO_RPM = 6
JOBS, SEGMENTS = 3, 3
STORY = (
    "A lighthouse keeper finds a glass bottle on the shore. Inside is a map of the stars. "
    "She climbs the tower at midnight and the beam of light turns into a bridge to the sky."
)


@pytest.fixture
def worker_env(
    pg_url: str,
    redis_url: str,
    redis_namespace: str,
    fake_minimax: FakeMiniMax,
    fake_openai: FakeOpenAI,
    monkeypatch: pytest.MonkeyPatch,
) -> dict[str, str]:
    """The environment of the test and its workers: one broker, store and data directory."""
    import psycopg

    with psycopg.connect(pg_url, autocommit=True) as conn:  # the workers migrate it
        conn.execute("DROP TABLE IF EXISTS events, spend, steps, jobs, schema_version")
    fake_minimax.set_latency("video", 4.0)  # each clip takes 4 s: time to kill a worker
    for name, value in {
        "STORYREEL_BROKER_URL": redis_url,
        "STORYREEL_REDIS_NAMESPACE": redis_namespace,
        "STORYREEL_DATABASE_URL": pg_url,
        "STORYREEL_WORKER_HEARTBEAT_TIMEOUT": "3",
        "STORYREEL_WORKER_LEASE_SECONDS": "6",
        "MINIMAX_VIDEO_RPM": str(VIDEO_RPM),
        "MINIMAX_POLL_INTERVAL": "0.2",
    }.items():
        monkeypatch.setenv(name, value)
    return dict(os.environ)


@pytest.fixture
def workers(worker_env: dict[str, str], tmp_path: Path) -> Iterator[list[subprocess.Popen[bytes]]]:
    logs = [(tmp_path / f"worker{n}.log").open("wb") for n in range(3)]
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "storyreel.cli", "worker", "--threads", "3"],
            env=worker_env,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
        for log in logs
    ]
    for log in logs:
        log.close()  # the children hold their own copies
    yield procs
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture
async def store(worker_env: dict[str, str]) -> AsyncIterator[JobStore]:
    opened = open_store(Settings())
    yield opened
    await opened.aclose()


async def _wait_for(what: str, check: object, seconds: float, poll: float = 0.1) -> object:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = await check()  # type: ignore[operator]
        if value:
            return value
        await asyncio.sleep(poll)
    raise AssertionError(f"timed out after {seconds:.0f} s waiting for {what}")


def _alive_workers(redis_url: str, namespace: str) -> list[str]:
    from redis import Redis

    from storyreel.distributed.health import list_workers

    client = Redis.from_url(redis_url)
    try:
        return [w.id for w in list_workers(client, namespace)]
    finally:
        client.close()


async def test_jobs_survive_a_worker_killed_mid_video(
    workers: list[subprocess.Popen[bytes]],
    store: JobStore,
    fake_minimax: FakeMiniMax,
    fake_openai: FakeOpenAI,
    redis_url: str,
    redis_namespace: str,
    tmp_path: Path,
) -> None:
    settings = Settings()
    assert settings.database_url and settings.broker_url

    async def three_alive() -> bool:
        alive = await asyncio.to_thread(_alive_workers, redis_url, redis_namespace)
        return len(alive) == 3

    await _wait_for("three workers to beat", three_alive, 60)

    runner = JobRunner(settings, store)
    options = JobOptions(segments=SEGMENTS, resolution="720P", subtitles="srt")
    jobs = [await runner.create(STORY, options, tmp_path / f"job{n}") for n in range(JOBS)]
    for job in jobs:
        await submit_job(job.id, settings)

    # Kill -9 the worker holding a video that is submitted and being waited for.
    async def a_video_in_flight() -> tuple[str, str, str] | None:
        for job in jobs:
            for step in await store.list_steps(job.id):
                if step.kind == "video" and step.state == "submitted" and step.lease_owner:
                    return job.id, step.key, step.lease_owner
        return None

    job_id, key, owner = await _wait_for("a video in flight", a_video_in_flight, 60, 0.05)  # type: ignore[misc]
    pid = int(owner.split("/")[0].rsplit("-", 2)[1])  # {host}-{pid}-{tail}/{unit of work}
    victim = next(p for p in workers if p.pid == pid)
    before = await store.get_step(job_id, key)
    os.kill(pid, signal.SIGKILL)
    victim.wait(timeout=10)

    async def all_finished() -> bool:
        states = [(await store.get_job(j.id)).status for j in jobs]
        assert "failed" not in states, [(await store.get_job(j.id)).error for j in jobs]
        return all(s == "succeeded" for s in states)

    await _wait_for("every job to finish", all_finished, 180, 0.5)

    # The killed worker's video was resumed by its task id, not paid for again.
    after = await store.get_step(job_id, key)
    assert before is not None and after is not None
    assert after.provider_ref == before.provider_ref and after.attempts == 1
    assert after.lease_owner != owner
    # One paid video per segment, across all jobs and workers; the fakes billed exactly what
    # the ledger recorded. (A keyframe or narration being drawn when the worker died may be
    # asked again, once: those calls answer at once, with no task id to resume.)
    steps = [s for job in jobs for s in await store.list_steps(job.id)]
    attempts = {kind: sum(s.attempts for s in steps if s.kind == kind) for kind in PAID_KINDS}
    assert fake_minimax.accepted["video_generation"] == JOBS * SEGMENTS
    assert all(s.attempts == 1 for s in steps if s.kind == "video")
    assert fake_minimax.accepted["t2a_v2"] == attempts["speech"]
    assert fake_openai.images_made == attempts["frame"]
    assert attempts["frame"] + attempts["speech"] <= JOBS * (2 * SEGMENTS + 1) + 3
    # The RPM limit held across the workers (no 1002 from the fake either).
    assert fake_minimax.max_per_minute("video_generation") <= VIDEO_RPM
    for job in jobs:
        done = await store.get_job(job.id)
        assert done.video_path is not None
        info = probe(done.video_path, decode=True)
        assert info.video is not None and info.audio is not None
        assert info.duration >= SEGMENTS * 6 - 1
    # Two workers are still beating; the dead one's record expired by itself.
    alive = await asyncio.to_thread(_alive_workers, redis_url, redis_namespace)
    assert owner.split("/")[0] not in alive and len(alive) == 2
