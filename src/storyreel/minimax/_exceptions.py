"""The MiniMax client's error tree.

::

    MiniMaxError                      .code .message .endpoint .trace_id .retryable .exit_code
    ├── MiniMaxValidationError        rejected before any request; .field .fix; exit code 2
    ├── AuthenticationError           1004, 2049, HTTP 401: bad key or key/host region mismatch
    ├── PermissionDeniedError         2038 (verification needed), 2042, HTTP 403
    ├── RateLimitError                1002, 1039, 1041, 2045, HTTP 429            (retryable)
    ├── InsufficientBalanceError      1008 (seed: 1005)
    ├── QuotaExceededError            2056, 1028, 1030, 2061: plan quota, not transient
    ├── ContentPolicyError            1026 input, 1027 output (seed: 2001)
    ├── InvalidRequestError           2013, 1042-1044, 20132, 2037, 2048, HTTP 4xx (seed: 3001)
    │   └── DuplicateVoiceError       2039 (seed: 1001 on voice_clone); .already_exists
    ├── ServerError                   1000, 1013, 1024, 1033, HTTP 5xx, non-JSON bodies (seed: 5001)
    ├── APIConnectionError            network failure; .request_sent                (retryable)
    │   └── APITimeoutError           timed out (also code 1001 "request timeout")  (retryable)
    ├── UnknownOutcomeError           a paid create may have been accepted; never repeated blindly
    ├── TaskFailedError               a video task ended in Fail; .task_id, .code (e.g. 1027)
    └── TaskTimeoutError              a video task did not finish within the wait; .task_id

:func:`error_class` is the one place that turns (endpoint, HTTP status, code, message) into a
class; :func:`make_error` builds the instance with the region hint for authentication errors.
"""

from __future__ import annotations

import re

from ._constants import (
    AUTH_CODES,
    BALANCE_CODES,
    CONTENT_POLICY_CODES,
    DUPLICATE_VOICE_CODES,
    INVALID_REQUEST_CODES,
    PERMISSION_CODES,
    QUOTA_CODES,
    RATE_LIMIT_CODES,
    SERVER_CODES,
    TIMEOUT_CODES,
    VOICE_CLONE,
)

REGION_HINT = (
    "a key only works on its own region's host: global https://api.minimax.io, mainland "
    "https://api.minimaxi.com; check MINIMAX_API_KEY and MINIMAX_BASE_URL"
)


class MiniMaxError(Exception):
    """Root of everything the MiniMax client raises."""

    exit_code = 1
    retryable = False
    # Seconds the service asked us to wait (Retry-After), when it said.
    retry_after: float | None = None

    def __init__(
        self,
        message: str,
        *,
        code: int | None = None,
        endpoint: str | None = None,
        trace_id: str | None = None,
        http_status: int | None = None,
        retryable: bool | None = None,
    ) -> None:
        self.message = message
        self.code = code
        self.endpoint = endpoint
        self.trace_id = trace_id
        self.http_status = http_status
        # None keeps the class default.
        if retryable is not None:
            self.retryable = retryable
        super().__init__(message)

    def __str__(self) -> str:
        head = f"MiniMax {self.endpoint}: " if self.endpoint else "MiniMax: "
        extra = []
        if self.code is not None:
            extra.append(f"code {self.code}")
        if self.http_status is not None and self.http_status != 200:
            extra.append(f"HTTP {self.http_status}")
        if self.trace_id:
            extra.append(f"trace id {self.trace_id}")
        tail = f" [{', '.join(extra)}]" if extra else ""
        return " ".join(f"{head}{self.message}{tail}".split())


class MiniMaxValidationError(MiniMaxError):
    """Rejected before sending: names the field and how to fix it."""

    exit_code = 2

    def __init__(self, message: str, *, field: str, fix: str, endpoint: str | None = None) -> None:
        self.field = field
        self.fix = fix
        super().__init__(f"{field}: {message} ({fix})", endpoint=endpoint)


class AuthenticationError(MiniMaxError):
    """The key was refused (wrong key, or a key used on the other region's host)."""


class PermissionDeniedError(MiniMaxError):
    """The account may not do this (e.g. cloning without real-name verification)."""


class RateLimitError(MiniMaxError):
    """Too many requests; retried with backoff."""

    retryable = True


class InsufficientBalanceError(MiniMaxError):
    """The account is out of credit."""


class QuotaExceededError(MiniMaxError):
    """A plan quota is used up; waiting seconds will not help."""


