"""Progress events. The orchestrator emits them; the CLI draws bars from them, the service streams
them as server-sent events, the job store keeps them. Plain dataclasses so each sink decides how to
render or serialise them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Stage = Literal["plan", "speech", "cast", "frame", "video", "mux", "music", "assemble"]
STAGES: tuple[Stage, ...] = ("plan", "speech", "cast", "frame", "video", "mux", "music", "assemble")
# The parts of a remote clip's step, in their usual order: waiting for a create slot (the
# concurrency), for the rate limit (RPM), the create request (with the frames' preparation),
# the provider rendering it, the download.
Phase = Literal["queued", "rpm", "create", "wait", "download"]
PHASES: tuple[Phase, ...] = ("queued", "rpm", "create", "wait", "download")


@dataclass(frozen=True)
class Event:
    @property
    def type(self) -> str:
        return type(self).__name__

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.type, **asdict(self)}


@dataclass(frozen=True)
class JobStarted(Event):
    job_id: str
    providers: dict[str, str]
    out_dir: str


@dataclass(frozen=True)
class PlanReady(Event):
    title: str
    segments: int
    frames: int
    cast: int = 0  # reference portraits to draw (characters without an uploaded picture)


@dataclass(frozen=True)
class StepStarted(Event):
    stage: Stage
    segment: int | None = None


@dataclass(frozen=True)
class StepProgress(Event):
    stage: Stage
    segment: int | None
    fraction: float
    status: str = ""


@dataclass(frozen=True)
class StepPhase(Event):
    """A running step entered one of its parts; it lasts until the next part or the step's
    end. Kept in the store (unthinned) for the job's timeline picture."""

    stage: Stage
    segment: int | None
    phase: Phase


@dataclass(frozen=True)
class StepFinished(Event):
    stage: Stage
    segment: int | None = None
    reused: bool = False  # True when a finished artefact was found and not made again


@dataclass(frozen=True)
class StepFailed(Event):
    stage: Stage
    segment: int | None
    error: str


@dataclass(frozen=True)
class JobFinished(Event):
    video: str
    duration: float
    segments: int
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class JobSucceeded(Event):
    video: str
    # Money is never a float: the total as a decimal string ("1.97551").
    spent_usd: str


@dataclass(frozen=True)
class JobInReview(Event):
    """The cheap stages are done; the job waits for the user's approval before paying for video."""

    storyboard: str
    pending_usd: str  # what approving will still pay, a decimal string


@dataclass(frozen=True)
class JobFailed(Event):
    error: str


EventSink = Callable[[Event], None]


def ignore(_: Event) -> None:
    """The sink for callers that do not watch progress."""
