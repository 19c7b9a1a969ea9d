"""MiniMaxSpeechGen and ensure_cloned_voice against a stand-in client."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, cast

import pytest

from storyreel.config import Settings
from storyreel.errors import ProviderError
from storyreel.minimax import (
    AsyncMiniMax,
    DuplicateVoiceError,
    RateLimitError,
    ServerError,
    SpeechResult,
    UnknownOutcomeError,
    Voice,
    VoiceCloneResult,
)
from storyreel.providers.minimax_speech import (
    DEFAULT_VOICE,
    MiniMaxSpeechGen,
    audio_format,
    ensure_cloned_voice,
)

AUDIO = b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\xff\xfb" * 32


class StubClient:
    def __init__(self) -> None:
        self.spoken: list[dict[str, Any]] = []
        self.error: Exception | None = None
        self.voices: list[str] = []
        self.list_error: Exception | None = None
        self.clone_error: Exception | None = None
        self.cloned: list[tuple[Path, str]] = []

    async def text_to_audio(self, text: str, voice_id: str, **kwargs: Any) -> SpeechResult:
        self.spoken.append({"text": text, "voice_id": voice_id, **kwargs})
        if self.error is not None:
            raise self.error
        return SpeechResult(audio=AUDIO, format=kwargs["format"], trace_id="tts-1")

    async def list_voices(self, voice_type: str = "all") -> list[Voice]:
        if self.list_error is not None:
            raise self.list_error
        return [Voice(voice_id=v, kind="voice_cloning") for v in self.voices]

    # The real clone-once rule, run over this stand-in's list and clone.
    has_voice = AsyncMiniMax.has_voice
    ensure_voice = AsyncMiniMax.ensure_voice

    async def clone_voice(self, sample: Path, voice_id: str, **kwargs: Any) -> VoiceCloneResult:
        self.cloned.append((sample, voice_id))
        if self.clone_error is not None:
            raise self.clone_error
        return VoiceCloneResult(voice_id=voice_id)


def speech(stub: StubClient, settings: Settings | None = None, **kwargs: Any) -> MiniMaxSpeechGen:
    return MiniMaxSpeechGen(settings or Settings(), client=cast(AsyncMiniMax, stub), **kwargs)


async def test_speak_writes_audio_with_settings(tmp_path: Path) -> None:
    stub = StubClient()
    settings = Settings(tts_model="speech-02-turbo", speech_speed=1.2, voice_id="MyVoice001")
    out = tmp_path / "audio" / "segment_1.mp3"

    assert await speech(stub, settings).speak("  Once upon a time. ", out=out) == out

    assert out.read_bytes() == AUDIO
    call = stub.spoken[0]
    assert call == {
        "text": "Once upon a time.",
        "voice_id": "MyVoice001",
        "model": "speech-02-turbo",
        "speed": 1.2,
        "format": "mp3",
    }
    assert not list(out.parent.glob(".*"))


async def test_stock_voice_and_wav(tmp_path: Path) -> None:
    stub = StubClient()
    await speech(stub).speak("hello", out=tmp_path / "a.wav")
    assert stub.spoken[0]["voice_id"] == DEFAULT_VOICE and stub.spoken[0]["format"] == "wav"
    await speech(stub, voice_id="Cloned0001").speak("hello", out=tmp_path / "b.flac")
    assert stub.spoken[1]["voice_id"] == "Cloned0001" and stub.spoken[1]["format"] == "flac"


def test_unknown_suffix_is_refused() -> None:
    with pytest.raises(ProviderError, match="ogg"):
        audio_format(Path("x.ogg"))


async def test_errors_name_stage_code_and_trace(tmp_path: Path) -> None:
    stub = StubClient()
    stub.error = RateLimitError("rate limit", code=1002, endpoint="t2a_v2", trace_id="tr-9")
    with pytest.raises(ProviderError) as info:
        await speech(stub).speak("hi", out=tmp_path / "a.mp3")
    err = info.value
    assert (err.stage, err.provider, err.code, err.trace_id, err.retryable) == (
        "speech",
        "minimax",
        1002,
        "tr-9",
        True,
    )
    assert not (tmp_path / "a.mp3").exists()


async def test_clone_once_then_reuse_without_upload(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    stub = StubClient()
    sample = tmp_path / "me.wav"
    sample.write_bytes(b"RIFF")
    assert await ensure_cloned_voice(cast(AsyncMiniMax, stub), sample, "Narrator01") == "Narrator01"
    assert stub.cloned == [(sample, "Narrator01")]

    stub.voices = ["Narrator01"]
    with caplog.at_level(logging.INFO):
        assert (
            await ensure_cloned_voice(cast(AsyncMiniMax, stub), sample, "Narrator01")
            == "Narrator01"
        )
    assert len(stub.cloned) == 1  # no second upload
    assert "reusing" in caplog.text


async def test_duplicate_answer_means_reuse(tmp_path: Path) -> None:
    stub = StubClient()
    stub.list_error = ServerError("gateway", http_status=502)
    stub.clone_error = DuplicateVoiceError("voice clone voice id duplicate", code=2039)
    assert await ensure_cloned_voice(
        cast(AsyncMiniMax, stub), tmp_path / "s.wav", "Narrator01"
    ) == ("Narrator01")
    assert len(stub.cloned) == 1


async def test_clone_failure_is_provider_error(tmp_path: Path) -> None:
    stub = StubClient()
    stub.clone_error = ServerError("unknown error", code=1000, trace_id="c-1")
    with pytest.raises(ProviderError) as info:
        await ensure_cloned_voice(cast(AsyncMiniMax, stub), tmp_path / "s.wav", "Narrator01")
    assert (info.value.stage, info.value.code, info.value.trace_id) == ("voice", 1000, "c-1")


async def test_a_lost_clone_answer_the_client_could_not_settle_is_unknown(
    tmp_path: Path,
) -> None:
    # The client already looked and repeated once (tests/minimax/test_clone_voice.py); what it
    # still cannot settle stops with the "may have been accepted" outcome.
    stub = StubClient()
    stub.clone_error = UnknownOutcomeError("no answer", endpoint="voice_clone")
    with pytest.raises(ProviderError) as info:
        await ensure_cloned_voice(cast(AsyncMiniMax, stub), tmp_path / "s.wav", "Narrator01")
    assert info.value.outcome == "unknown" and info.value.stage == "voice"
