"""/jobs in process, offline: submit, follow, fetch the results, cancel, refuse bad input."""

from __future__ import annotations

import io
import re
from collections.abc import AsyncIterator
from typing import Any

import av
import httpx
import pytest
import pytest_asyncio

from storyreel.api.app import create_app
from tests.api.helpers import QUICK, STORY, in_process, offline_settings, wait_for

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def client(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[httpx.AsyncClient]:
    settings = offline_settings(tmp_path_factory.mktemp("api-jobs"))
    async with in_process(create_app(settings)) as client:
        yield client


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def finished(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.post("/jobs", json={"story": STORY, **QUICK})
    assert response.status_code == 202, response.text
    created = response.json()
    assert created["status"] == "queued"
    assert created["url"] == f"/jobs/{created['id']}"
    return await wait_for(client, created["id"])


async def test_offline_job_succeeds_with_full_progress(finished: dict[str, Any]) -> None:
    assert finished["status"] == "succeeded"
    assert finished["error"] is None
    assert finished["plan"]["segments"] and len(finished["plan"]["segments"]) == 1
    progress = finished["progress"]
    assert progress["plan"] == "done" and progress["assemble"] == "done"
    assert progress["frames"] == ["done", "done"]
    assert progress["segments"] == [{"index": 0, "speech": "done", "video": "done", "mux": "done"}]
    assert progress["done"] == progress["total"] == 7
    assert finished["spend"]["total_usd"] == 0
    assert finished["estimate"]["total_usd"] == 0
    assert finished["options"]["resolution"] == "720P"
    assert finished["video_url"] == f"/jobs/{finished['id']}/video"
    assert finished["storyboard_url"] == f"/jobs/{finished['id']}/storyboard"


async def test_a_portrait_job_makes_a_portrait_video(client: httpx.AsyncClient) -> None:
    response = await client.post("/jobs", json={"story": STORY, **QUICK, "aspect": "9:16"})
    assert response.status_code == 202, response.text
    done = await wait_for(client, response.json()["id"])
    assert done["status"] == "succeeded" and done["options"]["aspect"] == "9:16"
    video = await client.get(done["video_url"])
    with av.open(io.BytesIO(video.content)) as container:
        context = container.streams.video[0].codec_context
        assert (context.width, context.height) == (720, 1280)


async def test_video_is_a_playable_mp4_and_serves_ranges(
    client: httpx.AsyncClient, finished: dict[str, Any]
) -> None:
    whole = await client.get(finished["video_url"])
    assert whole.status_code == 200
    assert whole.headers["content-type"] == "video/mp4"
    assert whole.headers["accept-ranges"] == "bytes"
    with av.open(io.BytesIO(whole.content)) as container:
        assert container.streams.video and container.streams.audio
        assert container.duration is not None and container.duration > 1_000_000

    part = await client.get(finished["video_url"], headers={"Range": "bytes=100-199"})
    assert part.status_code == 206
    assert part.content == whole.content[100:200]
    assert part.headers["content-range"] == f"bytes 100-199/{len(whole.content)}"

    tail = await client.get(finished["video_url"], headers={"Range": "bytes=-10"})
    assert tail.status_code == 206 and tail.content == whole.content[-10:]
    beyond = await client.get(
        finished["video_url"], headers={"Range": f"bytes={len(whole.content) + 5}-"}
    )
    assert beyond.status_code == 416


async def test_storyboard_is_a_png(client: httpx.AsyncClient, finished: dict[str, Any]) -> None:
    response = await client.get(finished["storyboard_url"])
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    assert response.content.startswith(b"\x89PNG\r\n\x1a\n")


def _events(text: str) -> list[tuple[str | None, str]]:
    """(id, event type) of each server-sent event in ``text``."""
    found = []
    for block in re.split(r"\r?\n\r?\n", text):
        fields = dict(
            line.split(": ", 1) for line in block.splitlines() if ": " in line and line[0] != ":"
        )
        if "event" in fields:
            found.append((fields.get("id"), fields["event"]))
    return found


async def test_events_replay_then_end_with_the_status(
    client: httpx.AsyncClient, finished: dict[str, Any]
) -> None:
    response = await client.get(f"/jobs/{finished['id']}/events")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    events = _events(response.text)
    kinds = [kind for _, kind in events]
    assert "StepFinished" in kinds and "PlanReady" in kinds
    # The pipeline's JobFinished, then the lifecycle's JobSucceeded (issue 11), then the end.
    assert kinds[-3:] == ["JobFinished", "JobSucceeded", "end"]
    assert '"status": "succeeded"' in response.text.rsplit("event: end", 1)[1]
    ids = [int(i) for i, _ in events if i is not None]
    assert ids == sorted(ids) and ids[0] == 1

    # Resuming after an id (query or Last-Event-ID) replays only what came later.
    middle = ids[len(ids) // 2]
    later = _events((await client.get(f"/jobs/{finished['id']}/events?after={middle}")).text)
    assert [int(i) for i, _ in later if i is not None] == [i for i in ids if i > middle]
    resumed = await client.get(
        f"/jobs/{finished['id']}/events", headers={"Last-Event-ID": str(middle)}
    )
    assert _events(resumed.text) == later


async def test_list_jobs_shows_the_job(client: httpx.AsyncClient, finished: dict[str, Any]) -> None:
    response = await client.get("/jobs", params={"status": "succeeded"})
    assert response.status_code == 200
    listed = {job["id"]: job for job in response.json()["jobs"]}
    assert listed[finished["id"]]["status"] == "succeeded"
    assert listed[finished["id"]]["story_preview"].startswith("A lighthouse keeper")
    assert (await client.get("/jobs", params={"status": "nope"})).status_code == 422


@pytest.mark.parametrize("suffix", ["", "/video", "/storyboard", "/events"])
async def test_unknown_job_is_404(client: httpx.AsyncClient, suffix: str) -> None:
    response = await client.get(f"/jobs/aaaaaaaaaaaaaaaa{suffix}")
    assert response.status_code == 404
    assert "no job" in response.json()["detail"]


async def test_cancel_unknown_job_is_404(client: httpx.AsyncClient) -> None:
    assert (await client.post("/jobs/aaaaaaaaaaaaaaaa/cancel")).status_code == 404


@pytest.mark.parametrize(
    "path",
    ["/jobs/..%2F..%2Fetc%2Fpasswd/video", "/jobs/../../etc/passwd", "/jobs/ABCDEFGHIJKLMNOP"],
)
async def test_ids_outside_the_pattern_never_reach_the_disk(
    client: httpx.AsyncClient, path: str
) -> None:
    response = await client.get(path)
    assert response.status_code in (404, 422)
    assert "root:" not in response.text


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"story": STORY, "segments": 0}, "segments"),
        ({"story": STORY, "resolution": "4K"}, "resolution"),
        ({"story": STORY, "aspect": "4:3"}, "aspect"),
        ({"story": STORY, "budget": -1}, "budget"),
        ({"story": STORY, "colour": "red"}, "colour"),
        ({"story": ""}, "story"),
        ({"story": "   \n "}, "story"),
        ({"segments": 2}, "story"),
        ({"story": STORY, "planner": "openai"}, "planner"),
    ],
)
async def test_bad_input_is_422_naming_the_field(
    client: httpx.AsyncClient, body: dict[str, Any], field: str
) -> None:
    response = await client.post("/jobs", json=body)
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["message"].startswith(f"{field}:") or f" {field}:" in problem["message"]
    assert any(field in [str(part) for part in error["loc"]] for error in problem["detail"])


