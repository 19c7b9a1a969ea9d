"""The HTTP service with ``STORYREEL_BROKER_URL`` set: jobs go to worker processes (real Redis and
PostgreSQL, the fake APIs), the event stream follows them through the shared store, and a cancel
stops the workers taking the job's remaining units of work."""

from __future__ import annotations

import asyncio
import json
import os
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from storyreel.assembly.probe import probe
from storyreel.config import Settings
from storyreel.pipeline.jobs import JobOptions, JobRunner
from storyreel.pipeline.store import JobStore, open_store
from tests.api.helpers import CHROMIUM, CHROMIUM_ARGS
from tests.distributed.helpers import StartWorkers, alive_workers, depth, wait_for
from tests.fakes.fake_minimax import FakeMiniMax

pytestmark = [pytest.mark.services, pytest.mark.slow]

STORY = (
    "A lighthouse keeper finds a glass bottle on the shore. Inside is a map of the stars. "
    "She climbs the tower at midnight and the beam of light turns into a bridge to the sky."
)
# Bounds against hanging, not timing assertions.
JOB_SECONDS = 180


@pytest.fixture
async def store(distributed_env: dict[str, str]) -> AsyncIterator[JobStore]:
    opened = open_store(Settings())
    yield opened
    await opened.aclose()


async def read_events(client: httpx.AsyncClient, job_id: str) -> list[dict[str, Any]]:
    """Every server-sent event of ``/jobs/{id}/events`` up to the stream's end, as it arrives:
    ``{"event", "id", "data"}`` each."""
    events: list[dict[str, Any]] = []
    current: dict[str, Any] = {}
    async with (
        asyncio.timeout(JOB_SECONDS),
        client.stream("GET", f"/jobs/{job_id}/events") as response,
    ):
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        async for line in response.aiter_lines():
            if not line:
                if "event" in current:
                    events.append(current)
                current = {}
            elif not line.startswith(":"):
                name, _, value = line.partition(":")
                current[name] = json.loads(value) if name == "data" else value.strip()
    return events


def _kinds(events: list[dict[str, Any]]) -> list[tuple[str, str | None, int | None]]:
    return [
        (e["event"], e.get("data", {}).get("stage"), e.get("data", {}).get("segment"))
        for e in events
    ]


async def test_jobs_run_on_workers_and_stream_their_progress(
    distributed_env: dict[str, str],
    start_workers: StartWorkers,
    service_url: str,
    store: JobStore,
    fake_minimax: FakeMiniMax,
    redis_url: str,
    redis_namespace: str,
    tmp_path: Path,
) -> None:
    fake_minimax.set_latency("video", 2.5)  # long enough for progress ticks while it renders
    start_workers(2, threads=1)
    async with httpx.AsyncClient(base_url=service_url, timeout=30) as client:
        info = (await client.get("/info")).json()
        assert info["webhooks"] is False  # workers poll MiniMax
        created = await client.post(
            "/jobs",
            json={"story": STORY, "segments": 2, "resolution": "720P", "subtitles": "srt"},
        )
        assert created.status_code == 202, created.text
        job_id = created.json()["id"]
        events = await read_events(client, job_id)
        job = (await client.get(f"/jobs/{job_id}")).json()
        video = await client.get(f"/jobs/{job_id}/video")

    # The stream: every stored event once, in order, then the end with the final status.
    assert events[-1]["event"] == "end"
    assert events[-1]["data"]["status"] == "succeeded", events[-1]
    ids = [int(e["id"]) for e in events[:-1]]
    assert ids == sorted(set(ids)) and ids[0] == 1
    kinds = _kinds(events)
    assert ("PlanReady", None, None) in kinds
    for segment in (0, 1):
        for stage in ("speech", "video", "mux"):
            assert ("StepFinished", stage, segment) in kinds, (stage, segment)
    assert any(kind == "StepProgress" and stage == "video" for kind, stage, _ in kinds)
    # One lifecycle (issue 11): the same start and end events as a job run in one process.
    assert kinds[0][0] == "JobStarted"
    assert [kind for kind, _, _ in kinds[-3:-1]] == ["JobFinished", "JobSucceeded"]
    stored = await store.events(job_id)
    print(f"{len(events)} events streamed: {Counter(k for k, _, _ in kinds)}")
    assert [e.seq for e in stored] == ids  # nothing missed, nothing made up

    assert job["status"] == "succeeded"
    assert job["progress"]["done"] == job["progress"]["total"]
    assert video.status_code == 200
    (tmp_path / "got.mp4").write_bytes(video.content)
    info = probe(tmp_path / "got.mp4", decode=True)
    assert info.video is not None and info.audio is not None
    assert info.duration >= 2 * 6 - 1
    assert fake_minimax.accepted["video_generation"] == 2
    # ...and the same record: the manifest of a worker job carries its spend, as in one process.
    spend = await store.spend(job_id)
    made = await store.get_job(job_id)
    manifest = json.loads((made.output_dir / "manifest.json").read_text(encoding="utf-8"))
    assert spend.total > 0 and manifest["spend_usd"]["total"] == str(spend.total)
    assert events[-2]["data"]["spent_usd"] == str(spend.total)

    # The workers did it (the service ran nothing): plan, two segments, assembly.
    async def units_done() -> int:
        workers = await alive_workers(redis_url, redis_namespace)
        return sum(w.done for w in workers) == 4 and len(workers)

    assert await wait_for("the workers' health to count 4 units", units_done, 30) == 2


