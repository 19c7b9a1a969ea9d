"""A job's downloads (subtitles, manifest), deleting a job, the page's web fonts, /info's
``video_paid``; in process, offline."""

from __future__ import annotations

import json
import struct
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio

from storyreel.api.app import create_app
from storyreel.api.deps import AppState
from storyreel.api.webfonts import sfnt_from_collection
from storyreel.config import OpenAISettings, Settings
from storyreel.minimax import MiniMaxSettings
from storyreel.pipeline.layout import OutputLayout
from tests.api.helpers import QUICK, STORY, in_process, offline_settings, wait_for

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def app_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("api-files")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def client(app_dir: Path) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(offline_settings(app_dir))
    async with in_process(app) as client:
        client.app_state = app.state.storyreel  # type: ignore[attr-defined]
        yield client


def state(client: httpx.AsyncClient) -> AppState:
    found: AppState = client.app_state  # type: ignore[attr-defined]
    return found


async def finished_job(client: httpx.AsyncClient, **options: Any) -> dict[str, Any]:
    response = await client.post("/jobs", json={"story": STORY, **QUICK, **options})
    assert response.status_code == 202, response.text
    return await wait_for(client, response.json()["id"])


async def test_subtitles_and_manifest_download(client: httpx.AsyncClient) -> None:
    job = await finished_job(client)
    assert job["subtitles_url"] == f"/jobs/{job['id']}/subtitles"
    assert job["manifest_url"] == f"/jobs/{job['id']}/manifest"

    srt = await client.get(job["subtitles_url"])
    assert srt.status_code == 200
    assert srt.headers["content-type"] == "application/x-subrip; charset=utf-8"
    assert srt.headers["content-disposition"] == f'attachment; filename="storyreel-{job["id"]}.srt"'
    assert "-->" in srt.text and "lighthouse" in srt.text.lower()

    manifest = await client.get(job["manifest_url"])
    assert manifest.status_code == 200
    assert manifest.headers["content-type"] == "application/json"
    assert manifest.headers["content-disposition"] == (
        f'attachment; filename="storyreel-{job["id"]}-manifest.json"'
    )
    assert json.loads(manifest.content)["aspect"] == "16:9"


async def test_a_job_without_subtitles_has_no_subtitles_download(
    client: httpx.AsyncClient,
) -> None:
    job = await finished_job(client, subtitles="none")
    assert job["subtitles_url"] is None and job["manifest_url"] is not None
    missing = await client.get(f"/jobs/{job['id']}/subtitles")
    assert missing.status_code == 404
    assert "has no subtitles yet" in missing.json()["detail"]
    assert (await client.get("/jobs/aaaaaaaaaaaaaaaa/manifest")).status_code == 404


async def test_delete_removes_the_job_its_rows_and_its_folder(client: httpx.AsyncClient) -> None:
    job = await finished_job(client)
    folder = state(client).settings.data_dir / "jobs" / job["id"]
    assert OutputLayout(folder).video.is_file()

    deleted = await client.delete(f"/jobs/{job['id']}")
    assert deleted.status_code == 204 and deleted.content == b""
    assert not folder.exists()
    assert (await client.get(f"/jobs/{job['id']}")).status_code == 404
    listed = (await client.get("/jobs")).json()["jobs"]
    assert job["id"] not in [j["id"] for j in listed]
    assert (await client.delete(f"/jobs/{job['id']}")).status_code == 404


async def test_a_queued_or_running_job_cannot_be_deleted(
    client: httpx.AsyncClient, tmp_path: Path
) -> None:
    store = state(client).store
    for status in ("queued", "running"):
        # Written straight into the store: a job the runner is not holding, in each status.
        job = await store.create_job(STORY, {}, tmp_path / status)
        await store.set_status(job.id, status)  # type: ignore[arg-type]
        refused = await client.delete(f"/jobs/{job.id}")
        assert refused.status_code == 409
        message = refused.json()["detail"]
        assert f"is {status}" in message and f"/jobs/{job.id}/cancel" in message
        assert (await store.get_job(job.id)).status == status
        await store.set_status(job.id, "cancelled")
        assert (await client.delete(f"/jobs/{job.id}")).status_code == 204