async def test_cancel_stops_a_job_and_twice_is_409(client: httpx.AsyncClient) -> None:
    created = (await client.post("/jobs", json={"story": STORY, **QUICK, "segments": 3})).json()
    assert (await client.get(f"/jobs/{created['id']}/video")).status_code == 404
    response = await client.post(f"/jobs/{created['id']}/cancel")
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    job = await wait_for(client, created["id"], statuses=("cancelled",))
    assert job["video_url"] is None
    assert (await client.post(f"/jobs/{created['id']}/cancel")).status_code == 409
    events = (await client.get(f"/jobs/{created['id']}/events")).text
    assert '"status": "cancelled"' in events.rsplit("event: end", 1)[1]


async def test_page_and_docs_are_served(client: httpx.AsyncClient) -> None:
    page = await client.get("/")
    assert page.status_code == 200 and "<textarea" in page.text
    assert (await client.get("/static/app.js")).status_code == 200
    assert (await client.get("/docs")).status_code == 200
    schema = (await client.get("/openapi.json")).json()
    assert {"/jobs", "/jobs/{job_id}/video", "/voices", "/webhooks/minimax/{token}"} <= set(
        schema["paths"]
    )
    info = (await client.get("/info")).json()
    assert info["offline_default"] is True and info["auth_required"] is False
