"""Hostile-input finding 6: the page's login works for any token and keeps it out of scripts."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio

from storyreel.api.app import create_app
from tests.api.helpers import in_process, offline_settings

# Every character that broke the old page (stored URL-encoded, compared raw) or a cookie.
TOKEN = 'a+b/c=d;e,f g"h\\i%20'
pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def client(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[httpx.AsyncClient]:
    settings = offline_settings(tmp_path_factory.mktemp("api-session"), api_token=TOKEN)
    async with in_process(create_app(settings)) as client:
        yield client


async def test_login_sets_an_httponly_strict_cookie_holding_the_token_exactly(
    client: httpx.AsyncClient,
) -> None:
    client.cookies.clear()
    wrong = await client.post("/session", json={"token": "a+b/c=d"})
    assert wrong.status_code == 401
    assert "set-cookie" not in wrong.headers

    ok = await client.post("/session", json={"token": TOKEN})
    assert ok.status_code == 204, ok.text
    cookie = ok.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "path=/" in cookie

    # The cookie alone now reads the API, as <video> and EventSource do.
    assert (await client.get("/jobs")).status_code == 200
    origin = str(client.base_url).rstrip("/")
    # A write from this host's page (it carries Origin) passes the token check; the same
    # cookie on a request without Origin (not from a page) does not.
    from_page = await client.post("/jobs", json={"story": ""}, headers={"Origin": origin})
    assert from_page.status_code == 422  # past the token, into validation
    assert (await client.post("/jobs", json={"story": ""})).status_code == 401

    assert (await client.delete("/session")).status_code == 204
    client.cookies.clear()
    assert (await client.get("/jobs")).status_code == 401


async def test_the_page_keeps_no_token_in_scripts(client: httpx.AsyncClient) -> None:
    script = (await client.get("/static/app.js")).text
    assert "localStorage" not in script
    assert "document.cookie" not in script
