"""Which provider does each stage: real (OpenAI, MiniMax) or offline, chosen per stage.

``auto`` picks the real provider when its key is set and the offline one otherwise, so with
both keys the whole pipeline is real, and with none it runs free. Asking for a real provider
without its key is a ``ConfigError`` naming the variable, raised before any paid call.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, get_args

from storyreel.config import ProviderChoice, Settings
from storyreel.errors import ConfigError
from storyreel.providers.base import ImageGen, Planner, SpeechGen, VideoGen

if TYPE_CHECKING:
    from openai import AsyncOpenAI

    from storyreel.minimax import AsyncMiniMax
    from storyreel.providers.hooks import WakeRegistry

log = logging.getLogger(__name__)

Stage = Literal["planner", "images", "video", "speech"]
Resolved = Literal["openai", "minimax", "offline"]
STAGES: tuple[Stage, ...] = ("planner", "images", "video", "speech")
# The one real provider of each stage, and the variable that unlocks it.
REAL: dict[Stage, Resolved] = {
    "planner": "openai",
    "images": "openai",
    "video": "minimax",
    "speech": "minimax",
}
KEY_VARIABLE: dict[Resolved, str] = {"openai": "OPENAI_API_KEY", "minimax": "MINIMAX_API_KEY"}
_CHOICES = get_args(ProviderChoice)


@dataclass
class Providers:
    """The four providers of one run, and how to close the clients they share."""

    planner: Planner
    images: ImageGen
    video: VideoGen
    speech: SpeechGen
    choices: dict[str, str] = field(default_factory=dict)
    # The shared MiniMax client when a MiniMax stage is real (voice cloning uses it too).
    minimax: AsyncMiniMax | None = None
    # The shared OpenAI client when an OpenAI stage is real (the preflight's free calls).
    openai: AsyncOpenAI | None = None
    # Stage -> "openai" / "minimax" / "offline", as resolved (choices says more, for people).
    resolved: dict[str, str] = field(default_factory=dict)
    _closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list, repr=False)

    def describe(self) -> dict[str, str]:
        """Stage -> e.g. ``"openai (gpt-4o)"`` or ``"offline"``, for the CLI and the estimate."""
        described = dict(self.choices)
        for stage, provider in zip(
            STAGES, (self.planner, self.images, self.video, self.speech), strict=True
        ):
            # Providers describe themselves at call time (a voice may change after build).
            described[stage] = provider.describe()
        return described

    def uses(self, provider: Resolved) -> bool:
        return any(text.split(" ", 1)[0] == provider for text in self.choices.values())

    async def aclose(self) -> None:
        """Close each client this factory opened, once."""
        closers, self._closers = self._closers, []
        for close in closers:
            try:
                await close()
            except Exception:  # closing must not hide the run's own outcome
                log.debug("closing a provider client failed", exc_info=True)

    async def __aenter__(self) -> Providers:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()


def _openai_ready(settings: Settings) -> bool:
    return settings.openai.configured


def _minimax_ready(settings: Settings) -> bool:
    # Mock mode is the client's own keyless stand-in: no request leaves the process.
    key = settings.minimax.api_key
    return bool(key and key.get_secret_value().strip()) or settings.minimax.mock_mode


def resolve_choice(stage: Stage, choice: str, *, key_ready: bool) -> Resolved:
    """One stage's provider: ``auto`` -> real if its key is set, else offline."""
    if choice not in _CHOICES:
        raise ConfigError(
            f"unknown provider {choice!r}",
            field=stage,
            fix=f"use one of {', '.join(_CHOICES)}",
        )
    real = REAL[stage]
    if choice == "auto":
        return real if key_ready else "offline"
    if choice == "offline":
        return "offline"
    if choice != real:
        raise ConfigError(
            f"{choice} has no {stage} provider",
            field=stage,
            fix=f"use {real}, offline or auto",
        )
    if not key_ready:
        raise ConfigError(
            f"{KEY_VARIABLE[real]} is not set",
            field=stage,
            fix=f"set {KEY_VARIABLE[real]}, or choose offline for the {stage}",
        )
    return real


def resolve_choices(
    settings: Settings,
    overrides: Mapping[str, str] | None = None,
    *,
    minimax_client: bool = False,
    openai_client: bool = False,
) -> dict[Stage, Resolved]:
    """Every stage's provider from settings and overrides (e.g. ``{"video": "offline"}``)."""
    overrides = dict(overrides or {})
    unknown = sorted(set(overrides) - set(STAGES))
    if unknown:
        raise ConfigError(
            f"unknown stage(s) {', '.join(unknown)}", fix=f"stages are {', '.join(STAGES)}"
        )
    ready = {
        "openai": openai_client or _openai_ready(settings),
        "minimax": minimax_client or _minimax_ready(settings),
    }
    resolved: dict[Stage, Resolved] = {}
    for stage in STAGES:
        choice = overrides.get(stage) or _setting(settings, stage)
        resolved[stage] = resolve_choice(stage, choice, key_ready=ready[REAL[stage]])
    return resolved


