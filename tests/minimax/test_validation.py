"""Every pre-request rule: rejected with a field and a fix, and no request sent."""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
import respx

from storyreel.minimax import CAMERA_COMMANDS, AsyncMiniMax, MiniMaxValidationError

from .conftest import png_bytes, write_wav

Call = Callable[[AsyncMiniMax, Path], Awaitable[Any]]


def data_url(raw: bytes, mime: str = "image/png") -> str:
    return f"data:{mime};base64,{base64.b64encode(raw).decode()}"


def img(tmp: Path, name: str, raw: bytes) -> Path:
    path = tmp / name
    path.write_bytes(raw)
    return path


CASES: dict[str, tuple[str, Call]] = {
    # --- video
    "prompt too long": ("prompt", lambda c, t: c.generate_video("x" * 2001)),
    "t2v without prompt": ("prompt", lambda c, t: c.generate_video("  ")),
    "unknown camera": ("prompt", lambda c, t: c.generate_video("[Barrel roll] a cat")),
    "unknown camera in group": ("prompt", lambda c, t: c.generate_video("[Pan left,Spin] a cat")),
    "unknown model": ("model", lambda c, t: c.generate_video("a", model="Hailuo-9")),
    "1080P 10 s": ("duration", lambda c, t: c.generate_video("a", resolution="1080P", duration=10)),
    "duration 8": ("duration", lambda c, t: c.generate_video("a", duration=8)),
    "512P t2v": ("resolution", lambda c, t: c.generate_video("a", resolution="512P")),
    "512P fl2v": (
        "resolution",
        lambda c, t: c.generate_video_fl2v(
            "a", img(t, "a.png", png_bytes()), img(t, "b.png", png_bytes()), resolution="512P"
        ),
    ),
    "fl2v not Hailuo-02": (
        "model",
        lambda c, t: c.generate_video_fl2v(
            "a",
            img(t, "a.png", png_bytes()),
            img(t, "b.png", png_bytes()),
            model="MiniMax-Hailuo-2.3",
        ),
    ),
    "2.3-Fast without first frame": (
        "model",
        lambda c, t: c.generate_video("a", model="MiniMax-Hailuo-2.3-Fast"),
    ),
    "01-series 10 s": ("duration", lambda c, t: c.generate_video("a", model="T2V-01", duration=10)),
    "01-series 1080P": (
        "resolution",
        lambda c, t: c.generate_video("a", model="T2V-01-Director", resolution="1080P"),
    ),
    "I2V-01 without image": ("model", lambda c, t: c.generate_video("a", model="I2V-01")),
    "bad callback": ("callback_url", lambda c, t: c.generate_video("a", callback_url="ftp://x")),
    "frame missing file": (
        "first_frame_image",
        lambda c, t: c.generate_video("a", first_frame_image=t / "nope.png"),
    ),
    "frame not an image": (
        "first_frame_image",
        lambda c, t: c.generate_video(
            "a", first_frame_image=img(t, "a.png", b"not an image at all")
        ),
    ),
    "frame gif": (
        "first_frame_image",
        lambda c, t: c.generate_video(
            "a", first_frame_image=img(t, "a.gif", png_bytes(640, 360, "GIF"))
        ),
    ),
    "frame too small": (
        "first_frame_image",
        lambda c, t: c.generate_video("a", first_frame_image=img(t, "a.png", png_bytes(640, 300))),
    ),
    "frame too wide": (
        "last_frame_image",
        lambda c, t: c.generate_video_fl2v(
            "a", img(t, "a.png", png_bytes()), img(t, "b.png", png_bytes(2000, 301))
        ),
    ),
    "frame too large": (
        "first_frame_image",
        lambda c, t: c.generate_video(
            "a", first_frame_image=img(t, "a.png", png_bytes() + b"\0" * (20 << 20))
        ),
    ),
    "data url not base64": (
        "first_frame_image",
        lambda c, t: c.generate_video("a", first_frame_image="data:image/png,abc"),
    ),
    "data url bad base64": (
        "first_frame_image",
        lambda c, t: c.generate_video("a", first_frame_image="data:image/png;base64,@@@"),
    ),
    "data url too small": (
        "first_frame_image",
        lambda c, t: c.generate_video("a", first_frame_image=data_url(png_bytes(200, 200))),
    ),
    # --- voices
    "voice id short": ("voice_id", lambda c, t: c.voice_clone("1", "Abc123")),
    "voice id digit first": ("voice_id", lambda c, t: c.voice_clone("1", "1Narrator")),
    "voice id ends with dash": ("voice_id", lambda c, t: c.voice_clone("1", "Narrator-")),
    "voice id bad char": ("voice_id", lambda c, t: c.voice_clone("1", "Narr ator01")),
    "voice id too long": ("voice_id", lambda c, t: c.voice_clone("1", "N" * 257)),
    "file id not numeric": ("file_id", lambda c, t: c.voice_clone("abc", "Narrator01")),
    "accuracy": ("accuracy", lambda c, t: c.voice_clone("1", "Narrator01", accuracy=1.5)),
    "text_validation long": (
        "text_validation",
        lambda c, t: c.voice_clone("1", "Narrator01", text_validation="x" * 201),
    ),
    "preview without model": (
        "model",
        lambda c, t: c.voice_clone("1", "Narrator01", text="Hello."),
    ),
    "preview too long": (
        "text",
        lambda c, t: c.voice_clone("1", "Narrator01", text="x" * 1001, model="speech-02-hd"),
    ),
    "clone sample missing": ("sample", lambda c, t: c.clone_voice(t / "none.wav", "Narrator01")),
    "clone sample ogg": (
        "sample",
        lambda c, t: c.clone_voice(img(t, "a.ogg", b"OggS"), "Narrator01"),
    ),
    "clone sample short": (
        "sample",
        lambda c, t: c.clone_voice(write_wav(t / "s.wav", 5), "Narrator01"),
    ),
    "clone sample long": (
        "sample",
        lambda c, t: c.clone_voice(write_wav(t / "s.wav", 301, rate=800), "Narrator01"),
    ),
    "clone sample garbage": (
        "sample",
        lambda c, t: c.clone_voice(img(t, "a.mp3", b"\0" * 4096), "Narrator01"),
    ),
    "clone sample huge": (
        "sample",
        lambda c, t: c.clone_voice(img(t, "a.wav", b"\0" * (20 * 1024 * 1024 + 1)), "Narrator01"),
    ),
    "clone bad voice id": (
        "voice_id",
        lambda c, t: c.clone_voice(write_wav(t / "s.wav", 12), "bad"),
    ),
    "upload purpose": ("purpose", lambda c, t: c.upload_file(b"x", purpose="selfies")),
    "upload empty": ("file", lambda c, t: c.upload_file(b"")),
    "upload missing": ("file", lambda c, t: c.upload_file(t / "none.mp3")),
    "upload clone too big": ("file", lambda c, t: c.upload_file(b"\0" * (20 * 1024 * 1024 + 1))),
    "voice type": ("voice_type", lambda c, t: c.list_voices("mine")),
    # --- speech
    "tts empty": ("text", lambda c, t: c.text_to_audio("   ", "Narrator01")),
    "tts too long": ("text", lambda c, t: c.text_to_audio("x" * 10_000, "Narrator01")),
    "tts no voice": ("voice_id", lambda c, t: c.text_to_audio("hi", "")),
    "tts model": ("model", lambda c, t: c.text_to_audio("hi", "Narrator01", model="speech-03")),
    "tts speed low": ("speed", lambda c, t: c.text_to_audio("hi", "Narrator01", speed=0.4)),
    "tts speed high": ("speed", lambda c, t: c.text_to_audio("hi", "Narrator01", speed=2.1)),
    "tts vol zero": ("vol", lambda c, t: c.text_to_audio("hi", "Narrator01", vol=0)),
    "tts vol high": ("vol", lambda c, t: c.text_to_audio("hi", "Narrator01", vol=10.5)),
    "tts pitch": ("pitch", lambda c, t: c.text_to_audio("hi", "Narrator01", pitch=13)),
    "tts emotion": ("emotion", lambda c, t: c.text_to_audio("hi", "Narrator01", emotion="bored")),
    "tts format": ("format", lambda c, t: c.text_to_audio("hi", "Narrator01", format="aac")),
    "tts wav stream": (
        "format",
        lambda c, t: c.text_to_audio("hi", "Narrator01", format="wav", stream=True),
    ),
    "tts sample rate": (
        "sample_rate",
        lambda c, t: c.text_to_audio("hi", "Narrator01", sample_rate=48000),
    ),
    "tts bitrate": ("bitrate", lambda c, t: c.text_to_audio("hi", "Narrator01", bitrate=96000)),
    "tts bitrate flac": (
        "bitrate",
        lambda c, t: c.text_to_audio("hi", "Narrator01", format="flac", bitrate=128000),
    ),
    "tts channel": ("channel", lambda c, t: c.text_to_audio("hi", "Narrator01", channel=3)),
    "tts output format": (
        "output_format",
        lambda c, t: c.text_to_audio("hi", "Narrator01", output_format="b64"),
    ),
    "tts url stream": (
        "output_format",
        lambda c, t: c.text_to_audio("hi", "Narrator01", output_format="url", stream=True),
    ),
    # --- ids
    "query empty": ("task_id", lambda c, t: c.query_video_status(" ")),
    "retrieve empty": ("file_id", lambda c, t: c.retrieve_file("")),
}


