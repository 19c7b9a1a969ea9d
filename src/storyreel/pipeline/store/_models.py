"""What the job store holds: jobs, their steps, paid-call intents, spend and events."""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal, get_args

from storyreel.errors import JobError
from storyreel.plan import Plan

# ``review``: the cheap stages are done (plan, keyframes, narration, storyboard) and nothing is
# asked for video until the user approves (jobs made with ``review``); not finished, not running.
JobStatus = Literal["queued", "running", "review", "succeeded", "failed", "cancelled"]
JOB_STATUSES: tuple[JobStatus, ...] = get_args(JobStatus)
# A job in one of these is over: nothing works on it until the user resumes it.
FINISHED_STATUSES: frozenset[JobStatus] = frozenset({"succeeded", "failed", "cancelled"})

StepState = Literal["pending", "running", "submitted", "done", "failed"]
STEP_STATES: tuple[StepState, ...] = get_args(StepState)

StepKind = Literal["plan", "voice", "frame", "speech", "video", "music", "mux", "assemble"]
STEP_KINDS: tuple[StepKind, ...] = get_args(StepKind)
# Steps whose call costs money: each goes through begin_paid / record_submitted / complete.
PAID_KINDS: frozenset[StepKind] = frozenset({"plan", "voice", "frame", "speech", "video", "music"})


def new_job_id() -> str:
    """16 characters of [a-z2-7]: 80 random bits, unguessable, safe in paths and URLs."""
    return base64.b32encode(secrets.token_bytes(10)).decode("ascii").lower()


def step_key(kind: StepKind, index: int | None = None) -> str:
    """``"video:2"`` for a segment's step, ``"plan"`` for a job-wide one."""
    return kind if index is None else f"{kind}:{index}"


def parse_step_key(key: str) -> tuple[StepKind, int | None]:
    """``"video:2"`` -> ``("video", 2)``; ``"plan"`` -> ``("plan", None)``."""
    kind, sep, index = key.partition(":")
    if kind not in STEP_KINDS:
        raise JobError(f"unknown step kind in {key!r}; use one of {', '.join(STEP_KINDS)}")
    if not sep:
        return kind, None
    if not index.isdigit():
        raise JobError(f"bad step key {key!r}: the part after ':' must be a non-negative integer")
    return kind, int(index)


@dataclass(frozen=True)
class Job:
    id: str
    status: JobStatus
    story: str
    options: dict[str, Any]
    output_dir: Path
    created_at: float
    updated_at: float
    plan: Plan | None = None
    error: str | None = None
    video_path: Path | None = None
    spent_usd: Decimal = Decimal(0)


@dataclass(frozen=True)
class Step:
    job_id: str
    key: str
    kind: StepKind
    segment: int | None  # the number in the key: segment index, or frame index for frames
    state: StepState
    inputs_hash: str | None
    provider: str | None
    provider_ref: str | None  # voice_id, task_id or file_id: what lets a paid call be resumed
    artefact_path: Path | None
    artefact_sha256: str | None
    attempts: int
    error: str | None
    cost_estimate_usd: Decimal | None
    cost_actual_usd: Decimal | None  # sum of every attempt's recorded spend
    intent_at: float | None  # when the current paid attempt was recorded, before its request
    submitted_at: float | None
    finished_at: float | None
    created_at: float
    updated_at: float
    lease_owner: str | None = None
    lease_until: float | None = None

    @property
    def unknown_outcome(self) -> bool:
        """A paid request was (maybe) sent but neither its id nor its result came back: the
        process died in between. Paying again may pay twice."""
        return self.state == "running" and self.intent_at is not None and self.provider_ref is None


@dataclass(frozen=True)
class Intent:
    """The write-ahead record of one paid call, returned by ``begin_paid``."""

    job_id: str
    step_key: str
    inputs_hash: str
    provider: str
    attempt: int
    at: float


@dataclass(frozen=True)
class Event:
    job_id: str
    seq: int  # 1, 2, 3... per job; stream with ``events(job, after=last_seen)``
    type: str
    payload: dict[str, Any]
    at: float


@dataclass(frozen=True)
class Spend:
    """Actual spend of one job, from the per-attempt ledger."""

    total: Decimal
    by_stage: dict[str, Decimal] = field(default_factory=dict)
    by_segment: dict[int | None, Decimal] = field(default_factory=dict)
    by_step: dict[str, Decimal] = field(default_factory=dict)
