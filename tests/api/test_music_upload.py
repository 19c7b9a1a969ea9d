"""Issue 12 through the API: a music track uploaded with ``POST /music`` and named by its id in
``POST /jobs`` (the service mixes its own stored copy; a request never names a path)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from storyreel.api import routes_music
from storyreel.api.app import create_app
from storyreel.api.routes_music import MAX_BODY_BYTES
from tests.api.helpers import QUICK, STORY, in_process, offline_settings, wait_for
from tests.fakes.media import make_tone


async def test_an_uploaded_track_is_the_bed_of_a_job(tmp_path: Path) -> None:
    track = make_tone(4.0, fmt="wav")
    async with in_process(create_app(offline_settings(tmp_path))) as client:
        # The name says mp3; the content (a WAV) decides how it is kept.
        uploaded = await client.post("/music", files={"track": ("song.mp3", track)})
        assert uploaded.status_code == 201, uploaded.text
        body = uploaded.json()
        music_id = body["music_id"]
        assert body["seconds"] == pytest.approx(4.0, abs=0.1)
        again = await client.post("/music", files={"track": ("other.wav", track)})
        assert again.json()["music_id"] == music_id  # content-addressed: the same id
        stored = tmp_path / "music" / f"{music_id}.wav"
        assert stored.is_file() and [p.name for p in stored.parent.iterdir()] == [stored.name]

        music = f"upload:{music_id}"
        created = await client.post("/jobs", json={"story": STORY, **QUICK, "music": music})
        assert created.status_code == 202, created.text
        job = await wait_for(client, created.json()["id"])
    assert job["options"]["music"] == music  # the answer shows the id, not the service's path
    manifest = json.loads((tmp_path / "jobs" / job["id"] / "manifest.json").read_text())
    assert manifest["music"]["track"] == str(stored.resolve())


async def test_an_mp3_upload_is_kept_as_mp3(tmp_path: Path) -> None:
    async with in_process(create_app(offline_settings(tmp_path))) as client:
        uploaded = await client.post("/music", files={"track": ("x", make_tone(3.5))})
    assert uploaded.status_code == 201, uploaded.text
    assert (tmp_path / "music" / f"{uploaded.json()['music_id']}.mp3").is_file()


@pytest.mark.parametrize(
    "data",
    [
        make_tone(0.5, fmt="wav"),  # a click, not a bed
        b"hello there, not audio" * 100,
        b"RIFF\x00\x00\x00\x00WAVE" + b"\x00" * 400,  # a WAV's header over nothing FFmpeg reads
    ],
)
async def test_bad_tracks_are_one_line_422s_naming_the_field(tmp_path: Path, data: bytes) -> None:
    async with in_process(create_app(offline_settings(tmp_path))) as client:
        response = await client.post("/music", files={"track": ("song.wav", data)})
    assert response.status_code == 422, response.text
    message = response.json()["message"]
    assert message.startswith("track:") and "\n" not in message
    assert str(tmp_path) not in response.text  # the service's own paths stay its own
    assert not any((tmp_path / "music").glob("*"))  # nothing kept, no leftovers


async def test_missing_field_and_non_forms_are_422(tmp_path: Path) -> None:
    async with in_process(create_app(offline_settings(tmp_path))) as client:
        no_file = await client.post("/music", files={"sample": ("a.wav", make_tone(4, fmt="wav"))})
        assert no_file.status_code == 422 and no_file.json()["message"].startswith("track:")
        json_body = await client.post("/music", json={"track": "/etc/hosts"})
        assert json_body.status_code == 422


async def test_an_oversized_upload_is_413(tmp_path: Path) -> None:
    async with in_process(create_app(offline_settings(tmp_path))) as client:
        response = await client.post(
            "/music",
            content=b"x",
            headers={
                "Content-Type": "multipart/form-data; boundary=b",
                "Content-Length": str(MAX_BODY_BYTES + 1),
            },
        )
    assert response.status_code == 413, response.text
    assert "detail" in response.json()


async def test_a_chunked_upload_is_cut_off_at_the_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A small limit (read when the app is built, and by the route) instead of 200 MB of test data.
    monkeypatch.setattr(routes_music, "MAX_BODY_BYTES", 256 * 1024)

    async def body() -> object:
        yield b'--b\r\nContent-Disposition: form-data; name="track"; filename="big.wav"\r\n\r\n'
        for _ in range(64):
            yield b"\0" * 65536

    async with in_process(create_app(offline_settings(tmp_path))) as client:
        response = await client.post(
            "/music",
            content=body(),  # type: ignore[arg-type]
            headers={"Content-Type": "multipart/form-data; boundary=b"},
        )
    assert response.status_code == 413, response.text


async def test_a_full_music_store_is_507(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(routes_music, "MAX_STORED_BYTES", 400_000)
    async with in_process(create_app(offline_settings(tmp_path))) as client:
        first = await client.post("/music", files={"track": ("a", make_tone(4.0, fmt="wav"))})
        assert first.status_code == 201, first.text  # 4 s of 32 kHz 16-bit mono: 256 KB
        # 320 KB: it would fit alone, not beside the first.
        second = await client.post("/music", files={"track": ("b", make_tone(5.0, fmt="wav"))})
    assert second.status_code == 507, second.text
    assert "music_id" in second.json()["detail"]
    assert len(list((tmp_path / "music").iterdir())) == 1


@pytest.mark.parametrize("music", ["upload:" + "0" * 32, "upload:../../etc/passwd", "upload:"])
async def test_unknown_or_malformed_music_ids_are_422(tmp_path: Path, music: str) -> None:
    async with in_process(create_app(offline_settings(tmp_path))) as client:
        response = await client.post("/jobs", json={"story": STORY, **QUICK, "music": music})
        assert response.status_code == 422, response.text
        assert response.json()["message"].startswith("music:")
        assert (await client.get("/jobs")).json()["jobs"] == []
