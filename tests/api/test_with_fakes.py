"""The service with keys, against the fake MiniMax and OpenAI: a real job, webhooks, no keys
in any answer."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from storyreel.api.app import create_app
from storyreel.config import Settings
from tests.api.helpers import STORY, in_process, live_app, wait_for
from tests.fakes.fixtures import FakeAPIs, assert_nothing_paid

QUERY = "query/video_generation"
# Seconds between polls that no test waits for.
POLL_NEVER = 3600


async def test_job_with_keys_succeeds_and_no_key_leaks(fake_apis: FakeAPIs, tmp_path: Path) -> None:
    async with in_process(create_app(Settings(data_dir=tmp_path))) as client:
        info = (await client.get("/info")).json()
        assert info["offline_default"] is False and info["mock"] is False
        created = await client.post(
            "/jobs", json={"story": STORY, "segments": 1, "resolution": "768P"}
        )
        assert created.status_code == 202
        job = await wait_for(client, created.json()["id"])
        assert job["spend"]["total_usd"] > 0
        assert job["estimate"]["total_usd"] == 0
        texts = [
            (await client.get(path)).text
            for path in (f"/jobs/{job['id']}", "/jobs", f"/jobs/{job['id']}/events", "/info")
        ]
    assert fake_apis.minimax.accepted["video_generation"] == 1
    for key in (fake_apis.minimax.api_key, fake_apis.openai.api_key):
        assert all(key not in text for text in texts)
    # One lifecycle (issue 11): started and succeeded events, and the spend in the manifest,
    # the same as a job run on the workers (tests/distributed/test_service.py).
    kinds = [
        line.split(":", 1)[1].strip() for line in texts[2].splitlines() if line.startswith("event:")
    ]
    assert kinds[0] == "JobStarted" and "JobSucceeded" in kinds
    manifest = json.loads((tmp_path / "jobs" / job["id"] / "manifest.json").read_text())
    spent = Decimal(manifest["spend_usd"]["total"])
    assert spent > 0 and abs(spent - Decimal(str(job["spend"]["total_usd"]))) < Decimal("0.0001")


async def test_webhooks_finish_clips_without_waiting_for_the_poll(
    fake_apis: FakeAPIs, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # Polls so rare (an hour apart) that only the callbacks can finish the clips before
    # wait_for's deadline: a job that succeeds was woken by them.
    monkeypatch.setenv("MINIMAX_POLL_INITIAL_DELAY", str(POLL_NEVER))
    monkeypatch.setenv("MINIMAX_POLL_INTERVAL", str(POLL_NEVER))
    fake = fake_apis.minimax
    with live_app(data_dir=tmp_path, public_url=True) as server:
        async with httpx.AsyncClient(base_url=server.url, timeout=10) as client:
            created = await client.post("/jobs", json={"story": STORY, "segments": 2})
            assert created.status_code == 202
            job = await wait_for(client, created.json()["id"])
    assert job["status"] == "succeeded"
    tasks = list(fake.tasks.values())
    assert len(tasks) == 2
    for task in tasks:
        assert task.callback_url is not None
        assert task.callback_url.startswith(f"{server.url}/webhooks/minimax/")
        assert job["id"] not in task.callback_url  # the token does not give the job away
    bodies = [record.body for record in fake.callbacks]
    assert sum("challenge" in body for body in bodies) == 2
    assert all(record.status_code == 200 for record in fake.callbacks)
    challenges = [r for r in fake.callbacks if "challenge" in r.body]
    assert all(r.response == {"challenge": r.body["challenge"]} for r in challenges)
    assert {b.get("status") for b in bodies} >= {"processing", "success"}
    # One confirming query per task, and the woken poll that fetches it.
    queries = Counter(r.query.get("task_id") for r in fake.requests_for(QUERY))
    assert set(queries) == {t.task_id for t in tasks}
    assert all(n <= 2 for n in queries.values()), queries


async def test_webhook_route_answers_challenges_fast_and_ignores_repeats(
    fake_apis: FakeAPIs, tmp_path: Path
) -> None:
    settings = Settings(data_dir=tmp_path, public_url="https://storyreel.example")
    app = create_app(settings)
    async with in_process(app) as client:
        webhooks = app.state.storyreel.manager.webhooks
        url = webhooks.callback_url("aaaaaaaaaaaaaaaa").removeprefix("https://storyreel.example")
        # MiniMax wants the echo within 3 s: the route answers from the body alone, asking
        # nothing of MiniMax or a job first (what makes it fast, whatever the machine's load).
        calls_before = sum(fake_apis.minimax.calls.values())
        challenge = await client.post(url, json={"challenge": "abc123"})
        assert challenge.json() == {"challenge": "abc123"}
        assert sum(fake_apis.minimax.calls.values()) == calls_before
        for status in ("processing", "success", "success", "failed"):
            ack = await client.post(url, json={"task_id": "777", "status": status})
            assert ack.status_code == 200 and ack.json() == {"status": "received"}
        bad = await client.post(url, content=b"not json")
        assert bad.status_code == 422
        unknown = await client.post(url[:-3] + "xyz", json={"challenge": "abc"})
        assert unknown.status_code == 404
        await asyncio.sleep(0.3)
    # No job behind the token: nothing is confirmed, nothing is woken.
    queries = [r.query.get("task_id") for r in fake_apis.minimax.requests_for(QUERY)]
    assert "777" not in queries


async def test_a_retired_model_is_a_422_at_submit_with_nothing_paid(
    fake_apis: FakeAPIs, tmp_path: Path
) -> None:
    settings = Settings(data_dir=tmp_path, image_model="gpt-image-1")
    async with in_process(create_app(settings)) as client:
        refused = await client.post("/jobs", json={"story": STORY, "segments": 1})
        doctor = (await client.get("/doctor")).json()
    assert refused.status_code == 422, refused.text
    assert "gpt-image-1" in refused.text and "STORYREEL_IMAGE_MODEL" in refused.text
    assert doctor["ok"] is False
    failed = [c for c in doctor["checks"] if c["verdict"] == "fail"]
    assert [c["name"] for c in failed] == ["images model", "OpenAI images model"]
    for key in (fake_apis.minimax.api_key, fake_apis.openai.api_key):
        assert key not in refused.text and key not in str(doctor)
    assert_nothing_paid(fake_apis)
