"""/voices: uploads checked (type, size, length) before any request; clone once; mock mode."""

from __future__ import annotations

from pathlib import Path

import pytest

from storyreel.api.app import create_app
from storyreel.api.routes_voices import MAX_SAMPLE_BYTES
from storyreel.config import Settings
from tests.api.helpers import in_process, offline_settings, voice_sample
from tests.fakes.fake_minimax import FakeMiniMax

VOICE = "NarratorVoice01"


def _form(data: bytes = b"", name: str = "sample.wav", voice_id: str = VOICE) -> dict[str, object]:
    return {
        "files": {"sample": (name, data or voice_sample(), "audio/wav")},
        "data": {"voice_id": voice_id},
    }


async def test_mock_mode_lists_and_clones_and_says_so(tmp_path: Path) -> None:
    async with in_process(create_app(offline_settings(tmp_path))) as client:
        listed = await client.get("/voices")
        assert listed.status_code == 200
        assert listed.json()["mock"] is True
        assert listed.json()["voices"]
        cloned = await client.post("/voices", **_form())  # type: ignore[arg-type]
        assert cloned.status_code == 201, cloned.text
        assert cloned.json() == {
            "voice_id": VOICE,
            "created": True,
            "note": cloned.json()["note"],
            "mock": True,
        }


async def test_fake_minimax_clones_once_then_reports_it_exists(
    fake_minimax: FakeMiniMax, tmp_path: Path
) -> None:
    async with in_process(create_app(Settings(data_dir=tmp_path))) as client:
        first = await client.post("/voices", **_form())  # type: ignore[arg-type]
        assert first.status_code == 201, first.text
        assert first.json()["created"] is True and first.json()["mock"] is False
        again = await client.post("/voices", **_form())  # type: ignore[arg-type]
        assert again.status_code == 200
        assert again.json()["created"] is False
        assert "already" in again.json()["note"]
        listed = (await client.get("/voices", params={"type": "voice_cloning"})).json()
        assert VOICE in {v["voice_id"] for v in listed["voices"]}
        assert listed["mock"] is False
    assert fake_minimax.accepted["voice_clone"] == 1
    assert fake_minimax.accepted["files/upload"] == 1
    # Keys never come back to the caller.
    assert fake_minimax.api_key not in first.text + again.text


@pytest.mark.parametrize(
    ("form", "field"),
    [
        ({"name": "notes.txt", "data": b"hello there, not audio" * 10}, "sample"),
        ({"name": "fake.wav", "data": b"ID3" + b"\x00" * 400}, "sample"),  # mp3 bytes, wav name
        ({"name": "short.wav", "data": voice_sample(seconds=2)}, "sample"),  # under 10 s
        ({"voice_id": "1bad"}, "voice_id"),
        ({"voice_id": "short"}, "voice_id"),
    ],
)
async def test_bad_uploads_are_422_before_any_request(
    fake_minimax: FakeMiniMax, tmp_path: Path, form: dict[str, object], field: str
) -> None:
    async with in_process(create_app(Settings(data_dir=tmp_path))) as client:
        response = await client.post("/voices", **_form(**form))  # type: ignore[arg-type]
    assert response.status_code == 422, response.text
    assert response.json()["message"].startswith(f"{field}:")
    assert fake_minimax.calls["files/upload"] == 0
    assert fake_minimax.calls["voice_clone"] == 0


async def test_missing_fields_and_non_forms_are_422(tmp_path: Path) -> None:
    async with in_process(create_app(offline_settings(tmp_path))) as client:
        no_file = await client.post("/voices", data={"voice_id": VOICE}, files={"x": ("a", b"b")})
        assert no_file.status_code == 422 and no_file.json()["message"].startswith("sample:")
        no_id = await client.post("/voices", files={"sample": ("a.wav", voice_sample())})
        assert no_id.status_code == 422 and no_id.json()["message"].startswith("voice_id:")
        json_body = await client.post("/voices", json={"voice_id": VOICE})
        assert json_body.status_code == 422


async def test_oversized_upload_is_413_while_streaming(tmp_path: Path) -> None:
    chunks_sent = 0

    async def body() -> object:
        nonlocal chunks_sent
        head = (
            b'--b\r\nContent-Disposition: form-data; name="sample"; filename="big.wav"\r\n'
            b"Content-Type: audio/wav\r\n\r\n"
        )
        yield head
        chunk = b"\0" * (1024 * 1024)
        for _ in range(MAX_SAMPLE_BYTES // len(chunk) + 10):
            chunks_sent += 1
            yield chunk

    async with in_process(create_app(offline_settings(tmp_path))) as client:
        # No Content-Length (chunked): the limit must hold while the body streams in.
        response = await client.post(
            "/voices",
            content=body(),  # type: ignore[arg-type]
            headers={"Content-Type": "multipart/form-data; boundary=b"},
        )
        assert response.status_code == 413
        declared = await client.post(
            "/voices",
            content=b"x",
            headers={
                "Content-Type": "multipart/form-data; boundary=b",
                "Content-Length": str(MAX_SAMPLE_BYTES * 2),
            },
        )
        assert declared.status_code == 413
