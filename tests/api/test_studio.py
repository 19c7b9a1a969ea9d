"""Issue 13, the studio's API offline (no keys): review, edit, re-roll, upload, approve, end to
end; one 422 per bad field; 409 naming the state; the token on every new route."""

from __future__ import annotations

import asyncio
import io
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from PIL import Image

from storyreel.api.app import create_app
from storyreel.pipeline.jobs import JobOptions
from tests.api.helpers import STORY, in_process, offline_settings, wait_for

REVIEW = {"offline": True, "segments": 2, "resolution": "720P", "review": True}


def png(width: int, height: int, colour: str = "teal", fmt: str = "PNG") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, format=fmt)
    return out.getvalue()


def giant() -> bytes:
    """A small file claiming a 60-megapixel canvas (one bit a pixel)."""
    out = io.BytesIO()
    Image.new("1", (10_000, 6_000)).save(out, format="PNG")
    return out.getvalue()


async def in_review(client: httpx.AsyncClient) -> str:
    created = await client.post("/jobs", json={"story": STORY, **REVIEW})
    assert created.status_code == 202, created.text
    await wait_for(client, created.json()["id"], ("review",))
    return str(created.json()["id"])


def locs(response: httpx.Response) -> list[list[Any]]:
    assert response.status_code == 422, response.text
    return [problem["loc"] for problem in response.json()["detail"]]


async def test_offline_review_edit_reroll_upload_approve(tmp_path: Path) -> None:
    async with in_process(create_app(offline_settings(tmp_path))) as client:
        job_id = await in_review(client)
        folder = tmp_path / "jobs" / job_id
        assert not (folder / "final_video.mp4").exists()
        assert (folder / "storyboard.png").is_file()
        stream = await client.get(f"/jobs/{job_id}/events")
        assert "event: review" in stream.text  # the page shows the storyboard on it

        board = (await client.get(f"/jobs/{job_id}/board")).json()
        assert board["segments"][0]["narration_url"] and board["segments"][0]["clip_url"] is None
        audio = await client.get(board["segments"][0]["narration_url"])
        assert audio.status_code == 200 and audio.headers["content-type"] == "audio/wav"
        edit = {
            "title": "The missing star",
            "segments": [
                {"index": 1, "narration": "The keeper reads the map.", "camera": "Tilt up"}
            ],
            "frames": [{"index": 2, "prompt": "A lamp shining over a dark sea"}],
        }
        preview = (await client.patch(f"/jobs/{job_id}/plan", json=edit)).json()
        assert preview["remakes"] == ["frame:2", "speech:1"] and preview["applied"]
        await wait_for(client, job_id, ("review",))
        saved = json.loads((folder / "plan.json").read_text())
        assert saved["title"] == "The missing star"
        assert saved["segments"][1]["camera"] == "Tilt up"
        assert saved["segments"][1]["video_prompt"].startswith("[Tilt up]")
        assert saved["segments"][1]["last_frame_prompt"] == "A lamp shining over a dark sea"

        frame1 = (folder / "frames" / "frame_01.png").read_bytes()
        assert (await client.post(f"/jobs/{job_id}/frames/1/reroll")).status_code == 200
        await wait_for(client, job_id, ("review",))
        assert (folder / "frames" / "frame_01.png").read_bytes() != frame1  # another take
        assert json.loads((folder / "plan.json").read_text())["takes"] == {"frame:1": 2}

        upload = {"file": ("mine.jpg", png(1200, 900, fmt="JPEG"), "image/jpeg")}
        put = await client.put(f"/jobs/{job_id}/frames/0", files=upload)
        assert put.status_code == 200, put.text
        # Frame 0 is every other frame's reference: all are drawn again.
        assert put.json()["remakes"] == ["frame:0", "frame:1", "frame:2"]
        await wait_for(client, job_id, ("review",))
        with Image.open(folder / "frames" / "frame_00.png") as frame0:
            size, pixel = frame0.size, frame0.convert("RGB").getpixel((10, 10))
        with Image.open(folder / "frames" / "frame_02.png") as frame2:
            assert size == frame2.size
        assert isinstance(pixel, tuple)
        assert all(abs(a - b) <= 6 for a, b in zip(pixel, (0, 128, 128), strict=True))  # JPEG
        assert "0" in json.loads((folder / "plan.json").read_text())["frame_files"]

        approved = await client.post(f"/jobs/{job_id}/approve")
        assert approved.json() == {"id": job_id, "status": "queued", "url": f"/jobs/{job_id}"}
        job = await wait_for(client, job_id)
        board = (await client.get(f"/jobs/{job_id}/board")).json()
        assert board["video_url"] == job["video_url"] and board["subtitles_url"]
        assert all(s["clip_url"] for s in board["segments"])
        steps = (await client.get(f"/jobs/{job_id}")).json()["progress"]
        assert steps["done"] == steps["total"]


