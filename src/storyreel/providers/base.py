"""The four provider interfaces. Each stage has a real implementation (OpenAI, MiniMax) and an
offline one that ships in the product, so every stage can run with or without keys on its own."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

from storyreel.plan import Plan
from storyreel.providers.hooks import BeforeSend, BeforeWait

# (fraction done in [0, 1], short status such as "Queueing") -> None
ProgressFn = Callable[[float, str], None]


@dataclass(frozen=True)
class ClipRequest:
    """Everything a video provider needs to make one segment's clip."""

    segment: int
    prompt: str
    camera: str
    first_frame: Path
    last_frame: Path
    duration: int
    resolution: str
    aspect: str = "16:9"  # a key of assembly.spec.CANVASES


@dataclass(frozen=True)
class Reference:
    """A picture a keyframe is drawn to match: a cast member's reference (``name`` and
    ``description`` say who it shows), or the opening frame of a plan without a cast (no name).
    ``path`` is None when the image model takes no pictures: the character is described in words.
    """

    path: Path | None
    name: str = ""
    description: str = ""


class Provider(Protocol):
    """What the pipeline asks of every provider, whatever its stage."""

    # "openai", "minimax" or "offline": who makes the stage's output (recorded per step).
    name: str
    # Its calls cost money: their steps are written ahead in the job ledger and priced.
    paid: bool

    def describe(self) -> str:
        """What makes its output what it is, e.g. ``"openai (gpt-5.5, medium)"``: part of the
        content hashes, so changing the model re-makes what that model made."""
        ...

    async def aclose(self) -> None:
        """Close what it opened (clients passed in stay their owner's)."""
        ...


@runtime_checkable
class Planner(Provider, Protocol):
    async def plan(
        self,
        story: str,
        *,
        segments: int | None = None,
        aspect: str = "16:9",
        pace: float | None = None,
    ) -> Plan:
        """Split ``story`` into segments (exactly ``segments`` when given), its frames composed
        for ``aspect`` (a key of ``assembly.spec.COMPOSITIONS``). ``pace``: how fast the voice
        that will narrate speaks, measured (letters a second), so each narration fills its
        clip; None when it was not measured."""
        ...


@runtime_checkable
class ImageGen(Provider, Protocol):
    # Reference pictures one drawing takes (0: none; the cast is then described in words).
    max_references: int

    async def draw(
        self,
        prompt: str,
        *,
        out: Path,
        size: tuple[int, int],
        style: str = "",
        references: Sequence[Reference] = (),
        take: int = 1,
    ) -> Path:
        """Draw one keyframe into ``out`` (PNG), matching the ``references`` (in one request).
        ``take`` > 1 is a re-roll: the same prompt, a different picture."""
        ...

    async def portrait(
        self, character: Reference, *, out: Path, size: tuple[int, int], style: str = ""
    ) -> Path:
        """Draw a cast member's reference portrait (the character alone) into ``out`` (PNG)."""
        ...


# The status a clip's ``fetch`` reports (through ``progress``) as its download begins: the job
# timeline's "download" starts there.
DOWNLOADING = "Downloading"


@runtime_checkable
class VideoGen(Provider, Protocol):
    """Two steps so the job store can record the provider's job id before waiting on it."""

    def check(self, resolution: str) -> None:
        """Refuse (ConfigError), before anything is paid, a resolution no clip can be made at."""
        ...

    def native_clip(self, resolution: str, aspect: str = "16:9") -> tuple[int, int, int] | None:
        """(width, height, fps) of the clips it makes at ``resolution`` from ``aspect`` frames,
        when it knows: the output adopts it so clips are copied into their segments, not
        re-encoded."""
        ...

    async def submit(
        self,
        request: ClipRequest,
        *,
        before_send: BeforeSend | None = None,
        before_wait: BeforeWait | None = None,
    ) -> str:
        """Start making the clip; return the provider's job id. The paid step.

        A paid provider awaits ``before_send`` right before its request leaves (after any
        preparation and rate-limit wait); the job ledger records the paid intent there. It
        calls ``before_wait`` as the request starts waiting for its rate-limit slot (the job
        timeline shows that wait)."""
        ...

    async def fetch(
        self, job_id: str, request: ClipRequest, out: Path, progress: ProgressFn | None = None
    ) -> Path:
        """Wait for ``job_id`` and write the clip to ``out`` (MP4); safe to repeat after a crash."""
        ...


@runtime_checkable
class SpeechGen(Provider, Protocol):
    # The file type it writes (".wav", ".mp3"): the narration's name in the output folder.
    audio_suffix: str

    def voice_for(self, language: str | None) -> str | None:
        """The voice a narration in ``language`` is spoken in (for the manifest)."""
        ...

    async def speak(self, text: str, *, out: Path, language: str | None = None) -> Path:
        """Speak ``text`` into ``out``; the suffix (.wav, .mp3) names the format. ``language``
        (the plan's, e.g. "zh") picks the voice or the pronunciation."""
        ...
