"""Issue 16 through the API: a Chinese story is a job like any other (it failed with "no words to
narrate"), the language is detected or given in the body, and carried in the job's plan."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio

from storyreel.api.app import create_app
from tests.api.helpers import QUICK, STORY, in_process, offline_settings, wait_for

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def client(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[httpx.AsyncClient]:
    settings = offline_settings(tmp_path_factory.mktemp("api-languages"))
    async with in_process(create_app(settings)) as client:
        yield client


async def test_a_chinese_story_makes_a_video_in_chinese(client: httpx.AsyncClient) -> None:
    story = "灯塔上住着一位老人。他每天晚上都点亮灯火\uff01"
    created = await client.post("/jobs", json={"story": story, **QUICK})
    assert created.status_code == 202, created.text
    job = await wait_for(client, created.json()["id"])
    assert job["plan"]["language"] == "zh"
    assert "".join(s["narration"] for s in job["plan"]["segments"]) == story


async def test_the_language_given_in_the_body_wins(client: httpx.AsyncClient) -> None:
    created = await client.post("/jobs", json={"story": STORY, **QUICK, "language": "es"})
    assert created.status_code == 202, created.text
    job = await wait_for(client, created.json()["id"])
    assert job["plan"]["language"] == "es"
    assert job["options"]["language"] == "es"


@pytest.mark.parametrize("language", ["Klingon!!", "x" * 30, ""])
async def test_a_bad_language_is_422_naming_the_field(
    client: httpx.AsyncClient, language: str
) -> None:
    response = await client.post("/jobs", json={"story": STORY, **QUICK, "language": language})
    assert response.status_code == 422, response.text
    assert "language" in response.json()["message"]
