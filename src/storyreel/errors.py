"""The whole error tree of storyreel.

::

    Exception
    ├── StoryreelError                      root of everything storyreel raises itself; each
    │   │                                   carries an .outcome the pipeline acts on (below)
    │   ├── UsageError                      bad input or configuration; CLI exit 2, nothing paid
    │   │   └── ConfigError                 settings/keys missing or malformed
    │   ├── ProviderError                   a provider (planner, images, video, speech) failed;
    │   │   │                               carries stage, segment, provider, code, trace_id
    │   │   └── UnknownOutcomeError         a paid request may have been accepted (and billed)
    │   │                                   but its answer was lost; never repeated on its own
    │   ├── MediaError                      a produced file is not what it must be (probe failed)
    │   │   └── FFmpegError                 ffmpeg exited non-zero; carries argv and stderr tail
    │   ├── BudgetExceededError             the estimate or the spend would pass --budget
    │   ├── JobError                        the job store refuses (unknown job, bad state)
    │   └── ServiceUnavailableError         the job store or the broker cannot be reached now
    └── storyreel.minimax.MiniMaxError      what the MiniMax client raises on its own (see
                                            ``minimax/_exceptions.py``); the client
                                            imports nothing from the rest of storyreel, so its
                                            errors are translated once, at the provider
                                            boundary (``providers/_minimax_common.py``)

The outcome (``StoryreelError.outcome``) is the one thing the ledger, the runner and the workers
look at to decide what to do:

- ``failed``: definitely failed; nothing was accepted, so making it again later is safe;
- ``unknown``: a paid request may have been accepted; stop, keep the record, ask the user;
- ``transient``: nothing is wrong with the request; the same call may well succeed later.

Every error has a one-line ``str()`` fit for a terminal; the CLI prints exactly that.
API keys never appear in any message.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

Outcome = Literal["failed", "unknown", "transient"]


class StoryreelError(Exception):
    """Root of every error storyreel raises itself."""

    exit_code = 1
    outcome: Outcome = "failed"


class UsageError(StoryreelError):
    """Bad input: names the field and how to fix it."""

    exit_code = 2

    def __init__(self, message: str, *, field: str | None = None, fix: str | None = None) -> None:
        self.field = field
        self.fix = fix
        text = f"{field}: {message}" if field else message
        if fix:
            text = f"{text} ({fix})"
        super().__init__(text)


class ConfigError(UsageError):
    """Settings or keys are missing or malformed."""


class ProviderError(StoryreelError):
    """A provider failed. Says which stage, segment and provider, and the provider's code."""

    def __init__(
        self,
        message: str,
        *,
        stage: str,
        provider: str,
        segment: int | None = None,
        code: int | str | None = None,
        trace_id: str | None = None,
        retryable: bool = False,
        content_policy: bool = False,
        outcome: Outcome | None = None,
    ) -> None:
        self.message = message
        self.outcome = outcome or ("transient" if retryable else "failed")
        # A content filter refused the prompt: the user's fix is to edit it in plan.json.
        self.content_policy = content_policy
        self.stage = stage
        self.provider = provider
        self.segment = segment
        self.code = code
        self.trace_id = trace_id
        self.retryable = self.outcome == "transient"
        where = f"segment {segment} " if segment is not None else ""
        extra = []
        if code is not None:
            extra.append(f"code {code}")
        if trace_id:
            extra.append(f"trace id {trace_id}")
        suffix = f" [{', '.join(extra)}]" if extra else ""
        super().__init__(f"{where}{stage} ({provider}): {message}{suffix}")


class UnknownOutcomeError(ProviderError):
    """A paid request was sent and its answer lost: it may have been accepted and billed.

    Never repeated automatically: the job stops and names the resume command
    (``--repeat-unknown`` sends it again)."""

    def __init__(self, message: str, **where: Any) -> None:
        super().__init__(message, **where, outcome="unknown")


class MediaError(StoryreelError):
    """A produced media file is missing, empty or malformed."""


class FFmpegError(MediaError):
    """FFmpeg exited non-zero. Keeps the argv and the tail of stderr for the report."""

    def __init__(self, argv: Sequence[str], returncode: int, stderr_tail: str) -> None:
        self.argv = list(argv)
        self.returncode = returncode
        self.stderr_tail = stderr_tail
        last = stderr_tail.strip().splitlines()[-1] if stderr_tail.strip() else "no output"
        super().__init__(f"ffmpeg failed (exit {returncode}): {last}")


class BudgetExceededError(StoryreelError):
    """The estimated or actual spend would pass the user's budget."""

    exit_code = 2


class JobError(StoryreelError):
    """The job store refuses: unknown job, or a state that does not allow the action."""

    exit_code = 2


class ServiceUnavailableError(StoryreelError):
    """The job store or the broker cannot be reached just now (a restart, a network blip)."""

    outcome: Outcome = "transient"