async def test_delete_keeps_a_folder_the_service_did_not_make(
    client: httpx.AsyncClient, tmp_path: Path
) -> None:
    # A `storyreel make --out DIR` job shares the store; DIR is the user's.
    store = state(client).store
    mine = tmp_path / "my-video"
    mine.mkdir()
    (mine / "plan.json").write_text("{}")
    job = await store.create_job(STORY, {}, mine)
    await store.set_status(job.id, "failed", error="boom")
    assert (await client.delete(f"/jobs/{job.id}")).status_code == 204
    assert (mine / "plan.json").is_file()


async def test_web_fonts_are_served_with_cache_headers(client: httpx.AsyncClient) -> None:
    arabic = await client.get("/fonts/noto-sans-arabic.ttf")
    assert arabic.status_code == 200
    assert arabic.headers["content-type"] == "font/ttf"
    assert arabic.headers["cache-control"] == "public, max-age=604800"
    assert arabic.content[:4] == b"\0\1\0\0"  # TrueType outlines

    cjk = await client.get("/fonts/noto-sans-cjk-sc.otf")
    assert cjk.status_code == 200 and cjk.headers["content-type"] == "font/otf"
    assert cjk.content[:4] == b"OTTO"  # a single OpenType (CFF) font, not the collection
    assert "etag" in cjk.headers
    assert (await client.get("/fonts/other.ttf")).status_code == 422


async def test_one_face_copied_out_of_a_collection_keeps_its_tables() -> None:
    def table(tag: bytes, body: bytes) -> tuple[bytes, bytes]:
        return tag, body

    shared = table(b"glyf", b"GLYPHS")  # shared by both faces: in the file once
    faces = [[table(b"cmap", b"AAAA"), shared], [table(b"cmap", b"BBBBBB"), shared]]
    # Lay out a collection by hand: header, two offset tables, then the table bodies.
    header_size = 12 + 4 * len(faces)
    directory_size = 12 + 16 * 2
    bodies = b""
    where: dict[bytes, int] = {}
    start = header_size + directory_size * len(faces)
    for face in faces:
        for _tag, body in face:
            if body not in where:
                where[body] = start + len(bodies)
                bodies += body + b"\0" * (-len(body) % 4)
    collection = b"ttcf" + struct.pack(">II", 0x00010000, len(faces))
    collection += b"".join(
        struct.pack(">I", header_size + directory_size * n) for n in range(len(faces))
    )
    for face in faces:
        collection += struct.pack(">IHHHH", 0x4F54544F, 2, 32, 1, 0)
        for tag, body in face:
            collection += struct.pack(">4sIII", tag, 7, where[body], len(body))
    collection += bodies

    font = sfnt_from_collection(collection, 1)
    assert font[:4] == b"OTTO" and struct.unpack_from(">H", font, 4) == (2,)
    found = {}
    for n in range(2):
        tag, checksum, offset, length = struct.unpack_from(">4sIII", font, 12 + 16 * n)
        assert offset % 4 == 0 and checksum == 7
        found[tag] = font[offset : offset + length]
    assert found == {b"cmap": b"BBBBBB", b"glyf": b"GLYPHS"}
    with pytest.raises(ValueError, match="2 faces"):
        sfnt_from_collection(collection, 2)
    with pytest.raises(ValueError, match="not a font collection"):
        sfnt_from_collection(font, 0)


async def test_info_says_whether_video_is_paid(tmp_path: Path, client: httpx.AsyncClient) -> None:
    info = (await client.get("/info")).json()
    assert info["video_paid"] is False  # offline
    paths = (await client.get("/openapi.json")).json()["paths"]
    assert info["studio"] is ("/jobs/{job_id}/board" in paths)
    paid = Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=tmp_path,
        minimax=MiniMaxSettings(_env_file=None, api_key="k" * 32),  # type: ignore[call-arg]
        openai=OpenAISettings(_env_file=None, api_key=None),  # type: ignore[call-arg]
    )
    async with in_process(create_app(paid)) as with_key:
        assert (await with_key.get("/info")).json()["video_paid"] is True
