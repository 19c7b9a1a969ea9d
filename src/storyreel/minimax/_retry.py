"""When and how long to retry: a tenacity policy split into small named functions.

Free and cheap calls (query, retrieve, get_voice, upload, downloads, and t2a_v2 speech, which
costs cents) retry on every transient error. Creates that are costly to repeat (video_generation,
voice_clone) retry only when the first attempt clearly was not accepted: the connection never
opened, HTTP 429/503, or codes 1002/1039/2045 (see ``_constants.NOT_REPEATED_BLINDLY``).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from tenacity import (
    AsyncRetrying,
    RetryCallState,
    stop_after_attempt,
    wait_exponential,
    wait_random,
)

from ._constants import (
    INITIAL_RETRY_DELAY,
    MAX_RETRY_AFTER,
    MAX_RETRY_DELAY,
    PAID_RETRY_CODES,
    PAID_RETRY_HTTP_STATUSES,
    RETRY_JITTER,
)
from ._exceptions import APIConnectionError, MiniMaxError

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]

# wait_exponential + wait_random works on every tenacity >= 8 (the jitter helper's
# signature changed in 9.x).
_backoff = wait_exponential(
    multiplier=INITIAL_RETRY_DELAY, min=INITIAL_RETRY_DELAY, max=MAX_RETRY_DELAY
) + wait_random(0, RETRY_JITTER)


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def clearly_not_accepted(error: MiniMaxError) -> bool:
    """True when a paid create surely did not start (so repeating it cannot bill twice)."""
    if isinstance(error, APIConnectionError) and not error.request_sent:
        return True
    if error.http_status in PAID_RETRY_HTTP_STATUSES:
        return True
    return error.code in PAID_RETRY_CODES


def should_retry(error: BaseException, *, paid: bool) -> bool:
    if not isinstance(error, MiniMaxError) or not error.retryable:
        return False
    if error.retry_after is not None and error.retry_after > MAX_RETRY_AFTER:
        return False
    return clearly_not_accepted(error) if paid else True


def retry_wait(state: RetryCallState) -> float:
    """Retry-After when the service gave one, else exponential backoff with jitter."""
    error = state.outcome.exception() if state.outcome else None
    if isinstance(error, MiniMaxError) and error.retry_after is not None:
        return min(error.retry_after, MAX_RETRY_AFTER)
    return min(float(_backoff(state)), MAX_RETRY_DELAY)


def _log_retry(state: RetryCallState) -> None:
    error = state.outcome.exception() if state.outcome else None
    delay = state.next_action.sleep if state.next_action else 0.0
    log.debug("retry %d after %.2f s: %s", state.attempt_number, delay, error)


def build_retrying(*, max_retries: int, paid: bool, sleep: Sleep) -> AsyncRetrying:
    """A fresh policy for one call (tenacity keeps per-call state)."""

    def _retry(state: RetryCallState) -> bool:
        if state.outcome is None or not state.outcome.failed:
            return False
        error = state.outcome.exception()
        decision = should_retry(error, paid=paid) if error else False
        if not decision:
            log.debug("no retry (paid=%s): %s", paid, error)
        return decision

    return AsyncRetrying(
        sleep=sleep,
        stop=stop_after_attempt(max_retries + 1),
        wait=retry_wait,
        retry=_retry,
        before_sleep=_log_retry,
        reraise=True,
    )