async def test_each_bad_field_is_its_own_422_and_nothing_changes(tmp_path: Path) -> None:
    async with in_process(create_app(offline_settings(tmp_path))) as client:
        job_id = await in_review(client)
        plan_file = tmp_path / "jobs" / job_id / "plan.json"
        before = plan_file.read_bytes()
        bad = {
            "segments": [
                {"index": 0, "camera": "Dolly zoom"},
                {"index": 0, "duration": 7},
                {"index": 1, "narration": "   "},
                {"index": 1, "video_prompt": "The sea [Dolly zoom]"},
            ],
            "frames": [{"index": 0, "prompt": "x" * 5000}],
        }
        response = await client.patch(f"/jobs/{job_id}/plan", json=bad)
        assert locs(response) == [
            ["body", "segments", 0, "camera"],
            ["body", "segments", 1, "duration"],
            ["body", "segments", 2, "narration"],
            ["body", "segments", 3, "video_prompt"],
            ["body", "frames", 0, "prompt"],
        ]
        assert "Zoom in" in response.json()["detail"][0]["msg"]  # the documented ones
        out_of_range = {
            "segments": [{"index": 5, "narration": "x"}],
            "frames": [{"index": 3, "prompt": "y"}],
        }
        response = await client.patch(f"/jobs/{job_id}/plan", json=out_of_range)
        assert locs(response) == [["body", "segments", 0, "index"], ["body", "frames", 0, "index"]]
        assert "0..1" in response.json()["detail"][0]["msg"]
        # The narration decides a clip's length: 10 s for a line that fills 6 s is refused.
        response = await client.patch(
            f"/jobs/{job_id}/plan", json={"segments": [{"index": 0, "duration": 10}]}
        )
        assert locs(response) == [["body", "segments", 0, "duration"]]
        assert "speech decides" in response.json()["detail"][0]["msg"]
        assert locs(await client.post(f"/jobs/{job_id}/frames/3/reroll")) == [["path", "k"]]
        assert locs(await client.post(f"/jobs/{job_id}/frames/-1/reroll")) == [["path", "k"]]
        uploads = {
            "text": b"not a picture at all",
            "tiny": png(200, 200),
            "wide": png(3000, 400),
            "gif": png(640, 360, fmt="GIF"),
            "huge": b"\x89PNG" + b"\0" * (20 * 1024 * 1024),
            "giant": giant(),
        }
        messages = {}
        for name, data in uploads.items():
            response = await client.put(
                f"/jobs/{job_id}/frames/1", files={"file": (f"{name}.png", data, "image/png")}
            )
            assert locs(response) == [["body", "file"]], name
            messages[name] = response.json()["detail"][0]["msg"]
        assert "readable" in messages["text"] and "short side" in messages["tiny"]
        assert "aspect" in messages["wide"] and "GIF" in messages["gif"]
        assert "MB" in messages["huge"] and "10000x6000" in messages["giant"]
        missing = await client.put(f"/jobs/{job_id}/frames/1", files={"other": ("a", b"x")})
        assert locs(missing) == [["body", "file"]]
        too_big = b"\0" * (21 * 1024 * 1024)
        response = await client.put(
            f"/jobs/{job_id}/frames/1", files={"file": ("big.png", too_big, "image/png")}
        )
        assert response.status_code == 413
        assert plan_file.read_bytes() == before
        assert (await client.get(f"/jobs/{job_id}")).json()["status"] == "review"


