"""The plan: what the planner (GPT-4o or offline) produces and every later stage consumes.

It is saved as ``plan.json`` in the output folder; a user may edit it and render it again.
Loading checks the whole file and reports every problem on a line of its own
(``segments[2].duration: 7 is not 6 or 10``), as one :class:`PlanError` (exit 2, nothing paid);
what loading tidied (a camera's spelling, the command added to a prompt) is kept in
:attr:`Plan.changes` so ``render`` can say what it changed and why.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from storyreel.assembly.timing import Duration
from storyreel.errors import UsageError
from storyreel.files import write_bytes_atomic_sync
from storyreel.language import normalize_language
from storyreel.limits import MAX_SEGMENTS, strip_controls
from storyreel.minimax import (
    CAMERA_COMMANDS,
    PROMPT_MAX_CHARS,
    canonical_camera,
    unknown_camera_commands,
)

# MiniMax's own limit on a video prompt (one home: the client's constants).
MAX_VIDEO_PROMPT = PROMPT_MAX_CHARS
# The cast: each character is one reference image in every frame showing it, and an edit takes
# up to 16 images (openai/types/image_edit_params.py); 8 leaves room and keeps prompts short.
MAX_CAST = 8
MAX_CHARACTER_NAME = 40
MAX_CHARACTER_DESCRIPTION = 400
# A reference picture lives inside the job folder, under this folder.
CAST_DIR = "cast"
_PICTURE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp")


class Character(BaseModel):
    """One recurring character: described once, drawn from one reference picture everywhere.

    A frame *shows* the character when its prompt names it (see :mod:`storyreel.cast`), so
    editing a prompt is all it takes to put a character in or out of a frame.
    """

    model_config = ConfigDict(extra="forbid")

    name: str = Field(
        min_length=1,
        max_length=MAX_CHARACTER_NAME,
        description="How the story and the frame prompts name the character.",
    )
    description: str = Field(
        min_length=1,
        max_length=MAX_CHARACTER_DESCRIPTION,
        description="Fixed look (age, build, hair, clothes, colours), the same in every frame.",
    )
    picture: str | None = Field(
        None,
        description="The reference picture, relative to the job folder (cast/NAME.png); "
        "None: a portrait is drawn from the description.",
    )
    take: int = Field(
        0, ge=0, le=10_000, description="Bumped to draw the portrait again (a re-roll)."
    )

    @field_validator("name", "description", mode="before")
    @classmethod
    def _no_controls(cls, value: Any) -> Any:
        return strip_controls(value).strip() if isinstance(value, str) else value

    @field_validator("name")
    @classmethod
    def _one_line(cls, value: str) -> str:
        if any(mark in value for mark in "\n\r\t[]"):
            raise ValueError("a name is one line without [ or ]")
        return value

    @field_validator("picture")
    @classmethod
    def _inside_job(cls, value: str | None) -> str | None:
        # Read and sent to the image model: never a path outside the job folder.
        if value is None:
            return None
        parts = Path(value).parts
        if (
            len(parts) != 2
            or parts[0] != CAST_DIR
            or not value.lower().endswith(_PICTURE_SUFFIXES)
            or "\\" in value
        ):
            raise ValueError(f"must be {CAST_DIR}/FILE.png|jpg|webp inside the job folder")
        return value


# Re-rolls of one keyframe or clip: bounded like every input.
MAX_TAKE = 1000


def known_bracketed_commands(value: str) -> str:
    """``value`` if every [command] in it is one MiniMax knows. MiniMax refuses a prompt with an
    unknown one: say so where the prompt is written (plan.json, the studio), not at the paid
    create, and offline, where nothing else would notice."""
    unknown = list(dict.fromkeys(unknown_camera_commands(value)))
    if unknown:
        raise ValueError(
            f"unknown camera command(s) {', '.join(f'[{c}]' for c in unknown)}; "
            f"use one of {', '.join(CAMERA_COMMANDS)} in brackets"
        )
    return value


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

    @field_validator(
        "narration", "video_prompt", "first_frame_prompt", "last_frame_prompt", mode="before"
    )
    @classmethod
    def _no_controls(cls, value: Any) -> Any:
        # Stripped like the story's: a NUL reached espeak as the end of the text and landed in
        # the subtitles. Surrounding space is dropped too, so "   " is found empty.
        return strip_controls(value).strip() if isinstance(value, str) else value

    @field_validator("camera")
    @classmethod
    def _known_camera(cls, value: str) -> str:
        canonical = canonical_camera(value.strip("[] "))
        if canonical is None:
            raise ValueError(
                f"unknown camera command {value!r}; use one of {', '.join(CAMERA_COMMANDS)}"
            )
        return canonical

    _known_commands = field_validator("video_prompt")(known_bracketed_commands)

    @model_validator(mode="after")
    def _prompt_carries_camera(self) -> Segment:
        # The video model acts on bracketed commands; make sure the prompt carries this one.
        if f"[{self.camera}]".lower() not in self.video_prompt.lower():
            self.video_prompt = f"[{self.camera}] {self.video_prompt}"[:MAX_VIDEO_PROMPT]
        return self


# Plan fields left out of plan.json while empty (see Plan.save).
_OPTIONAL_ADDITIONS = ("cast", "takes", "frame_files")


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
    segments: list[Segment] = Field(min_length=1, max_length=MAX_SEGMENTS)
    cast: list[Character] = Field(
        default_factory=list,
        max_length=MAX_CAST,
        description="The recurring characters; empty in plans from before it existed.",
    )
    # Re-rolls and uploaded keyframes (the studio, or by hand): optional, so older plans load.
    takes: dict[str, int] = Field(
        default_factory=dict,
        description='Takes after the first: "frame:K" -> N draws keyframe K again (take N), '
        '"video:I" -> N makes segment I+1\'s clip again. Raise N by one to re-roll.',
    )
    frame_files: dict[int, str] = Field(
        default_factory=dict,
        description="Keyframe K -> a picture (path inside the output folder) used instead of "
        "drawing it.",
    )
    # What loading tidied in the file, one line each; not saved.
    _changes: list[str] = PrivateAttr(default_factory=list)

    @property
    def changes(self) -> list[str]:
        return self._changes

    @field_validator("title", "style", mode="before")
    @classmethod
    def _no_controls(cls, value: Any) -> Any:
        return strip_controls(value).strip() if isinstance(value, str) else value

    @field_validator("language")
    @classmethod
    def _language_tag(cls, value: str | None) -> str | None:
        return None if value is None else normalize_language(value)

    @field_validator("cast")
    @classmethod
    def _distinct_names(cls, value: list[Character]) -> list[Character]:
        seen: set[str] = set()
        for character in value:
            key = character.name.casefold()
            if key in seen:
                raise ValueError(f"two characters are named {character.name!r}; rename one")
            seen.add(key)
        return value

    def character(self, name: str) -> Character | None:
        """The cast member called ``name`` (case does not matter), if any."""
        key = name.strip().casefold()
        return next((c for c in self.cast if c.name.casefold() == key), None)

    @model_validator(mode="after")
    def _edits_in_range(self) -> Plan:
        frames = len(self.segments) + 1
        for key, take in self.takes.items():
            kind, _, index = key.partition(":")
            bound = frames if kind == "frame" else len(self.segments)
            if kind not in ("frame", "video") or not index.isdigit() or int(index) >= bound:
                raise ValueError(
                    f"takes: {key!r} is not frame:K (K < {frames}) or video:I "
                    f"(I < {len(self.segments)})"
                )
            if not 1 <= take <= MAX_TAKE:
                raise ValueError(f"takes[{key!r}]: {take} is not between 1 and {MAX_TAKE}")
        for k, name in self.frame_files.items():
            if not 0 <= k < frames:
                raise ValueError(f"frame_files: frame {k} does not exist (0..{frames - 1})")
            where = Path(name)
            if len(name) > 512 or where.is_absolute() or ".." in where.parts or not name.strip():
                raise ValueError(
                    f"frame_files[{k}]: {name!r} must be a path inside the output folder"
                )
        return self

    def take(self, key: str) -> int:
        """The take of step ``key`` ("frame:3", "video:1"): 1 unless re-rolled."""
        return self.takes.get(key, 1)

    def save(self, path: Path) -> None:
        """Write ``path`` atomically, and only when it changes: workers on other machines read
        the same ``plan.json`` while one of them saves it."""
        # Fields added since (the cast, takes, uploaded frames) are written only when used, so a
        # plan that needs none of them reads as before and older workers still load it.
        exclude = {name for name in _OPTIONAL_ADDITIONS if not getattr(self, name)} or None
        data = (self.model_dump_json(indent=2, exclude=exclude) + "\n").encode()
        with contextlib.suppress(OSError):
            if path.read_bytes() == data:
                return
        write_bytes_atomic_sync(path, data)

    @classmethod
    def load(cls, path: Path) -> Plan:
        """Read and check ``path``; a :class:`PlanError` lists every problem in it."""
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise PlanError(path, ["the file is not UTF-8 text"]) from None
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise PlanError(
                path, [f"line {error.lineno}, column {error.colno}: {error.msg}"]
            ) from None
        try:
            plan = cls.model_validate(data)
        except ValidationError as error:
            raise PlanError(path, [problem_line(e) for e in error.errors()]) from None
        plan._changes = _tidied(data, plan)
        return plan


def frame_prompts(plan: Plan) -> list[str]:
    """The N+1 keyframe prompts: frame k ends segment k-1 and starts segment k.

    Frame 0 is segment 0's first frame; frame k >= 1 is segment k-1's last frame, so a segment's
    own ``first_frame_prompt`` counts only for segment 0 (the same layout as the orchestrator).
    """
    return [plan.segments[0].first_frame_prompt] + [s.last_frame_prompt for s in plan.segments]


class PlanError(UsageError):
    """``plan.json`` cannot be used as it is: every problem, one line each."""

    def __init__(self, path: Path, problems: list[str]) -> None:
        self.problems = problems
        lines = "\n".join(f"  {line}" for line in problems)
        count = "a problem" if len(problems) == 1 else f"{len(problems)} problems"
        super().__init__(f"{path} has {count} (fix the file, or delete it to plan again):\n{lines}")


def json_path(loc: tuple[int | str, ...]) -> str:
    """``("segments", 2, "duration")`` -> ``segments[2].duration``, as the file spells it."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "plan"


