"""What the OpenAI planner and image generator share: building the SDK client from our settings,
and turning the SDK's errors into one-line ``ProviderError``s that never carry the key."""

from __future__ import annotations

import re

import httpx2
import openai
from openai import AsyncOpenAI

from storyreel.config import OpenAISettings
from storyreel.errors import ConfigError, ProviderError

PROVIDER = "openai"
# The SDK retries 408/409/429/5xx, timeouts and dropped connections itself, with backoff. Planning
# and keyframes answer at once and cost cents, so one flaky call must not fail a job: 4 attempts.
MAX_RETRIES = 3
# A prompt a GPT image model refuses: ``content_policy_violation`` (the older name) or
# ``moderation_blocked`` (type ``image_generation_user_error``).
CONTENT_POLICY_CODES = frozenset({"content_policy_violation", "moderation_blocked"})
# Image generation with GPT image models can take over a minute; planning is faster but long stories
# produce long plans.
REQUEST_TIMEOUT = httpx2.Timeout(180.0, connect=15.0)

# OpenAI echoes part of a rejected key ("Incorrect API key provided: sk-...abcd"): never repeat it.
_KEY_LIKE = re.compile(r"\b(?:sk|sess|org)-[A-Za-z0-9_\-*]{4,}")


def build_openai_client(
    settings: OpenAISettings, *, http_client: httpx2.AsyncClient | None = None
) -> AsyncOpenAI:
    """An ``AsyncOpenAI`` for our settings; honours ``OPENAI_BASE_URL`` through them."""
    if settings.api_key is None or not settings.api_key.get_secret_value().strip():
        raise ConfigError(
            "OPENAI_API_KEY is not set", field="openai", fix="set OPENAI_API_KEY or choose offline"
        )
    return AsyncOpenAI(
        api_key=settings.api_key.get_secret_value().strip(),
        base_url=settings.base_url or None,
        max_retries=MAX_RETRIES,
        timeout=REQUEST_TIMEOUT,
        http_client=http_client,
    )


def scrub(text: str) -> str:
    """Remove anything that looks like a key from a message we did not write."""
    return _KEY_LIKE.sub("[redacted]", text)


def _short(text: str, limit: int = 300) -> str:
    text = " ".join(scrub(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def provider_error(
    exc: openai.OpenAIError, *, stage: str, segment: int | None = None
) -> ProviderError:
    """Translate an SDK error, once, at the boundary. The caller raises it ``from exc``."""
    if isinstance(exc, openai.APIStatusError):
        # The request id comes from the network: scrubbed and bounded like any text not ours.
        trace_id = _short(exc.request_id, 128) if exc.request_id else None
        code: int | str = exc.code or exc.status_code
        retryable, content_policy = False, False
        if isinstance(exc, openai.AuthenticationError):
            # The body may quote part of the key: say what to do instead of repeating it.
            message = "OpenAI rejected the API key; check OPENAI_API_KEY (and OPENAI_BASE_URL)"
        elif isinstance(exc, openai.PermissionDeniedError):
            message = f"this key may not use the model or endpoint: {_short(exc.message)}"
        elif isinstance(exc, openai.RateLimitError):
            if exc.code == "insufficient_quota":
                message = "the OpenAI account is out of quota or credit"
            else:
                message = "rate limited by OpenAI even after retries; try again later"
                retryable = True
        elif isinstance(exc, openai.BadRequestError) and exc.code in CONTENT_POLICY_CODES:
            message = (
                f"content policy rejected the prompt ({exc.code}); reword it in plan.json: "
                f"{_short(exc.message)}"
            )
            content_policy = True
        elif isinstance(exc, openai.BadRequestError):
            message = f"OpenAI rejected the request: {_short(exc.message)}"
        else:
            message = f"OpenAI answered HTTP {exc.status_code}: {_short(exc.message)}"
            retryable = exc.status_code >= 500
        return ProviderError(
            message,
            stage=stage,
            provider=PROVIDER,
            segment=segment,
            code=code,
            trace_id=trace_id,
            retryable=retryable,
            content_policy=content_policy,
        )
    if isinstance(exc, openai.APITimeoutError):
        return ProviderError(
            "OpenAI did not answer in time, even after retries",
            stage=stage,
            provider=PROVIDER,
            segment=segment,
            code="timeout",
            retryable=True,
        )
    if isinstance(exc, openai.APIConnectionError):
        host = exc.request.url.host if exc.request is not None else "OpenAI"
        return ProviderError(
            f"could not reach {host} (check the network and OPENAI_BASE_URL)",
            stage=stage,
            provider=PROVIDER,
            segment=segment,
            code="connection",
            retryable=True,
        )
    return ProviderError(
        _short(str(exc)), stage=stage, provider=PROVIDER, segment=segment, code=type(exc).__name__
    )
