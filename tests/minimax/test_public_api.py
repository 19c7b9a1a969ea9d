"""The public surface (the contract others code against) and key hygiene."""

from __future__ import annotations

import logging

import httpx
import pytest
import respx

import storyreel.minimax as minimax
from storyreel.minimax import AsyncMiniMax, AuthenticationError, MiniMaxSettings

from .conftest import API, KEY, fail

CONTRACT = {
    "AsyncMiniMax",
    "BeforeSend",
    "BeforeWait",
    "MiniMaxSettings",
    "UploadedFile",
    "VoiceCloneResult",
    "Voice",
    "SpeechResult",
    "MusicResult",
    "VideoTask",
    "RetrievedFile",
    "CallbackEvent",
    "MiniMaxError",
    "MiniMaxValidationError",
    "AuthenticationError",
    "RateLimitError",
    "InsufficientBalanceError",
    "QuotaExceededError",
    "ContentPolicyError",
    "InvalidRequestError",
    "DuplicateVoiceError",
    "PermissionDeniedError",
    "ServerError",
    "APIConnectionError",
    "APITimeoutError",
    "UnknownOutcomeError",
    "TaskFailedError",
    "TaskTimeoutError",
    "parse_callback",
    "CAMERA_COMMANDS",
    # What the planner offers (the documented 15) and how the seed's names are sent.
    "OFFICIAL_CAMERA_COMMANDS",
    "SEED_TO_DOCUMENTED",
    "unknown_camera_commands",
    # How the planner's camera names are read back.
    "canonical_camera",
    # The pre-flight checks the CLI and the service run before anything is paid.
    "validate_voice_id",
    "validate_clone_sample",
    # A keyframe or reference picture a user uploads meets the frame rules before it is kept.
    "check_image_bytes",
    "validate_tts_model",
    "validate_video",
    # The rate-limited endpoint groups and their window, for limiters shared between processes.
    "T2A",
    "VIDEO_CREATE",
    "VOICE_CLONE",
    "RATE_PERIOD",
    "ARRIVAL_MARGIN",
    "CLONE_MAX_BYTES",
    "MUSIC_PROMPT_CHARS",
    "PROMPT_MAX_CHARS",
    "TTS_SPEED_RANGE",
}


def test_all_is_exactly_the_contract() -> None:
    assert set(minimax.__all__) == CONTRACT
    assert len(minimax.__all__) == len(CONTRACT)
    for name in CONTRACT:
        assert getattr(minimax, name) is not None


def test_every_error_derives_from_minimax_error() -> None:
    for name in CONTRACT:
        obj = getattr(minimax, name)
        if isinstance(obj, type) and name.endswith("Error"):
            assert issubclass(obj, minimax.MiniMaxError)
    assert minimax.MiniMaxValidationError("x", field="f", fix="y").exit_code == 2
    assert minimax.ServerError("x").exit_code == 1


def test_package_imports_nothing_else_from_storyreel() -> None:
    import ast
    from pathlib import Path

    for path in Path(minimax.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                assert node.level > 0 or not node.module.startswith("storyreel"), path


async def test_key_absent_from_reprs_errors_and_logs(
    settings: MiniMaxSettings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with respx.mock(base_url=API) as router:
        # A hostile gateway that echoes the key back must not leak it either.
        router.post("/get_voice").mock(return_value=fail(1004, f"login fail: bad key {KEY}"))
        async with AsyncMiniMax(settings) as mm:
            with pytest.raises(AuthenticationError) as info:
                await mm.list_voices()
            sent = router.calls.last.request
            assert sent.headers["Authorization"] == f"Bearer {KEY}"
            for text in (
                repr(mm),
                repr(settings),
                str(settings),
                str(info.value),
                repr(info.value),
            ):
                assert KEY not in text
            assert KEY not in caplog.text
            assert KEY not in repr(sent.headers)


async def test_region_hint_on_auth_errors(client: AsyncMiniMax, router: respx.MockRouter) -> None:
    router.post("/get_voice").mock(return_value=fail(2049, "invalid api key"))
    with pytest.raises(AuthenticationError) as info:
        await client.list_voices()
    text = str(info.value)
    assert "api.minimaxi.com" in text and "api.minimax.io" in text
    assert info.value.code == 2049 and info.value.endpoint == "get_voice"


def test_base_url_and_key_overrides() -> None:
    mm = AsyncMiniMax(api_key="k-123456", base_url="https://api.minimaxi.com/v1/")
    assert mm.settings.base_url == "https://api.minimaxi.com"
    assert not mm.mocked
    assert "k-123456" not in repr(mm)


def test_no_key_means_mock_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    assert AsyncMiniMax().mocked
    monkeypatch.setenv("MINIMAX_API_KEY", "real-looking-key")
    assert not AsyncMiniMax().mocked
    monkeypatch.setenv("MINIMAX_MOCK_MODE", "true")
    assert AsyncMiniMax().mocked


async def test_download_client_never_sends_the_key(
    client: AsyncMiniMax, router: respx.MockRouter, tmp_path: object
) -> None:
    router.get("/files/retrieve").mock(
        return_value=httpx.Response(
            200,
            json={
                "file": {"file_id": 7, "bytes": 3, "download_url": "https://cdn.example.com/x.mp4"},
                "base_resp": {"status_code": 0},
            },
        )
    )
    cdn = router.get("https://cdn.example.com/x.mp4").mock(
        return_value=httpx.Response(200, content=b"abc")
    )
    from pathlib import Path

    await client.download_file("7", Path(str(tmp_path)) / "x.mp4")
    assert "Authorization" not in cdn.calls.last.request.headers