def _setting(settings: Settings, stage: Stage) -> str:
    """``STORYREEL_PLANNER`` and friends: the provider each stage is set to."""
    return {
        "planner": settings.planner,
        "images": settings.images,
        "video": settings.video,
        "speech": settings.speech,
    }[stage]


def build_providers(
    settings: Settings,
    *,
    overrides: Mapping[str, str] | None = None,
    minimax: AsyncMiniMax | None = None,
    openai_client: AsyncOpenAI | None = None,
    callback_url: str | None = None,
    wakes: WakeRegistry | None = None,
) -> Providers:
    """Build the four providers. Clients passed in stay the caller's to close.

    ``callback_url`` (with ``wakes``) is for the HTTP service: MiniMax notifies it when a
    clip is done, and the waiting fetch polls at once.
    """
    resolved = resolve_choices(
        settings,
        overrides,
        minimax_client=minimax is not None,
        openai_client=openai_client is not None,
    )
    closers: list[Callable[[], Awaitable[None]]] = []

    if "openai" in resolved.values() and openai_client is None:
        from storyreel.providers._openai_common import build_openai_client

        openai_client = build_openai_client(settings.openai)
        closers.append(openai_client.close)
    if "minimax" in resolved.values() and minimax is None:
        from storyreel.minimax import AsyncMiniMax

        minimax = AsyncMiniMax(settings.minimax)
        closers.append(minimax.aclose)

    real = _Real(settings, openai_client, minimax, callback_url=callback_url, wakes=wakes)
    offline = _Offline(settings)
    providers = Providers(
        planner=offline.planner() if resolved["planner"] == "offline" else real.planner(),
        images=offline.images() if resolved["images"] == "offline" else real.images(),
        video=offline.video() if resolved["video"] == "offline" else real.video(),
        speech=offline.speech() if resolved["speech"] == "offline" else real.speech(),
        choices={stage: name for stage, name in resolved.items()},
        minimax=minimax if "minimax" in resolved.values() else None,
        openai=openai_client if "openai" in resolved.values() else None,
        resolved={stage: name for stage, name in resolved.items()},
        _closers=closers,
    )
    # What each stage is at build time: "offline", or what a real provider calls itself.
    providers.choices = providers.describe()
    log.debug("providers: %s", providers.choices)
    return providers


@dataclass
class _Real:
    """The real providers, imported only when a stage needs one. A stage resolved to a real
    provider always has its client: passed in, or opened by ``build_providers``."""

    settings: Settings
    openai: AsyncOpenAI | None
    minimax: AsyncMiniMax | None
    callback_url: str | None = None
    wakes: WakeRegistry | None = None

    def planner(self) -> Planner:
        from storyreel.providers.openai_planner import OpenAIPlanner

        assert self.openai is not None
        return OpenAIPlanner(self.settings, client=self.openai)

    def images(self) -> ImageGen:
        from storyreel.providers.openai_images import OpenAIImageGen

        assert self.openai is not None
        return OpenAIImageGen(self.settings, client=self.openai)

    def video(self) -> VideoGen:
        from storyreel.providers.minimax_video import MiniMaxVideoGen

        assert self.minimax is not None
        return MiniMaxVideoGen(
            self.settings, client=self.minimax, callback_url=self.callback_url, wakes=self.wakes
        )

    def speech(self) -> SpeechGen:
        from storyreel.providers.minimax_speech import MiniMaxSpeechGen

        assert self.minimax is not None
        return MiniMaxSpeechGen(self.settings, client=self.minimax)


class _Offline:
    """The offline providers, imported only when a stage needs one."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    def planner(self) -> Planner:
        from storyreel.providers.offline import OfflinePlanner

        return OfflinePlanner()

    def images(self) -> ImageGen:
        from storyreel.providers.offline import OfflineImageGen

        return OfflineImageGen()

    def video(self) -> VideoGen:
        from storyreel.providers.offline import OfflineVideoGen

        return OfflineVideoGen()

    def speech(self) -> SpeechGen:
        from storyreel.language import is_espeak_voice_name
        from storyreel.providers.offline import OfflineSpeechGen
        from storyreel.providers.offline._espeak import has_voice

        # --voice offline names an espeak-ng voice ("es"); a MiniMax voice id means nothing to
        # espeak-ng, so the plan's language picks the voice then.
        voice = self._settings.voice_id
        if voice and is_espeak_voice_name(voice):
            if not has_voice(voice):
                raise ConfigError(
                    f"espeak-ng has no voice {voice!r}",
                    field="voice",
                    fix="use an espeak-ng voice such as en-us, es, ru, ar or cmn",
                )
            return OfflineSpeechGen(voice=voice)
        return OfflineSpeechGen()
