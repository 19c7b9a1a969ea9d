"""STORYREEL_API_TOKEN: every API route wants it; the page, docs and webhooks do not."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio

from storyreel.api.app import create_app
from storyreel.api.deps import TOKEN_COOKIE
from tests.api.helpers import STORY, in_process, offline_settings

TOKEN = "s3cret-token-for-tests"
pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def client(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[httpx.AsyncClient]:
    settings = offline_settings(tmp_path_factory.mktemp("api-auth"), api_token=TOKEN)
    async with in_process(create_app(settings)) as client:
        yield client


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/jobs"),
        ("POST", "/jobs"),
        ("GET", "/jobs/aaaaaaaaaaaaaaaa"),
        ("GET", "/jobs/aaaaaaaaaaaaaaaa/events"),
        ("GET", "/jobs/aaaaaaaaaaaaaaaa/video"),
        ("POST", "/jobs/aaaaaaaaaaaaaaaa/cancel"),
        ("GET", "/jobs/aaaaaaaaaaaaaaaa/subtitles"),
        ("GET", "/jobs/aaaaaaaaaaaaaaaa/manifest"),
        ("DELETE", "/jobs/aaaaaaaaaaaaaaaa"),
        ("GET", "/voices"),
        ("POST", "/voices"),
        ("GET", "/workers"),
    ],
)
async def test_api_routes_want_the_token(client: httpx.AsyncClient, method: str, path: str) -> None:
    missing = await client.request(method, path)
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"] == "Bearer"
    wrong = await client.request(method, path, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    assert TOKEN not in missing.text + wrong.text


async def test_the_right_token_opens_the_api(client: httpx.AsyncClient) -> None:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    assert (await client.get("/jobs", headers=headers)).status_code == 200
    assert (await client.get("/jobs/aaaaaaaaaaaaaaaa", headers=headers)).status_code == 404
    created = await client.post("/jobs", json={"story": ""}, headers=headers)
    assert created.status_code == 422  # past the token check, into validation


async def test_cookie_works_for_reads_only(client: httpx.AsyncClient) -> None:
    # <video src>, <img src> and EventSource cannot send headers: GETs accept the cookie.
    cookies = {TOKEN_COOKIE: TOKEN}
    read = await client.get("/jobs", headers={"Cookie": f"{TOKEN_COOKIE}={TOKEN}"})
    assert read.status_code == 200
    write = await client.post(
        "/jobs", json={"story": STORY}, headers={"Cookie": f"{TOKEN_COOKIE}={TOKEN}"}
    )
    assert write.status_code == 401
    assert cookies


@pytest.mark.parametrize("path", ["/", "/static/app.css", "/docs", "/openapi.json", "/info"])
async def test_page_docs_and_info_are_open(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)
    assert response.status_code == 200
    assert TOKEN not in response.text


async def test_webhook_route_is_open_but_needs_its_own_token(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/webhooks/minimax/unknown-token-of-enough-length", json={"challenge": "x"}
    )
    assert response.status_code == 404


async def test_info_says_a_token_is_needed(client: httpx.AsyncClient) -> None:
    assert (await client.get("/info")).json()["auth_required"] is True


async def test_without_a_token_setting_the_api_is_open(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    settings = offline_settings(tmp_path_factory.mktemp("api-open"))
    async with in_process(create_app(settings)) as open_client:
        assert (await open_client.get("/jobs")).status_code == 200
