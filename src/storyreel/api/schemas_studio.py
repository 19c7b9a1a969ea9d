"""What the studio routes take and return (the storyboard, edits and their previews). These
models are the OpenAPI schema too; the shapes are fixed by the studio contract (issue 13)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from storyreel.limits import MAX_SEGMENTS, strip_controls
from storyreel.minimax import CAMERA_COMMANDS, canonical_camera
from storyreel.pipeline.store import JobStatus
from storyreel.plan import MAX_VIDEO_PROMPT, known_bracketed_commands

# Bounds of what a person types into the page (every input is bounded).
MAX_TITLE = 200
MAX_STYLE = 2000
MAX_NARRATION = 2000  # one segment's narration; MiniMax speaks up to 10 000 characters
MAX_FRAME_PROMPT = 4000


def _text(value: object) -> object:
    # Stripped as the plan strips its text, so "   " is found empty here, not later.
    return strip_controls(value).strip() if isinstance(value, str) else value


class SegmentEdit(BaseModel):
    model_config = ConfigDict(extra="forbid")

    index: int = Field(ge=0, lt=MAX_SEGMENTS, description="0-based segment index.")
    narration: str | None = Field(None, min_length=1, max_length=MAX_NARRATION)
    video_prompt: str | None = Field(None, min_length=1, max_length=MAX_VIDEO_PROMPT)
    camera: str | None = Field(
        None, max_length=40, description="One documented camera command (see Board.cameras)."
    )
    duration: Literal[6, 10] | None = Field(
        None, description="6 or 10; the narration decides (a length it cannot fill is refused)."
    )

    _strip = field_validator("narration", "video_prompt", mode="before")(_text)

    @field_validator("video_prompt")
    @classmethod
    def _known_commands(cls, value: str | None) -> str | None:
        return None if value is None else known_bracketed_commands(value)

    @field_validator("camera")
    @classmethod
    def _documented(cls, value: str | None) -> str | None:
        if value is None:
            return None
        canonical = canonical_camera(value.strip("[] "))
        if canonical is None:
            raise ValueError(
                f"not a documented camera command; use one of {', '.join(CAMERA_COMMANDS)}"
            )
        return canonical


class FrameEdit(BaseModel):
    model_config = ConfigDict(extra="forbid")

    index: int = Field(ge=0, le=MAX_SEGMENTS, description="Keyframe k (0..N).")
    prompt: str = Field(min_length=1, max_length=MAX_FRAME_PROMPT)

    _strip = field_validator("prompt", mode="before")(_text)


class PlanEdit(BaseModel):
    """``PATCH /jobs/{id}/plan``: only the fields given change."""

    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(None, min_length=1, max_length=MAX_TITLE)
    style: str | None = Field(None, max_length=MAX_STYLE)
    segments: list[SegmentEdit] = Field(default_factory=list, max_length=MAX_SEGMENTS)
    frames: list[FrameEdit] = Field(default_factory=list, max_length=MAX_SEGMENTS + 1)

    _strip = field_validator("title", "style", mode="before")(_text)


class EditPreviewOut(BaseModel):
    """What an action re-makes and costs. With ``?dry_run=true`` nothing changed."""

    remakes: list[str] = Field(
        description='Step keys made again: "speech:2", "frame:3", "video:2", "mux:2", "assemble".'
    )
    cost_usd: float = Field(description="What those re-makes cost (the estimate of them only).")
    pending_usd: float = Field(description="What the job will still pay in all after this.")
    applied: bool = Field(description="False for a dry run.")
    summary: str = Field(description="One line for people.")


class CastMemberOut(BaseModel):
    name: str
    description: str
    reference_url: str | None = None


class FrameOut(BaseModel):
    index: int
    prompt: str
    place: str = Field(description="Which segments it ends and opens.")
    url: str | None = Field(None, description="The picture, with ?v= its sha prefix.")
    characters: list[str] = Field(default_factory=list)


class VersionOut(BaseModel):
    version: int
    url: str
    current: bool


class SegmentOut(BaseModel):
    index: int
    narration: str
    video_prompt: str
    camera: str
    duration: int
    first_frame: int
    last_frame: int
    narration_url: str | None = None
    clip_url: str | None = None
    versions: list[VersionOut] = Field(default_factory=list)


class Board(BaseModel):
    """``GET /jobs/{id}/board``: everything the storyboard shows."""

    id: str
    status: JobStatus
    title: str
    style: str
    language: str | None = None
    cameras: list[str] = Field(description="The documented camera commands.")
    cast: list[CastMemberOut] = Field(default_factory=list)
    frames: list[FrameOut]
    segments: list[SegmentOut]
    pending_usd: float = Field(description="What approving (or rendering on) will still pay.")
    video_url: str | None = None
    subtitles_url: str | None = None
    manifest_url: str | None = None
