"""What the HTTP API takes and returns. These models are the OpenAPI schema too."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from storyreel.limits import MAX_STORY_CHARS, strip_controls
from storyreel.pipeline.jobs import JobOptions
from storyreel.pipeline.store import JobStatus
from storyreel.plan import Plan

# ``music`` in POST /jobs for a track uploaded with POST /music: its id is the content's sha256
# (32 hex digits of it), so the same file uploaded twice is the same id.
MUSIC_ID_PATTERN = r"[0-9a-f]{32}"
MUSIC_UPLOAD = re.compile(rf"^upload:{MUSIC_ID_PATTERN}$")

# A step that has no record yet is "pending", like one recorded but not started.
StepStateOut = Literal["pending", "running", "submitted", "done", "failed"]


class JobRequest(JobOptions):
    """``POST /jobs``: the story and the options of ``storyreel make``."""

    story: str = Field(
        min_length=1,
        max_length=MAX_STORY_CHARS,
        description="The story to turn into a video: a few sentences to a few pages.",
    )

    @field_validator("story")
    @classmethod
    def _no_controls(cls, value: str) -> str:
        story = strip_controls(value)
        if not story.strip():
            raise ValueError("the story is empty once control characters are removed")
        return story

    @field_validator("music")
    @classmethod
    def _no_server_paths(cls, value: str) -> str:
        # A path would make the service read (and mix in) any file on its own disk: an upload
        # is named by its id, and the service finds its own copy (``routes_music``).
        if value not in ("none", "auto") and not MUSIC_UPLOAD.match(value):
            raise ValueError(
                'the API takes "none", "auto" or "upload:<music_id>" (from POST /music)'
            )
        return value

    def options(self) -> JobOptions:
        return JobOptions.model_validate(self.model_dump(exclude={"story"}))


class JobCreated(BaseModel):
    id: str = Field(description="The job's id: 16 characters of a-z and 2-7.")
    status: JobStatus
    url: str = Field(description="Where to follow the job.")


class SpendOut(BaseModel):
    total_usd: float
    by_stage: dict[str, float] = Field(default_factory=dict)


class EstimateOut(BaseModel):
    """What is still to pay for, from the price table (0 for offline and mock providers)."""

    total_usd: float
    by_stage: dict[str, float] = Field(default_factory=dict)


class SegmentProgress(BaseModel):
    index: int = Field(description="0-based segment index.")
    speech: StepStateOut = "pending"
    video: StepStateOut = "pending"
    mux: StepStateOut = "pending"


class Progress(BaseModel):
    """State of every step from the job store, per stage and per segment."""

    plan: StepStateOut = "pending"
    voice: StepStateOut | None = Field(None, description="Only when a voice was cloned.")
    assemble: StepStateOut = "pending"
    frames: list[StepStateOut] = Field(
        default_factory=list, description="Keyframe k ends segment k and starts segment k+1."
    )
    segments: list[SegmentProgress] = Field(default_factory=list)
    done: int = Field(0, description="Steps finished.")
    total: int = Field(0, description="Steps known so far (grows once the plan exists).")


class JobSummary(BaseModel):
    id: str
    status: JobStatus
    title: str | None = Field(None, description="The plan's title, once planned.")
    story_preview: str
    options: JobOptions
    created_at: float
    updated_at: float
    error: str | None = None
    spend: SpendOut
    video_url: str | None = None
    storyboard_url: str | None = None
    subtitles_url: str | None = Field(None, description="The .srt download, once made.")
    manifest_url: str | None = Field(None, description="manifest.json, once the job has ended.")
    events_url: str


class JobDetail(JobSummary):
    story: str
    plan: Plan | None = None
    progress: Progress
    estimate: EstimateOut | None = Field(
        None, description="Left to pay; null when the providers cannot be built."
    )


class JobList(BaseModel):
    jobs: list[JobSummary]


class VoiceOut(BaseModel):
    voice_id: str
    kind: str = Field(description="system, voice_cloning or voice_generation")
    name: str | None = None
    description: list[str] = Field(default_factory=list)
    created_time: str | None = None


class VoiceList(BaseModel):
    voices: list[VoiceOut]
    mock: bool = Field(description="True when MiniMax runs in mock mode (no key): nothing real.")


class VoiceCloned(BaseModel):
    voice_id: str
    created: bool = Field(description="False when the account already had this voice id.")
    note: str
    mock: bool


class MusicUploaded(BaseModel):
    music_id: str = Field(description='Send ``"music": "upload:<music_id>"`` in POST /jobs.')
    seconds: float = Field(description="The track's length; it is looped or trimmed to the video.")


class Info(BaseModel):
    """What the web page needs to draw itself."""

    version: str
    auth_required: bool
    offline_default: bool = Field(description="True when neither OpenAI nor MiniMax has a key.")
    mock: bool = Field(description="True when MiniMax runs in mock mode.")
    video_paid: bool = Field(
        description="True when the default video provider bills per clip (MiniMax with a key): "
        "the page then asks to review the storyboard before paying."
    )
    webhooks: bool
    max_jobs: int
    studio: bool = Field(
        description="True when the service shows a job's storyboard for editing "
        "(GET /jobs/{id}/board): the page then draws its studio."
    )


class WorkUnitOut(BaseModel):
    job: str = Field(description="The job's id.")
    work: str = Field(description="The unit of work: planning, segment N or assembly.")
    since: float = Field(description="When it started (Unix time).")


class WorkerOut(BaseModel):
    id: str
    host: str
    pid: int
    threads: int = Field(description="Units of work it takes at once.")
    started_at: float
    beat_at: float = Field(description="Its last heartbeat (Unix time).")
    done: int = Field(description="Units of work it has finished.")
    doing: list[WorkUnitOut] = Field(description="What it is doing now; empty when idle.")


class QueueDepthOut(BaseModel):
    waiting: int = Field(description="Units of work enqueued, not yet taken by a worker.")
    in_flight: int = Field(description="Taken by a worker, not yet finished.")
    delayed: int = Field(description="Waiting for a retry's backoff.")
    dead: int = Field(description="Failed for good (the dead-letter queue).")


class JobInFlightOut(BaseModel):
    id: str
    status: JobStatus
    url: str
    steps_done: int | None = Field(None, description="Null while queued.")
    steps_total: int | None = Field(None, description="Steps known so far; null while queued.")


class WorkersOut(BaseModel):
    """``GET /workers``. In-process (no broker): no workers, no queue, the service's own jobs."""

    mode: Literal["remote", "in-process"]
    workers: list[WorkerOut] = Field(description="Alive now (their heartbeat has not expired).")
    queue: QueueDepthOut | None = Field(None, description="Null in-process.")
    jobs: list[JobInFlightOut] = Field(description="Queued and running jobs, running first.")


class Problem(BaseModel):
    """An error: what went wrong, in one line."""

    model_config = ConfigDict(extra="allow")

    detail: str


class ValidationProblem(BaseModel):
    """422: ``detail`` as FastAPI gives it (with ``loc`` naming the field), ``message`` in one
    line."""

    detail: list[dict[str, Any]]
    message: str


class WebhookAck(BaseModel):
    challenge: str | None = None
    status: str | None = None