@pytest.mark.parametrize("case", list(CASES))
async def test_rejected_before_any_request(
    case: str, client: AsyncMiniMax, router: respx.MockRouter, tmp_path: Path
) -> None:
    field, call = CASES[case]
    with pytest.raises(MiniMaxValidationError) as info:
        await call(client, tmp_path)
    assert info.value.field == field
    assert info.value.fix and info.value.exit_code == 2
    assert str(info.value).count("\n") == 0
    assert router.calls.call_count == 0


async def test_unknown_camera_lists_valid_commands(client: AsyncMiniMax) -> None:
    with pytest.raises(MiniMaxValidationError) as info:
        await client.generate_video("[Dolly sideways] a cat")
    for command in CAMERA_COMMANDS:
        assert f"[{command}]" in info.value.fix
    assert "[Dolly sideways]" in str(info.value)


async def test_valid_voice_ids(client: AsyncMiniMax) -> None:
    from storyreel.minimax import validate_voice_id

    for good in ("MiniMax001", "Narrator_01", "a-b_c-d1", "N" * 256):
        assert validate_voice_id(good) == good


def test_seed_speech_models_map_to_turbo(caplog: pytest.LogCaptureFixture) -> None:
    import logging

    from storyreel.minimax._validation import validate_tts_model

    caplog.set_level(logging.DEBUG)
    assert validate_tts_model("speech-02") == "speech-02-turbo"
    assert validate_tts_model("speech-01") == "speech-01-turbo"
    assert validate_tts_model("speech-2.8-hd") == "speech-2.8-hd"
    assert "speech-02-turbo" in caplog.text


def test_audio_seconds_measures_with_pyav(tmp_path: Path) -> None:
    from storyreel.minimax._file_checks import audio_seconds

    assert audio_seconds(write_wav(tmp_path / "a.wav", 12.5)) == pytest.approx(12.5, abs=0.05)
