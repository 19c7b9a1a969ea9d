"""The plan: what the planner (GPT-4o or offline) produces and every later stage consumes.

It is saved as ``plan.json`` in the output folder; a user may edit it and render it again.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from storyreel.files import write_bytes_atomic_sync
from storyreel.language import normalize_language
from storyreel.minimax._camera import CAMERA_COMMANDS, canonical_camera

Duration = Literal[6, 10]
MAX_VIDEO_PROMPT = 2000


class Segment(BaseModel):
    """One shot of the video: a clip from ``first_frame`` to ``last_frame`` under one narration."""

    model_config = ConfigDict(extra="forbid")

    narration: str = Field(min_length=1, description="What the narrator says over this clip.")
    video_prompt: str = Field(
        min_length=1,
        max_length=MAX_VIDEO_PROMPT,
        description="Motion prompt for the video model, starting with its [camera command].",
    )
    first_frame_prompt: str = Field(min_length=1, description="Image prompt for the first frame.")
    last_frame_prompt: str = Field(min_length=1, description="Image prompt for the last frame.")
    camera: str = Field(description="One camera command, e.g. 'Zoom in'.")
    duration: Duration = Field(6, description="Clip length in seconds: 6 or 10.")

    @field_validator("camera")
    @classmethod
    def _known_camera(cls, value: str) -> str:
        canonical = canonical_camera(value.strip("[] "))
        if canonical is None:
            raise ValueError(
                f"unknown camera command {value!r}; use one of {', '.join(CAMERA_COMMANDS)}"
            )
        return canonical

    @model_validator(mode="after")
    def _prompt_carries_camera(self) -> Segment:
        # The video model acts on bracketed commands; make sure the prompt carries this one.
        if f"[{self.camera}]".lower() not in self.video_prompt.lower():
            self.video_prompt = f"[{self.camera}] {self.video_prompt}"[:MAX_VIDEO_PROMPT]
        return self


class Plan(BaseModel):
    """A whole video: a title, shared style notes, and the segments in order."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1)
    style: str = Field("", description="Visual style shared by every frame prompt.")
    language: str | None = Field(
        None,
        description="The story's language (ISO 639 code such as en, zh, ar): the narration's "
        "language, its voice and its pronunciation. None in plans from before it existed.",
    )
    segments: list[Segment] = Field(min_length=1)

    @field_validator("language")
    @classmethod
    def _language_tag(cls, value: str | None) -> str | None:
        return None if value is None else normalize_language(value)

    def save(self, path: Path) -> None:
        """Write ``path`` atomically, and only when it changes: workers on other machines read
        the same ``plan.json`` while one of them saves it."""
        data = (self.model_dump_json(indent=2) + "\n").encode()
        with contextlib.suppress(OSError):
            if path.read_bytes() == data:
                return
        write_bytes_atomic_sync(path, data)

    @classmethod
    def load(cls, path: Path) -> Plan:
        return cls.model_validate_json(path.read_text(encoding="utf-8"))
