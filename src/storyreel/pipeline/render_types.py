"""What a render takes (its options and providers) and what it gives (per segment, and in the end).

Here, below the pipeline's parts, so each of them can name these without importing the others.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol

from storyreel.assembly.mix_commands import Music
from storyreel.assembly.pacing import Silence
from storyreel.assembly.probe import MediaInfo
from storyreel.assembly.spec import DEFAULT_ASPECT
from storyreel.assembly.subtitles import DEFAULT_CAPTION_STYLE
from storyreel.providers.base import ImageGen, Planner, SpeechGen, VideoGen

if TYPE_CHECKING:
    from storyreel.minimax import AsyncMiniMax

SubtitleMode = Literal["burn", "srt", "none"]


@dataclass(frozen=True)
class RenderOptions:
    resolution: str = "768P"
    aspect: str = DEFAULT_ASPECT  # a key of spec.CANVASES
    subtitles: SubtitleMode = "srt"
    subtitle_style: str = DEFAULT_CAPTION_STYLE  # a name in subtitles.CAPTION_STYLES
    concurrency: int = 4
    # Part of the narration's identity (its content hash): a new voice or speed re-speaks it.
    voice_id: str | None = None
    speech_speed: float = 1.0
    # A bed under the narration (None: none), ducked while someone speaks.
    music: Music | None = None


class ProviderSet(Protocol):
    """The four providers of a run (``storyreel.providers.factory.Providers`` is one)."""

    planner: Planner
    images: ImageGen
    video: VideoGen
    speech: SpeechGen
    # The shared MiniMax client when a MiniMax stage is real: ``--music auto`` makes the bed
    # with it (None: the bed is synthesised locally).
    minimax: AsyncMiniMax | None


@dataclass
class SegmentOutcome:
    narration: Path
    speech_seconds: float  # the narration as used: paced to its clip
    clip: Path | None = None
    segment: Path | None = None
    info: MediaInfo | None = None
    # "copied" (the clip's video stream as it is) or "re-encoded" to the output spec.
    video_mux: str | None = None
    # The narration as spoken, its own silence at the ends cut (None: read back from disk).
    spoken_seconds: float | None = None


@dataclass
class RenderResult:
    video: Path
    subtitles: Path | None
    storyboard: Path
    manifest: Path
    duration: float
    segments: int
    reused: int = 0
    warnings: list[str] = field(default_factory=list)
    silence: Silence | None = None  # FFmpeg silencedetect over the final video
