"""The service's jobs across restarts and the limit on jobs running at once."""

from __future__ import annotations

import asyncio
from pathlib import Path

from storyreel.api.app import create_app
from storyreel.pipeline.jobs import JobOptions, JobRunner
from storyreel.pipeline.store import SQLiteJobStore, default_store_path
from tests.api.helpers import (
    JOB_TIMEOUT,
    QUICK,
    STORY,
    in_process,
    offline_settings,
    wait_for,
)


async def test_shutdown_leaves_jobs_resumable_and_startup_resumes_them(tmp_path: Path) -> None:
    settings = offline_settings(tmp_path)
    async with in_process(create_app(settings)) as client:
        job_id = (await client.post("/jobs", json={"story": STORY, **QUICK})).json()["id"]

        async def running() -> None:
            while True:
                if (await client.get(f"/jobs/{job_id}")).json()["status"] == "running":
                    return
                await asyncio.sleep(0.01)

        # Stop while it runs: the job must not be left cancelled or failed.
        await asyncio.wait_for(running(), JOB_TIMEOUT)
    async with SQLiteJobStore(default_store_path(settings)) as store:
        assert (await store.get_job(job_id)).status == "queued"

    async with in_process(create_app(settings)) as client:
        job = await wait_for(client, job_id)
        assert job["progress"]["done"] == job["progress"]["total"], job["progress"]


async def test_queued_job_from_another_process_is_picked_up(tmp_path: Path) -> None:
    settings = offline_settings(tmp_path)
    path = default_store_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    async with SQLiteJobStore(path) as store:
        job = await JobRunner(settings, store).create(STORY, JobOptions.model_validate(QUICK))
        # A CLI job writing elsewhere is the CLI's own: the service leaves it alone.
        cli_job = await store.create_job(STORY, QUICK, tmp_path / "elsewhere")
    async with in_process(create_app(settings)) as client:
        await wait_for(client, job.id)
        assert (await client.get(f"/jobs/{cli_job.id}")).json()["status"] == "queued"


async def test_at_most_max_jobs_run_at_once(tmp_path: Path) -> None:
    async with in_process(create_app(offline_settings(tmp_path), max_jobs=1)) as client:
        ids = [
            (await client.post("/jobs", json={"story": f"{STORY} Take {n}.", **QUICK})).json()["id"]
            for n in range(2)
        ]
        seen_running = set()
        while True:
            # One read for both (two GETs could straddle the hand-over between the jobs).
            listed = {j["id"]: j["status"] for j in (await client.get("/jobs")).json()["jobs"]}
            statuses = [listed[i] for i in ids]
            assert statuses.count("running") <= 1, statuses
            seen_running |= {i for i, s in zip(ids, statuses, strict=True) if s == "running"}
            if all(s == "succeeded" for s in statuses):
                break
            assert "failed" not in statuses
            await asyncio.sleep(0.05)
        assert seen_running <= set(ids)