async def test_wrong_state_is_a_409_naming_it(tmp_path: Path) -> None:
    app = create_app(offline_settings(tmp_path))
    async with in_process(app) as client:
        job_id = await in_review(client)
        # Two edits at once: one applies, the other finds the job queued (no lost update).
        first, second = await asyncio.gather(
            client.patch(f"/jobs/{job_id}/plan", json={"title": "One"}),
            client.patch(f"/jobs/{job_id}/plan", json={"title": "Two"}),
        )
        assert sorted([first.status_code, second.status_code]) == [200, 409]
        await wait_for(client, job_id, ("review",))
        remake = await client.post(f"/jobs/{job_id}/segments/0/remake")
        assert remake.status_code == 409 and "is review" in remake.json()["detail"]
        select = await client.post(f"/jobs/{job_id}/segments/0/versions/1/select")
        assert select.status_code == 409
        assert (await client.post(f"/jobs/{job_id}/approve")).status_code == 200
        await wait_for(client, job_id)
        again = await client.post(f"/jobs/{job_id}/approve")
        assert again.status_code == 409 and "succeeded" in again.json()["detail"]
        assert "review" in again.json()["detail"]
        assert locs(await client.post(f"/jobs/{job_id}/segments/2/remake")) == [["path", "i"]]
        versions = await client.post(f"/jobs/{job_id}/segments/0/versions/4/select")
        assert locs(versions) == [["path", "v"]]

        runner = app.state.storyreel.manager.runner
        queued = await runner.create(STORY, JobOptions(offline=True, segments=1))
        patch = await client.patch(f"/jobs/{queued.id}/plan", json={"title": "x"})
        assert patch.status_code == 409
        assert f"job {queued.id} is queued; wait until it is in review" in patch.json()["detail"]
        board = await client.get(f"/jobs/{queued.id}/board")
        assert board.status_code == 404


def studio_routes(app: FastAPI) -> list[tuple[str, str]]:
    """The studio's operations, from the OpenAPI schema (what clients see)."""
    new = ("/board", "/frames/", "/segments/", "/plan", "/approve")
    return [
        (method.upper(), path)
        for path, operations in app.openapi()["paths"].items()
        if path.startswith("/jobs/{job_id}") and any(part in path for part in new)
        for method in operations
    ]


@pytest.mark.parametrize("token", [None, "wrong"])
async def test_every_new_route_needs_the_token(tmp_path: Path, token: str | None) -> None:
    app = create_app(offline_settings(tmp_path, api_token="s3cret-token"))
    routes = studio_routes(app)
    assert len(routes) == 11, routes
    fill = {"{job_id}": "a" * 16, "{k}": "0", "{i}": "0", "{v}": "1"}
    headers = {} if token is None else {"Authorization": f"Bearer {token}"}
    async with in_process(app) as client:
        for method, template in routes:
            path = template
            for name, value in fill.items():
                path = path.replace(name, value)
            refused = await client.request(method, path, headers=headers)
            assert refused.status_code == 401, (method, path)
            good = {"Authorization": "Bearer s3cret-token"}
            allowed = await client.request(method, path, headers=good)
            assert allowed.status_code == 404, (method, path, allowed.text)  # no such job


async def test_review_needs_the_in_process_service(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from storyreel.api import jobs_remote

    sent: list[str] = []

    async def record(job_id: str, settings: object) -> str:
        sent.append(job_id)
        return "message"

    monkeypatch.setattr(jobs_remote, "submit_job", record)
    settings = offline_settings(tmp_path, broker_url="redis://127.0.0.1:9/0")
    async with in_process(create_app(settings)) as client:
        refused = await client.post("/jobs", json={"story": STORY, **REVIEW})
        assert locs(refused) == [["body", "review"]]
        assert "STORYREEL_BROKER_URL" in refused.text
    assert sent == []  # the workers, which never stop for review, were sent nothing