def _shown(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def problem_line(error: Any) -> str:
    """One pydantic error as ``where: what is wrong (how to fix)``, for a person editing JSON."""
    where, kind, value = json_path(tuple(error["loc"])), error["type"], error.get("input")
    if kind == "literal_error" and where.endswith(".duration"):
        return f"{where}: {_shown(value)} is not 6 or 10"
    if kind == "missing":
        return f"{where}: missing (add it)"
    if kind == "extra_forbidden":
        return f"{where}: unknown field (remove it)"
    if kind == "string_too_short":
        return f"{where}: is empty (write it)"
    if kind == "too_short" and where == "segments":
        return "segments: the plan has no segments (give it at least one)"
    if kind == "too_long" and where == "segments":
        return f"segments: more than {MAX_SEGMENTS} segments (split the story)"
    if kind == "too_long" and where == "cast":
        return f"cast: more than {MAX_CAST} characters (keep the recurring ones)"
    message = str(error["msg"]).removeprefix("Value error, ")
    if kind == "value_error":
        return f"{where}: {message}"
    return f"{where}: {message} (got {_shown(value)})"


def _tidied(data: Any, plan: Plan) -> list[str]:
    """What validation changed between the file and the plan: each change, and why."""
    changes: list[str] = []
    raw_segments = data.get("segments", []) if isinstance(data, dict) else []
    for i, (raw, segment) in enumerate(zip(raw_segments, plan.segments, strict=False)):
        if not isinstance(raw, dict):
            continue
        if raw.get("camera") != segment.camera:
            changes.append(
                f"plan.json segments[{i}].camera: {_shown(raw.get('camera'))} -> "
                f"{segment.camera!r} (the command as the video model spells it)"
            )
        prompt = raw.get("video_prompt")
        if isinstance(prompt, str) and f"[{segment.camera}]".lower() not in prompt.lower():
            changes.append(
                f"plan.json segments[{i}].video_prompt: now starts with [{segment.camera}] "
                "(the video model acts on bracketed commands)"
            )
        narration = raw.get("narration")
        if isinstance(narration, str) and strip_controls(narration) != narration:
            changes.append(
                f"plan.json segments[{i}].narration: control characters removed "
                "(they cut speech short)"
            )
    return changes
