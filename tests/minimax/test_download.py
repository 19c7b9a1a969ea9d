"""download_file: streaming, size check, atomic rename, fresh URLs, URL cache."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest
import respx

from storyreel.minimax import (
    APIConnectionError,
    AsyncMiniMax,
    MiniMaxError,
    PermissionDeniedError,
)
from storyreel.minimax._download import Downloader
from storyreel.minimax._models import RetrievedFile

from .conftest import Sleeps, ok

CONTENT = bytes(range(256)) * 40
URL1 = "https://cdn.example.com/v/1.mp4?sig=old"
URL2 = "https://cdn.example.com/v/1.mp4?sig=new"


def retrieved(url: str, size: int | None = len(CONTENT)) -> httpx.Response:
    file: dict[str, object] = {"file_id": 99, "filename": "output_aigc.mp4", "download_url": url}
    if size is not None:
        file["bytes"] = size
    return ok(file=file)


async def test_download_streams_and_reports_progress(
    client: AsyncMiniMax, router: respx.MockRouter, tmp_path: Path
) -> None:
    router.get("/files/retrieve").mock(return_value=retrieved(URL1))
    router.get(URL1).mock(return_value=httpx.Response(200, content=CONTENT))
    progress: list[tuple[int, int | None]] = []
    dest = tmp_path / "out" / "clip.mp4"
    assert (
        await client.download_file("99", dest, on_progress=lambda d, t: progress.append((d, t)))
        == dest
    )
    assert dest.read_bytes() == CONTENT
    assert progress[-1] == (len(CONTENT), len(CONTENT))
    assert [p.name for p in dest.parent.iterdir()] == ["clip.mp4"]  # no temp files left


@pytest.mark.parametrize("code", [403, 404, 410])
async def test_expired_url_gets_a_fresh_one(
    client: AsyncMiniMax, router: respx.MockRouter, tmp_path: Path, code: int
) -> None:
    retrieve = router.get("/files/retrieve").mock(side_effect=[retrieved(URL1), retrieved(URL2)])
    router.get(URL1).mock(return_value=httpx.Response(code, text="<Error>AccessDenied</Error>"))
    router.get(URL2).mock(return_value=httpx.Response(200, content=CONTENT))
    await client.download_file("99", tmp_path / "a.mp4")
    assert retrieve.call_count == 2 and (tmp_path / "a.mp4").read_bytes() == CONTENT


async def test_short_download_is_retried_then_fails(
    client: AsyncMiniMax, router: respx.MockRouter, tmp_path: Path, sleeps: Sleeps
) -> None:
    retrieve = router.get("/files/retrieve").mock(return_value=retrieved(URL1))
    # The CDN promises the whole file and delivers 100 bytes of it.
    router.get(URL1).mock(
        return_value=httpx.Response(
            200,
            stream=httpx.ByteStream(CONTENT[:100]),
            headers={"content-length": str(len(CONTENT))},
        )
    )
    dest = tmp_path / "a.mp4"
    with pytest.raises(MiniMaxError):
        await client.download_file("99", dest)
    assert retrieve.call_count == 3  # bounded
    assert not dest.exists() and os.listdir(tmp_path) == []


async def test_retrieve_bytes_is_a_hint_not_a_reason_to_fail(
    client: AsyncMiniMax, router: respx.MockRouter, tmp_path: Path
) -> None:
    # files/retrieve says one size, the CDN serves (and promises) another: the clip is kept.
    router.get("/files/retrieve").mock(return_value=retrieved(URL1))
    router.get(URL1).mock(return_value=httpx.Response(200, content=CONTENT[:100]))
    await client.download_file("99", tmp_path / "a.mp4")
    assert (tmp_path / "a.mp4").read_bytes() == CONTENT[:100]


async def test_network_failure_mid_download(
    client: AsyncMiniMax, router: respx.MockRouter, tmp_path: Path
) -> None:
    router.get("/files/retrieve").mock(side_effect=[retrieved(URL1), retrieved(URL2)])
    router.get(URL1).mock(side_effect=httpx.ReadError("reset"))
    router.get(URL2).mock(return_value=httpx.Response(200, content=CONTENT))
    await client.download_file("99", tmp_path / "a.mp4")
    assert (tmp_path / "a.mp4").read_bytes() == CONTENT


async def test_persistent_refusal(
    client: AsyncMiniMax, router: respx.MockRouter, tmp_path: Path
) -> None:
    router.get("/files/retrieve").mock(return_value=retrieved(URL1))
    router.get(URL1).mock(return_value=httpx.Response(403))
    with pytest.raises(PermissionDeniedError):
        await client.download_file("99", tmp_path / "a.mp4")


async def test_url_cached_after_retrieve(
    client: AsyncMiniMax, router: respx.MockRouter, tmp_path: Path
) -> None:
    retrieve = router.get("/files/retrieve").mock(return_value=retrieved(URL1, size=None))
    router.get(URL1).mock(return_value=httpx.Response(200, content=CONTENT))
    await client.retrieve_file("99")
    await client.download_file("99", tmp_path / "a.mp4")
    await client.download_file("99", tmp_path / "b.mp4")
    assert retrieve.call_count == 1
    assert (tmp_path / "b.mp4").read_bytes() == CONTENT


async def test_cache_ttl_expires(router: respx.MockRouter, tmp_path: Path) -> None:
    now = [0.0]
    calls: list[str] = []

    async def fake_retrieve(file_id: str) -> RetrievedFile:
        calls.append(file_id)
        info = RetrievedFile(file_id=file_id, download_url=URL1, bytes=len(CONTENT))
        downloader.remember(info)
        return info

    router.get(URL1).mock(return_value=httpx.Response(200, content=CONTENT))
    async with httpx.AsyncClient() as http:
        downloader = Downloader(http, fake_retrieve, Sleeps(), clock=lambda: now[0], ttl=100)
        await downloader.download("5", tmp_path / "a", None)
        now[0] = 50
        await downloader.download("5", tmp_path / "b", None)
        now[0] = 200
        await downloader.download("5", tmp_path / "c", None)
    assert calls == ["5", "5"]


async def test_download_timeout_maps_to_error(router: respx.MockRouter, tmp_path: Path) -> None:
    async def fake_retrieve(file_id: str) -> RetrievedFile:
        return RetrievedFile(file_id=file_id, download_url=URL1)

    router.get(URL1).mock(side_effect=httpx.ReadTimeout("slow"))
    async with httpx.AsyncClient() as http:
        downloader = Downloader(http, fake_retrieve, Sleeps())
        with pytest.raises(APIConnectionError, match="timed out"):
            await downloader.download("5", tmp_path / "a", None)
