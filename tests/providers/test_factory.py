"""Choosing each stage's provider: auto, explicit, overrides, missing keys, closing clients."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from storyreel.config import OpenAISettings, Settings
from storyreel.errors import ConfigError
from storyreel.minimax import AsyncMiniMax, MiniMaxSettings
from storyreel.providers.factory import build_providers, resolve_choices
from storyreel.providers.minimax_speech import MiniMaxSpeechGen
from storyreel.providers.minimax_video import MiniMaxVideoGen
from storyreel.providers.openai_images import OpenAIImageGen
from storyreel.providers.openai_planner import OpenAIPlanner


def settings(*, openai: bool = False, minimax: bool = False, **kwargs: object) -> Settings:
    return Settings(
        openai=OpenAISettings(api_key=SecretStr("sk-test-0000") if openai else None),
        minimax=MiniMaxSettings(api_key=SecretStr("mm-test-0000") if minimax else None),
        **kwargs,  # type: ignore[arg-type]
    )


def test_auto_without_keys_is_offline() -> None:
    assert resolve_choices(settings()) == dict.fromkeys(
        ("planner", "images", "video", "speech"), "offline"
    )


def test_auto_with_each_key_picks_its_stages() -> None:
    assert resolve_choices(settings(openai=True)) == {
        "planner": "openai",
        "images": "openai",
        "video": "offline",
        "speech": "offline",
    }
    assert resolve_choices(settings(minimax=True)) == {
        "planner": "offline",
        "images": "offline",
        "video": "minimax",
        "speech": "minimax",
    }


def test_overrides_win_over_settings() -> None:
    chosen = resolve_choices(
        settings(openai=True, minimax=True, images="offline"), {"video": "offline"}
    )
    assert chosen == {
        "planner": "openai",
        "images": "offline",
        "video": "offline",
        "speech": "minimax",
    }


@pytest.mark.parametrize(
    ("stage", "choice", "variable"),
    [
        ("planner", "openai", "OPENAI_API_KEY"),
        ("images", "openai", "OPENAI_API_KEY"),
        ("video", "minimax", "MINIMAX_API_KEY"),
        ("speech", "minimax", "MINIMAX_API_KEY"),
    ],
)
def test_explicit_real_provider_without_key_is_config_error(
    stage: str, choice: str, variable: str
) -> None:
    with pytest.raises(ConfigError) as info:
        build_providers(settings(), overrides={stage: choice})
    assert variable in str(info.value) and stage in str(info.value)
    assert info.value.exit_code == 2


@pytest.mark.parametrize(
    "overrides", [{"planner": "minimax"}, {"video": "openai"}, {"music": "offline"}, {"video": "x"}]
)
def test_impossible_choices_are_config_errors(overrides: dict[str, str]) -> None:
    with pytest.raises(ConfigError):
        resolve_choices(settings(openai=True, minimax=True), overrides)


def test_mock_mode_counts_as_minimax_ready() -> None:
    s = Settings(minimax=MiniMaxSettings(mock_mode=True))
    assert resolve_choices(s)["video"] == "minimax"


async def test_all_real_providers_share_clients_and_close_them_once() -> None:
    providers = build_providers(settings(openai=True, minimax=True, planner_model="gpt-4o-mini"))
    assert isinstance(providers.planner, OpenAIPlanner)
    assert isinstance(providers.images, OpenAIImageGen)
    assert isinstance(providers.video, MiniMaxVideoGen)
    assert isinstance(providers.speech, MiniMaxSpeechGen)
    assert providers.planner._client is providers.images._client
    assert providers.video._client is providers.speech._client is providers.minimax
    described = providers.describe()
    assert described["planner"] == "openai (gpt-4o-mini)"
    assert described["images"] == "openai (gpt-image-2.5-flare, medium)"
    assert described["video"] == "minimax (MiniMax-Hailuo-02)"
    assert described["speech"].startswith("minimax (speech-02-hd, voice ")
    assert "sk-test" not in repr(providers) and "mm-test" not in repr(providers)

    openai_client = providers.planner._client
    await providers.aclose()
    assert openai_client.is_closed()
    await providers.aclose()  # a second close is harmless


async def test_passed_in_minimax_client_is_used_and_left_open() -> None:
    client = AsyncMiniMax(MiniMaxSettings(api_key=SecretStr("mm-test-0000")))
    try:
        providers = build_providers(settings(), overrides={"video": "minimax"}, minimax=client)
        assert isinstance(providers.video, MiniMaxVideoGen)
        assert providers.video._client is client
        await providers.aclose()
        # Still usable: the caller owns it.
        assert providers.minimax is client
    finally:
        await client.aclose()


async def test_offline_everything_without_keys() -> None:
    offline = pytest.importorskip("storyreel.providers.offline")
    providers = build_providers(settings())
    assert isinstance(providers.planner, offline.OfflinePlanner)
    assert isinstance(providers.images, offline.OfflineImageGen)
    assert isinstance(providers.video, offline.OfflineVideoGen)
    assert isinstance(providers.speech, offline.OfflineSpeechGen)
    assert providers.describe() == dict.fromkeys(
        ("planner", "images", "video", "speech"), "offline"
    )
    assert providers.minimax is None
    await providers.aclose()


async def test_mixed_preview_real_planner_offline_video() -> None:
    pytest.importorskip("storyreel.providers.offline")
    providers = build_providers(
        settings(openai=True, minimax=True), overrides={"video": "offline", "speech": "offline"}
    )
    assert isinstance(providers.planner, OpenAIPlanner)
    assert providers.describe()["video"] == "offline"
    assert providers.minimax is None
    await providers.aclose()


async def test_describe_follows_a_voice_switch_and_mock_mode() -> None:
    providers = build_providers(
        Settings(minimax=MiniMaxSettings(mock_mode=True)),
        overrides={"planner": "offline", "images": "offline"},
    )
    try:
        assert isinstance(providers.speech, MiniMaxSpeechGen)
        providers.speech.voice_id = "ClonedVoice01"
        described = providers.describe()
        assert described["speech"] == "minimax (speech-02-hd, voice ClonedVoice01, mock)"
        assert described["video"] == "minimax (MiniMax-Hailuo-02, mock)"
    finally:
        await providers.aclose()
