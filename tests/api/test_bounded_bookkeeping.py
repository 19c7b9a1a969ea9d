"""Hostile-input finding 11: restart resumes every unfinished job; webhook state is bounded."""

from __future__ import annotations

from pathlib import Path

import pytest

from storyreel.api.manager import JobManager
from storyreel.api.webhooks import HANDLED_CALLBACKS_MAX
from storyreel.pipeline.store import SQLiteJobStore, default_store_path
from storyreel.providers.hooks import WakeRegistry
from tests.api.helpers import QUICK, STORY, offline_settings


async def test_restart_resumes_every_unfinished_job_past_a_thousand(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = offline_settings(tmp_path)
    path = default_store_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    jobs_root = settings.data_dir / "jobs"
    async with SQLiteJobStore(path) as store:
        made = [(await store.create_job(STORY, QUICK, jobs_root / f"j{n}")).id for n in range(1205)]
        manager = JobManager(settings, store, max_jobs=1, minimax=None)
        scheduled: list[str] = []
        # Record instead of running: the finding is about which jobs are found, not their run.
        monkeypatch.setattr(manager.backend, "_schedule", scheduled.append)
        resumed = await manager.start()
    assert sorted(resumed) == sorted(made)
    assert sorted(scheduled) == sorted(made)


def test_handled_callbacks_and_wakes_stay_bounded(tmp_path: Path) -> None:
    wakes = WakeRegistry()
    for n in range(WakeRegistry.MAX_TASKS + 500):
        wakes.notify(f"made-up-{n}")
    assert len(wakes._events) <= WakeRegistry.MAX_TASKS
    assert f"made-up-{WakeRegistry.MAX_TASKS + 499}" in wakes  # the newest stay

    settings = offline_settings(tmp_path)
    manager = JobManager(settings, store=None, max_jobs=1, minimax=None)  # type: ignore[arg-type]
    for n in range(HANDLED_CALLBACKS_MAX + 500):
        manager.webhooks._handled_callbacks[(f"task-{n}", "Success")] = True
    assert len(manager.webhooks._handled_callbacks) <= HANDLED_CALLBACKS_MAX
