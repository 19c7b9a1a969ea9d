"""What the MiniMax video and speech providers share: turning the client's errors, once, into
storyreel's tree (``ProviderError``s that name the stage, the segment, MiniMax's code and its
trace id, with the outcome the pipeline acts on)."""

from __future__ import annotations

from storyreel.errors import ProviderError, StoryreelError, UnknownOutcomeError, UsageError
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
from storyreel.minimax import UnknownOutcomeError as LostAnswer

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
    if isinstance(exc, LostAnswer):
        return UnknownOutcomeError(
            message
            or "MiniMax may have accepted the request but did not answer; it is not sent again "
            "on its own, to avoid paying twice",
            stage=stage,
            provider=PROVIDER,
            segment=segment,
            code=exc.code,
            trace_id=exc.trace_id,
        )
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


def vendor_error(exc: MiniMaxError) -> StoryreelError:
    """A client error met outside a provider (the CLI's and the service's direct calls): input
    refused before sending is a ``UsageError`` (exit 2, 422), the rest a ``ProviderError``."""
    if isinstance(exc, MiniMaxValidationError):
        return UsageError(exc.message, field=exc.field, fix=exc.fix)
    return provider_error(exc, stage=exc.endpoint or "minimax")
