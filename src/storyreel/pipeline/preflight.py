"""Nothing is paid for a job that cannot succeed: the checks that run before the first paid call.

Only free calls are made: OpenAI ``GET /v1/models/{id}`` for each configured OpenAI model, and
MiniMax ``POST /v1/get_voice``, which proves the key works on this host and that the chosen voice
exists. The rest is local: announced shutdowns (the catalogue), the image quality, and whether the
video model makes first-last-frame clips at this resolution.

A passing preflight is remembered for ``REMEMBER_SECONDS`` per key and model set, so a batch of
jobs does not repeat it. ``storyreel doctor`` and ``GET /info`` show the same checks as a table.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Literal

from cachetools import TTLCache

from storyreel.config import Settings
from storyreel.errors import ConfigError
from storyreel.providers import catalogue

if TYPE_CHECKING:
    from openai import AsyncOpenAI

    from storyreel.minimax import AsyncMiniMax

log = logging.getLogger(__name__)

REMEMBER_SECONDS = 600
Verdict = Literal["ok", "warn", "fail", "skip"]
_SETTING: Mapping[catalogue.Kind, str] = {
    "planner": "STORYREEL_PLANNER_MODEL",
    "images": "STORYREEL_IMAGE_MODEL",
    "video": "STORYREEL_VIDEO_MODEL",
    "speech": "STORYREEL_TTS_MODEL",
}
_passed: TTLCache[str, Report] = TTLCache(maxsize=256, ttl=REMEMBER_SECONDS)


@dataclass(frozen=True)
class Check:
    """One line of the report: what was checked, the verdict and what it found."""

    name: str
    verdict: Verdict
    detail: str

    def to_dict(self) -> dict[str, str]:
        return {"name": self.name, "verdict": self.verdict, "detail": self.detail}


@dataclass(frozen=True)
class Report:
    checks: tuple[Check, ...]
    remembered: bool = False

    @property
    def ok(self) -> bool:
        return all(check.verdict != "fail" for check in self.checks)

    @property
    def warnings(self) -> list[str]:
        return [f"{c.name}: {c.detail}" for c in self.checks if c.verdict == "warn"]

    def raise_for_failure(self) -> None:
        """The first failure as one line naming the stage, what failed and the fix (exit 2)."""
        for check in self.checks:
            if check.verdict == "fail":
                raise ConfigError(check.detail, field=f"preflight: {check.name}")


@dataclass(frozen=True)
class Calls:
    """What a job will call: the resolved provider of each stage and the models and voice."""

    stages: Mapping[str, str]  # stage -> "openai" / "minimax" / "offline"
    resolution: str = "768P"
    voice_id: str | None = None
    clones_voice: bool = False  # a sample is cloned first: the voice need not exist yet

    def real(self, stage: str) -> bool:
        return self.stages.get(stage, "offline") != "offline"


async def preflight(
    settings: Settings,
    calls: Calls,
    *,
    openai_client: AsyncOpenAI | None = None,
    minimax: AsyncMiniMax | None = None,
    today: date | None = None,
    remember: bool = True,
) -> Report:
    """Every check for ``plan``, failures included (the caller decides whether to raise)."""
    key = _cache_key(settings, calls)
    if remember and key in _passed:
        return Report(_passed[key].checks, remembered=True)
    today = today or datetime.now(UTC).date()
    checks = [*_model_checks(settings, calls, today)]
    if calls.real("video"):
        checks.append(_video_check(settings, calls))
    if calls.real("speech"):
        checks.append(_speech_check(settings))
    if openai_client is not None:
        checks += [await _openai_model(openai_client, settings, stage) for stage in _openai(calls)]
    if minimax is not None and (calls.real("video") or calls.real("speech")):
        checks += await _minimax_checks(minimax, settings, calls)
    report = Report(tuple(checks))
    for warning in report.warnings:
        log.warning("%s", warning)
    if report.ok and remember:
        _passed[key] = report
    return report


def forget() -> None:
    """Drop every remembered pass (tests; a changed key)."""
    _passed.clear()


def _openai(calls: Calls) -> list[catalogue.Kind]:
    return [stage for stage in ("planner", "images") if calls.real(stage)]


def _model_name(settings: Settings, kind: catalogue.Kind) -> str:
    return {
        "planner": settings.planner_model,
        "images": settings.image_model,
        "video": settings.video_model,
        "speech": settings.tts_model,
    }[kind]


def _model_checks(settings: Settings, calls: Calls, today: date) -> list[Check]:
    """Announced shutdowns, from the catalogue: past is a failure, within 60 days a warning."""
    checks = []
    kinds: tuple[catalogue.Kind, ...] = ("planner", "images", "video", "speech")
    for kind in kinds:
        if not calls.real(kind):
            continue
        name = _model_name(settings, kind)
        notice = catalogue.shutdown_notice(kind, name, _SETTING[kind], today)
        info = catalogue.lookup(kind, name)
        label = f"{kind} model"
        if notice is not None:
            checks.append(Check(label, "fail" if notice.past else "warn", notice.text()))
        elif not info.known:
            checks.append(Check(label, "ok", f"{name} (new to storyreel: its family's rules)"))
        else:
            checks.append(Check(label, "ok", name))
        if kind == "images":
            checks.append(_quality_check(settings))
    return checks


def _quality_check(settings: Settings) -> Check:
    from storyreel.providers.openai_images import image_quality

    try:
        quality = image_quality(settings.image_model, settings.image_quality)
    except ConfigError as exc:
        return Check("image quality", "fail", str(exc))
    return Check("image quality", "ok", quality)


def _video_check(settings: Settings, calls: Calls) -> Check:
    from storyreel.providers.minimax_video import check_video_settings

    try:
        check_video_settings(settings.video_model, calls.resolution)
    except ConfigError as exc:
        return Check("video clips", "fail", str(exc))
    return Check(
        "video clips", "ok", f"{settings.video_model} first-last-frame at {calls.resolution}"
    )


def _speech_check(settings: Settings) -> Check:
    """MiniMax has no free model lookup: the documented list (the client's) is the check, so a
    typo stops here and not at the first narration, after the plan and keyframes were paid."""
    from storyreel.minimax import MiniMaxValidationError, validate_tts_model

    try:
        model = validate_tts_model(settings.tts_model)
    except MiniMaxValidationError as exc:
        return Check(
            "MiniMax speech model", "fail", f"STORYREEL_TTS_MODEL: {exc.message} ({exc.fix})"
        )
    return Check("MiniMax speech model", "ok", f"{model} is one MiniMax documents")


async def _openai_model(client: AsyncOpenAI, settings: Settings, kind: catalogue.Kind) -> Check:
    """``GET /v1/models/{id}``: free, and proves the key, the host and the model at once."""
    import openai

    name = _model_name(settings, kind)
    label = f"OpenAI {kind} model"
    try:
        # One quick retry at most: a preflight that hangs on a dead host helps nobody.
        await client.with_options(max_retries=1, timeout=20.0).models.retrieve(name)
    except openai.NotFoundError:
        return Check(
            label,
            "fail",
            f"OpenAI has no model {name} for this key (model_not_found); set {_SETTING[kind]} "
            f"to a current model, e.g. {catalogue.DEFAULTS[kind]}",
        )
    except openai.AuthenticationError:
        return Check(
            label, "fail", "OpenAI rejected the API key; check OPENAI_API_KEY and OPENAI_BASE_URL"
        )
    except openai.PermissionDeniedError:
        return Check(label, "fail", f"this OpenAI key may not use {name}; check the project")
    except openai.APIConnectionError as exc:
        host = exc.request.url.host if exc.request is not None else "OpenAI"
        return Check(
            label, "fail", f"could not reach {host}; check the network and OPENAI_BASE_URL"
        )
    except openai.APIStatusError as exc:
        return Check(label, "fail", f"OpenAI answered HTTP {exc.status_code} for {name}")
    return Check(label, "ok", f"{name} is available")


async def _minimax_checks(client: AsyncMiniMax, settings: Settings, calls: Calls) -> list[Check]:
    """``get_voice``: the key works on this host, and the chosen voice is on the account."""
    from storyreel.minimax import APIConnectionError, AuthenticationError, MiniMaxError

    host = settings.minimax.base_url
    if client.mocked:
        return [Check("MiniMax key", "skip", "mock mode: no request leaves the process")]
    try:
        voices = await client.list_voices("all")
    except AuthenticationError:
        return [
            Check(
                "MiniMax key",
                "fail",
                f"MiniMax rejected MINIMAX_API_KEY on {host}; a key works only on its own "
                "region's host (MINIMAX_BASE_URL: api.minimax.io or api.minimaxi.com)",
            )
        ]
    except APIConnectionError:
        return [Check("MiniMax key", "fail", f"could not reach {host}; check MINIMAX_BASE_URL")]
    except MiniMaxError as exc:
        return [Check("MiniMax key", "fail", f"get_voice on {host} failed: {exc}")]
    checks = [Check("MiniMax key", "ok", f"accepted on {host}")]
    voice = calls.voice_id
    if calls.real("speech") and voice and not calls.clones_voice:
        if any(v.voice_id == voice for v in voices):
            checks.append(Check("voice", "ok", f"{voice} is on the account"))
        else:
            checks.append(
                Check(
                    "voice",
                    "fail",
                    f"voice {voice} is not on this MiniMax account; list them with "
                    "`storyreel voice list`, or clone one with --voice-sample",
                )
            )
    return checks


def _cache_key(settings: Settings, calls: Calls) -> str:
    """A digest of everything a pass depends on; the keys themselves are never kept."""
    parts = [
        settings.openai.api_key.get_secret_value() if settings.openai.api_key else "",
        settings.openai.base_url or "",
        settings.minimax.api_key.get_secret_value() if settings.minimax.api_key else "",
        settings.minimax.base_url,
        settings.planner_model,
        settings.image_model,
        settings.image_quality or "",
        settings.video_model,
        settings.tts_model,
        repr(sorted(calls.stages.items())),
        calls.resolution,
        calls.voice_id or "",
        str(calls.clones_voice),
    ]
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def require(report: Report) -> Report:
    """``report`` when it passed; else its first failure as a ConfigError."""
    report.raise_for_failure()
    return report


__all__ = ["Calls", "Check", "Report", "forget", "preflight", "require"]
