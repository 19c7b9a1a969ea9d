"""What the MiniMax video and speech providers share: turning the client's errors into
``ProviderError``s that name the stage, the segment, MiniMax's code and its trace id."""

from __future__ import annotations

from storyreel.errors import ProviderError
from storyreel.minimax import (
    AuthenticationError,
    ContentPolicyError,
    InsufficientBalanceError,
    MiniMaxError,
    MiniMaxValidationError,
    PermissionDeniedError,
    QuotaExceededError,
    RateLimitError,
)

PROVIDER = "minimax"


def describe(exc: MiniMaxError) -> str:
    """A plain sentence for the common failures; the client's own message otherwise."""
    if isinstance(exc, AuthenticationError):
        return f"MiniMax refused the key: {exc.message}"
    if isinstance(exc, InsufficientBalanceError):
        return "the MiniMax account is out of credit; top it up and resume"
    if isinstance(exc, QuotaExceededError):
        return f"a MiniMax plan quota is used up ({exc.message}); resume when it resets"
    if isinstance(exc, PermissionDeniedError):
        return f"the MiniMax account may not do this: {exc.message}"
    if isinstance(exc, RateLimitError):
        return "rate limited by MiniMax even after retries; resume later"
    if isinstance(exc, MiniMaxValidationError):
        return f"not sent, the request is invalid: {exc.message}"
    if isinstance(exc, ContentPolicyError):
        return f"content policy rejected the request: {exc.message}"
    return exc.message


def provider_error(
    exc: MiniMaxError, *, stage: str, segment: int | None = None, message: str | None = None
) -> ProviderError:
    """Translate a client error, once, at the boundary. The caller raises it ``from exc``."""
    code: int | str | None = exc.code
    if code is None and isinstance(exc, MiniMaxValidationError):
        code = "validation"
    return ProviderError(
        message or describe(exc),
        stage=stage,
        provider=PROVIDER,
        segment=segment,
        code=code,
        trace_id=exc.trace_id,
        retryable=exc.retryable,
    )
