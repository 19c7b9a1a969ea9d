"""The service's job manager with a broker configured, without Redis: what it sends, how its event
stream follows a job other processes run, cancel, and what it sends again at startup. (The same
with real workers: tests/distributed/test_service.py.)"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from storyreel.api import jobs_remote
from storyreel.api.app import create_app
from storyreel.api.manager import JobManager, LiveEvent
from storyreel.config import Settings
from storyreel.pipeline.jobs import JobOptions
from storyreel.pipeline.store import SQLiteJobStore
from tests.api.helpers import QUICK, STORY, in_process, offline_settings

# Never contacted: sending is replaced by a recorder in these tests.
BROKER = "redis://127.0.0.1:9/0"


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Job ids handed to the workers (``submit_job`` records instead of sending)."""
    ids: list[str] = []

    async def record(job_id: str, settings: Settings) -> str:
        ids.append(job_id)
        return f"message-{len(ids)}"

    monkeypatch.setattr(jobs_remote, "submit_job", record)
    return ids


@pytest.fixture
async def remote(tmp_path: Path, sent: list[str]) -> AsyncIterator[JobManager]:
    settings = offline_settings(tmp_path, broker_url=BROKER)
    async with SQLiteJobStore(tmp_path / "store.db") as store:
        manager = JobManager(settings, store, poll_seconds=0.01)
        assert manager.remote
        yield manager
        await manager.aclose()


async def test_submit_sends_the_job_and_runs_nothing_here(
    remote: JobManager, sent: list[str]
) -> None:
    job = await remote.submit(STORY, JobOptions.model_validate(QUICK))
    assert sent == [job.id]
    assert not remote.jobs_here()
    assert (await remote.store.get_job(job.id)).status == "queued"
    assert await remote.is_active(job.id)
    assert not remote.webhooks_on


async def test_stream_follows_what_the_workers_store_until_the_end(remote: JobManager) -> None:
    store = remote.store
    job = await remote.submit(STORY, JobOptions.model_validate(QUICK))
    await store.append_event(job.id, "PlanReady", {"segments": 1})
    seen: list[LiveEvent] = []
    first = asyncio.Event()

    async def read() -> None:
        async for item in remote.stream(job.id):
            seen.append(item)
            first.set()

    reader = asyncio.create_task(read())
    # A worker elsewhere: runs, stores its events, finishes. The reader sees them as they come.
    await store.set_status(job.id, "running")
    await asyncio.wait_for(first.wait(), 30)  # the reader's first item, however busy
    assert [item.type for item in seen] == ["PlanReady"]
    await store.append_event(job.id, "StepFinished", {"stage": "video", "segment": 0})
    await store.append_event(job.id, "JobFinished", {"video": "v.mp4", "duration": 6.0})
    await store.set_status(job.id, "succeeded")
    await asyncio.wait_for(reader, 10)
    assert [(item.type, item.seq) for item in seen] == [
        ("PlanReady", 1),
        ("StepFinished", 2),
        ("JobFinished", 3),
        ("end", None),
    ]
    assert seen[-1].data == {"status": "succeeded", "error": None}
    assert not await remote.is_active(job.id)
    # A finished job's stream replays after an id and ends at once.
    again = [item.type async for item in remote.stream(job.id, after=2)]
    assert again == ["JobFinished", "end"]


async def test_cancel_marks_the_job_cancelled_in_the_store(remote: JobManager) -> None:
    job = await remote.submit(STORY, JobOptions.model_validate(QUICK))
    await remote.store.set_status(job.id, "running")  # taken by a worker
    cancelled = await remote.cancel(job.id)
    assert cancelled.status == "cancelled" and cancelled.error == "cancelled"
    assert not await remote.is_active(job.id)
    items = [item async for item in remote.stream(job.id)]
    assert items[-1] == LiveEvent("end", {"status": "cancelled", "error": "cancelled"})


async def test_start_sends_again_only_the_jobs_the_queue_lost(
    remote: JobManager, sent: list[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    store, options = remote.store, JobOptions.model_validate(QUICK)
    held = await remote.runner.create(STORY, options)  # its message is still in the queue
    await store.set_status(held.id, "running")
    lost_running = await remote.runner.create(STORY, options)
    await store.set_status(lost_running.id, "running")
    lost_queued = await remote.runner.create(STORY, options)
    done = await remote.runner.create(STORY, options)
    await store.set_status(done.id, "succeeded")
    cli_job = await store.create_job(STORY, QUICK, tmp_path / "elsewhere")  # the CLI's own
    from storyreel.distributed import health

    monkeypatch.setattr(health, "jobs_in_queue", lambda settings: {held.id})
    assert sorted(await remote.start()) == sorted([lost_running.id, lost_queued.id])
    assert sorted(sent) == sorted([lost_running.id, lost_queued.id])
    assert cli_job.id not in sent and not remote.jobs_here()


async def test_start_goes_on_when_the_queue_cannot_be_read(
    remote: JobManager, sent: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    await remote.runner.create(STORY, JobOptions.model_validate(QUICK))
    from storyreel.distributed import health

    def unreachable(settings: Settings) -> set[str]:
        raise ConnectionError("Connection refused")

    monkeypatch.setattr(health, "jobs_in_queue", unreachable)
    assert await remote.start() == [] and sent == []


async def test_unreachable_broker_is_503_and_the_job_failed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def refuse(job_id: str, settings: Settings) -> str:
        raise ConnectionError("Error 111 connecting to 127.0.0.1:9. Connection refused.")

    monkeypatch.setattr(jobs_remote, "submit_job", refuse)
    async with in_process(create_app(offline_settings(tmp_path, broker_url=BROKER))) as client:
        response = await client.post("/jobs", json={"story": STORY, **QUICK})
        assert response.status_code == 503
        assert "could not queue the job" in response.json()["detail"]
        jobs = (await client.get("/jobs")).json()["jobs"]
    assert [job["status"] for job in jobs] == ["failed"]


def test_a_broker_that_is_not_redis_stops_the_service_at_once(tmp_path: Path) -> None:
    from storyreel.errors import ConfigError

    with pytest.raises(ConfigError, match="STORYREEL_BROKER_URL"):
        create_app(offline_settings(tmp_path, broker_url="amqp://queue-host"))