class ContentPolicyError(MiniMaxError):
    """The input (1026) or the generated output (1027) failed moderation."""


class InvalidRequestError(MiniMaxError):
    """The service rejected the parameters."""


class DuplicateVoiceError(InvalidRequestError):
    """This account already has a voice with this voice_id."""

    already_exists = True


class ServerError(MiniMaxError):
    """The service failed internally or a gateway answered instead of it."""

    retryable = True


class APIConnectionError(MiniMaxError):
    """The request did not get an answer. ``request_sent`` says whether it may have arrived."""

    retryable = True
    # False only when the request surely never reached the service (connect failed).
    request_sent: bool = True


class APITimeoutError(APIConnectionError):
    """The request timed out (client side, or the service's own 1001 timeout)."""


class UnknownOutcomeError(MiniMaxError):
    """A paid create was sent but no answer came back: it may have been accepted (and billed).

    It is never repeated automatically; check (list voices, keep the task id) before retrying.
    """


class _TaskError(MiniMaxError):
    """A video task went wrong after it was created: the error carries its ``task_id``."""

    def __init__(
        self,
        message: str,
        *,
        task_id: str,
        code: int | None = None,
        endpoint: str | None = None,
        trace_id: str | None = None,
    ) -> None:
        self.task_id = task_id
        super().__init__(message, code=code, endpoint=endpoint, trace_id=trace_id)


class TaskFailedError(_TaskError):
    """A video task ended in ``Fail``."""


class TaskTimeoutError(_TaskError):
    """A video task did not finish in time. It keeps running (and billing) on the service."""


def _is_duplicate_message(message: str) -> bool:
    text = message.lower()
    return "duplic" in text or "already exist" in text


def error_class(
    endpoint: str, http_status: int | None, code: int | None, message: str
) -> type[MiniMaxError]:
    """The error class for one failed response. Business codes win over HTTP statuses."""
    if code is not None and code != 0:
        if code in DUPLICATE_VOICE_CODES:
            return DuplicateVoiceError
        # 1001 is "duplicate voice_id" in the seed but "request timeout" on the real service.
        if code in TIMEOUT_CODES:
            if endpoint == VOICE_CLONE and _is_duplicate_message(message):
                return DuplicateVoiceError
            return APITimeoutError
        for codes, cls in (
            (AUTH_CODES, AuthenticationError),
            (PERMISSION_CODES, PermissionDeniedError),
            (RATE_LIMIT_CODES, RateLimitError),
            (BALANCE_CODES, InsufficientBalanceError),
            (QUOTA_CODES, QuotaExceededError),
            (CONTENT_POLICY_CODES, ContentPolicyError),
            (INVALID_REQUEST_CODES, InvalidRequestError),
            (SERVER_CODES, ServerError),
        ):
            if code in codes:
                return cls
    if http_status is not None and http_status >= 400:
        if http_status == 401:
            return AuthenticationError
        if http_status == 402:
            return InsufficientBalanceError
        if http_status == 403:
            return PermissionDeniedError
        if http_status in (408, 504):
            return APITimeoutError
        if http_status == 429:
            return RateLimitError
        if http_status >= 500:
            return ServerError
        return InvalidRequestError
    if code is not None and code != 0:
        # An unknown business code: keep it, do not guess it is transient.
        return MiniMaxError
    return ServerError


def make_error(
    endpoint: str,
    *,
    http_status: int | None,
    code: int | None,
    message: str,
    trace_id: str | None,
    retry_after: float | None = None,
) -> MiniMaxError:
    """Build the named error for one failed response."""
    cls = error_class(endpoint, http_status, code, message)
    if cls is AuthenticationError:
        message = f"{message} ({REGION_HINT})"
    if cls is DuplicateVoiceError:
        message = f"{message} (this account already has this voice_id)"
    error = cls(message, code=code, endpoint=endpoint, trace_id=trace_id, http_status=http_status)
    error.retry_after = retry_after
    return error


# MiniMax trace ids are short hex tokens; allow a little more, never a paragraph.
_TRACE_ID = re.compile(r"[A-Za-z0-9._:\-]{1,128}")


def safe_trace_id(value: str | None) -> str | None:
    """A trace id from the network, kept only if it looks like one (a short token).

    It is shown, logged and stored; a server that echoes a header or a key into it must not get
    that text into any of those places. The caller redacts its own key first.
    """
    if not value:
        return None
    value = value.strip()
    return value if _TRACE_ID.fullmatch(value) else "[not shown: not a trace id]"
