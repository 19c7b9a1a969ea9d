"""GET /jobs/{id}/timeline.png: wants the token, 404 until the job has steps, then the PNG of
the job's stages (its rows those of the job's segments)."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI
from PIL import Image

from storyreel.api.app import create_app
from storyreel.api.deps import AppState
from storyreel.pipeline.timeline import layout
from storyreel.pipeline.timeline_image import image_size
from tests.api.helpers import QUICK, STORY, in_process, offline_settings, wait_for

TOKEN = "timeline-token-for-tests"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def app(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    return create_app(offline_settings(tmp_path_factory.mktemp("api-timeline"), api_token=TOKEN))


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with in_process(app) as client:
        client.headers.update(AUTH)
        yield client


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def finished(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.post("/jobs", json={"story": STORY, **QUICK})
    assert response.status_code == 202, response.text
    return await wait_for(client, response.json()["id"])


async def test_the_timeline_of_a_finished_job_is_its_png(
    app: FastAPI, client: httpx.AsyncClient, finished: dict[str, Any]
) -> None:
    response = await client.get(f"/jobs/{finished['id']}/timeline.png")

    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/png"
    state: AppState = app.state.storyreel
    timeline = layout(await state.store.events(finished["id"]))
    assert timeline.rows == ["job", "segment 1"]  # QUICK is one segment
    assert {bar.stage for bar in timeline.bars} >= {"plan", "speech", "frame", "video", "mux"}
    with Image.open(io.BytesIO(response.content)) as picture:
        assert picture.format == "PNG" and picture.size == image_size(timeline)


async def test_it_wants_the_token(client: httpx.AsyncClient, finished: dict[str, Any]) -> None:
    path = f"/jobs/{finished['id']}/timeline.png"
    missing = await client.get(path, headers={"Authorization": ""})
    assert missing.status_code == 401
    wrong = await client.get(path, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401


async def test_404_for_an_unknown_job_and_until_a_step_started(
    app: FastAPI, client: httpx.AsyncClient, tmp_path_factory: pytest.TempPathFactory
) -> None:
    assert (await client.get("/jobs/aaaaaaaaaaaaaaaa/timeline.png")).status_code == 404
    state: AppState = app.state.storyreel
    # A job in the store that nothing has worked on yet (e.g. still queued for the workers).
    job = await state.store.create_job(STORY, {}, tmp_path_factory.mktemp("queued-job"))
    response = await client.get(f"/jobs/{job.id}/timeline.png")
    assert response.status_code == 404
    assert "no timeline yet" in response.text
