"""The cast routes: the token, what a dry run previews (and leaves alone), an edit saved, uploads
type- and size-checked, unknown characters and wrong states refused."""

from __future__ import annotations

import io
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from PIL import Image

from storyreel.api.app import create_app
from storyreel.pipeline.layout import OutputLayout
from storyreel.plan import Plan
from tests.api.helpers import in_process, offline_settings, wait_for

TOKEN = "cast-routes-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
STORY = "Mira walked to the lighthouse at dawn. Tom waved from the rocks while Mira climbed."
CAST = [
    {"name": "Mira", "description": "a girl in a red coat"},
    {"name": "Tom", "description": "a boy in a blue jacket"},
]
pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("api-cast")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def client(data_dir: Path) -> AsyncIterator[httpx.AsyncClient]:
    settings = offline_settings(data_dir, api_token=TOKEN)
    async with in_process(create_app(settings)) as client:
        client.headers.update(AUTH)
        yield client


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def job(client: httpx.AsyncClient, data_dir: Path) -> dict[str, Any]:
    body = {"story": STORY, "offline": True, "segments": 2, "resolution": "720P", "cast": CAST}
    created = await client.post("/jobs", json=body)
    assert created.status_code in (200, 201, 202), created.text
    finished = await wait_for(client, created.json()["id"])
    assert finished["progress"]["cast"] == ["done", "done"]  # both are in a frame
    return {**finished, "output_dir": str(data_dir / "jobs" / finished["id"])}


def _plan(job: dict[str, Any]) -> Plan:
    return Plan.load(OutputLayout(Path(job["output_dir"])).plan)


def _png(size: tuple[int, int] = (400, 600), colour: tuple[int, int, int] = (9, 99, 199)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format="PNG")
    return out.getvalue()


@pytest.mark.parametrize(
    ("method", "suffix"),
    [("PATCH", "/cast/Mira"), ("PUT", "/cast/Mira/reference"), ("POST", "/cast/Mira/reroll")],
)
async def test_cast_routes_want_the_token(
    client: httpx.AsyncClient, job: dict[str, Any], method: str, suffix: str
) -> None:
    path = f"/jobs/{job['id']}{suffix}"
    for headers in ({"Authorization": ""}, {"Authorization": "Bearer nope"}):
        answer = await client.request(method, path, headers=headers, json={"description": "x"})
        assert answer.status_code == 401, answer.text
        assert TOKEN not in answer.text


async def test_a_dry_run_previews_and_changes_nothing(
    client: httpx.AsyncClient, job: dict[str, Any]
) -> None:
    plan_file = OutputLayout(Path(job["output_dir"])).plan
    before = plan_file.read_bytes()
    answer = await client.patch(
        f"/jobs/{job['id']}/cast/mira?dry_run=true", json={"description": "a girl in a green cloak"}
    )
    assert answer.status_code == 200, answer.text
    preview = answer.json()
    assert preview["applied"] is False
    # Mira's portrait and the frames naming her (0: "Mira walked", 2: "...while Mira climbed").
    frames = {k for k in preview["remakes"] if k.startswith(("cast", "frame"))}
    shown = [k for k, p in enumerate(_frame_prompts(job)) if "Mira" in p]
    assert frames == {"cast:0", *(f"frame:{k}" for k in shown)}
    assert preview["cost_usd"] == 0.0 and "re-makes" in preview["summary"]
    assert plan_file.read_bytes() == before


def _frame_prompts(job: dict[str, Any]) -> list[str]:
    plan = _plan(job)
    return [plan.segments[0].first_frame_prompt] + [s.last_frame_prompt for s in plan.segments]


async def test_an_edit_is_saved(client: httpx.AsyncClient, job: dict[str, Any]) -> None:
    answer = await client.patch(
        f"/jobs/{job['id']}/cast/Tom", json={"description": "a boy in a yellow hat"}
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["applied"] is True
    # Applied: the job re-draws Tom's portrait and his frames, and stops in review again.
    again = await wait_for(client, job["id"], ("review",))
    assert again["progress"]["cast"] == ["done", "done"]
    tom = _plan(job).character("tom")
    assert tom is not None and tom.description == "a boy in a yellow hat"


async def test_an_upload_is_checked_then_kept_in_the_job(
    client: httpx.AsyncClient, job: dict[str, Any]
) -> None:
    path = f"/jobs/{job['id']}/cast/Mira/reference"
    text = await client.put(path, files={"file": ("a.png", b"not a picture", "image/png")})
    assert text.status_code == 422 and "file" in text.text
    tiny = await client.put(path, files={"file": ("a.png", _png((100, 100)), "image/png")})
    assert tiny.status_code == 422 and "300 px" in tiny.text
    multipart = {"Content-Type": "multipart/form-data; boundary=b"}
    huge = await client.put(path, content=b"x" * (21 * 1024 * 1024), headers=multipart)
    assert huge.status_code == 413
    picture = _png()
    answer = await client.put(path, files={"file": ("mira.png", picture, "image/png")})
    assert answer.status_code == 200, answer.text
    assert "cast:0" not in answer.json()["remakes"]  # an upload replaces the drawn portrait
    await wait_for(client, job["id"], ("review",))
    mira = _plan(job).character("Mira")
    assert mira is not None and mira.picture is not None
    stored = Path(job["output_dir"]) / mira.picture
    assert stored.read_bytes() == picture
    served = await client.get(f"/jobs/{job['id']}/cast/MIRA/reference")
    assert served.status_code == 200 and served.content == picture
    assert served.headers["content-type"] == "image/png"
    # An uploaded picture is not re-drawn: upload another one instead.
    reroll = await client.post(f"/jobs/{job['id']}/cast/Mira/reroll")
    assert reroll.status_code == 409


async def test_a_drawn_portrait_is_served_with_a_versioned_url(
    client: httpx.AsyncClient, job: dict[str, Any]
) -> None:
    from storyreel.api.routes_cast import reference_url
    from storyreel.pipeline.store import Job

    plan = _plan(job)
    owner = Job(job["id"], "succeeded", STORY, {}, Path(job["output_dir"]), 0.0, 0.0, plan)
    url = reference_url(owner, plan, 1)
    assert url is not None and url.startswith(f"/jobs/{job['id']}/cast/Tom/reference?v=")
    served = await client.get(url)
    assert served.status_code == 200 and served.content.startswith(b"\x89PNG")
    assert (await client.get(f"/jobs/{job['id']}/cast/Nobody/reference")).status_code == 404


async def test_a_reroll_draws_the_portrait_again(
    client: httpx.AsyncClient, job: dict[str, Any]
) -> None:
    answer = await client.post(f"/jobs/{job['id']}/cast/Tom/reroll?dry_run=true")
    assert answer.status_code == 200, answer.text
    assert "cast:1" in answer.json()["remakes"]


async def test_unknown_characters_and_bad_bodies_are_refused(
    client: httpx.AsyncClient, job: dict[str, Any]
) -> None:
    missing = await client.patch(f"/jobs/{job['id']}/cast/Nobody", json={"description": "x"})
    assert missing.status_code == 404
    empty = await client.patch(f"/jobs/{job['id']}/cast/Mira", json={"description": ""})
    assert empty.status_code == 422 and "description" in json.dumps(empty.json())
    extra = await client.patch(f"/jobs/{job['id']}/cast/Mira", json={"description": "x", "a": 1})
    assert extra.status_code == 422