async def test_workers_route_lists_the_workers_the_queue_and_the_jobs(
    distributed_env: dict[str, str],
    start_workers: StartWorkers,
    service_url: str,
    store: JobStore,
    redis_url: str,
    redis_namespace: str,
) -> None:
    procs = start_workers(2, threads=1)
    # A job the store says is running, never sent: the workers leave it alone.
    job = await JobRunner(Settings(), store).create(STORY, JobOptions(segments=1))
    await store.set_status(job.id, "running")
    async with httpx.AsyncClient(base_url=service_url, timeout=30) as client:

        async def both_beating() -> dict[str, Any] | None:
            response = await client.get("/workers")
            assert response.status_code == 200, response.text
            body: dict[str, Any] = response.json()
            return body if len(body["workers"]) == 2 else None

        seen = await wait_for("GET /workers to list 2 workers", both_beating, 60)
    assert seen["mode"] == "remote"
    assert {w["pid"] for w in seen["workers"]} == {p.pid for p in procs}
    assert all(w["threads"] == 1 and w["doing"] == [] for w in seen["workers"])
    assert seen["queue"] == {"waiting": 0, "in_flight": 0, "delayed": 0, "dead": 0}
    assert seen["queue"] == vars(await depth(redis_url, redis_namespace))
    assert seen["jobs"] == [
        {
            "id": job.id,
            "status": "running",
            "url": f"/jobs/{job.id}",
            "steps_done": 0,
            "steps_total": 0,
        }
    ]


@pytest.mark.skipif(
    not os.access(CHROMIUM, os.X_OK), reason=f"needs Debian's chromium at {CHROMIUM}"
)
async def test_page_shows_the_workers_line(
    distributed_env: dict[str, str],
    start_workers: StartWorkers,
    service_url: str,
    redis_url: str,
    redis_namespace: str,
) -> None:
    playwright_api = pytest.importorskip("playwright.async_api")
    start_workers(2, threads=1)

    async def both_beating() -> bool:
        return len(await alive_workers(redis_url, redis_namespace)) == 2

    await wait_for("two workers to beat", both_beating, 60)
    async with playwright_api.async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            await page.goto(service_url + "/")
            await page.wait_for_selector("#workers:not([hidden])", timeout=15_000)
            line = await page.inner_text("#workers")
            assert line.startswith("2 workers alive"), line
            assert errors == [], errors
        finally:
            await browser.close()


async def test_cancel_stops_the_workers_taking_the_job(
    distributed_env: dict[str, str],
    start_workers: StartWorkers,
    service_url: str,
    store: JobStore,
    fake_minimax: FakeMiniMax,
    redis_url: str,
    redis_namespace: str,
) -> None:
    # Two worker threads in all, each held by a clip for a while; segments 3 and 4 wait.
    fake_minimax.set_latency("video", 4.0)
    start_workers(2, threads=1)
    async with httpx.AsyncClient(base_url=service_url, timeout=30) as client:
        created = await client.post(
            "/jobs", json={"story": STORY, "segments": 4, "resolution": "720P"}
        )
        assert created.status_code == 202, created.text
        job_id = created.json()["id"]
        stream = asyncio.create_task(read_events(client, job_id))

        async def two_videos_in_flight() -> set[str]:
            steps = await store.list_steps(job_id)
            busy = {s.key for s in steps if s.kind == "video" and s.state == "submitted"}
            return busy if len(busy) == 2 else set()

        in_flight = await wait_for("two videos in flight", two_videos_in_flight, 90, 0.05)
        response = await client.post(f"/jobs/{job_id}/cancel")
        assert response.status_code == 200, response.text
        assert response.json()["status"] == "cancelled"
        events = await stream
        assert events[-1]["event"] == "end"
        assert events[-1]["data"]["status"] == "cancelled"
        assert (await client.post(f"/jobs/{job_id}/cancel")).status_code == 409

        # The workers finish what they hold, skip the rest, and go quiet.
        async def quiet() -> bool:
            d = await depth(redis_url, redis_namespace)
            workers = await alive_workers(redis_url, redis_namespace)
            idle = all(not w.doing for w in workers)
            return idle and (d.waiting, d.in_flight, d.delayed) == (0, 0, 0)

        await wait_for("the queue to drain and the workers to idle", quiet, 90, 0.2)
        job = (await client.get(f"/jobs/{job_id}")).json()

    assert job["status"] == "cancelled"
    assert job["video_url"] is None
    steps = {s.key: s for s in await store.list_steps(job_id)}
    # The two clips in flight were fetched and their segments finished; nothing else started.
    assert fake_minimax.accepted["video_generation"] == 2
    assert {k for k, s in steps.items() if s.kind == "video" and s.state != "pending"} == in_flight
    assert all(steps[k].state == "done" for k in in_flight)
    assert not any(k in steps and steps[k].state != "pending" for k in ("video:2", "video:3"))
    assert "assemble" not in steps or steps["assemble"].state == "pending"
