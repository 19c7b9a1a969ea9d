"""Where each artefact of a job lives inside its output folder. One place, so the CLI, the service
and the store agree::

    OUT/
      plan.json                  the plan (edit it, then `storyreel render OUT`)
      frames/frame_00.png ...    N+1 keyframes: frame k ends segment k and starts segment k+1
      cast/portrait_00.png ...   a drawn reference portrait per character (uploads: cast/upload_*)
      segments/01/narration.*    spoken narration of segment 1 (wav offline, mp3 from MiniMax)
      segments/01/clip.mp4       the generated clip (first frame -> last frame)
      segments/01/segment.mp4    clip + narration, normalised; what the final concat joins
      storyboard.png             the keyframes in order with their narration
      final_video.mp4            the video
      final_video.srt            subtitles timed from the narration
      music.mp3                  the generated music bed (--music auto with MiniMax)
      manifest.json              what was made, with durations, providers and spend
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class OutputLayout:
    root: Path

    @property
    def plan(self) -> Path:
        return self.root / "plan.json"

    @property
    def cast_dir(self) -> Path:
        return self.root / "cast"

    def portrait(self, n: int) -> Path:
        """The reference portrait drawn for cast member ``n`` (one without an uploaded picture)."""
        return self.cast_dir / f"portrait_{n:02d}.png"

    @property
    def frames_dir(self) -> Path:
        return self.root / "frames"

    def frame(self, k: int) -> Path:
        return self.frames_dir / f"frame_{k:02d}.png"

    def segment_dir(self, index: int) -> Path:
        return self.root / "segments" / f"{index + 1:02d}"

    def narration(self, index: int, suffix: str) -> Path:
        return self.segment_dir(index) / f"narration{suffix}"

    def clip(self, index: int) -> Path:
        return self.segment_dir(index) / "clip.mp4"

    def segment(self, index: int) -> Path:
        return self.segment_dir(index) / "segment.mp4"

    @property
    def storyboard(self) -> Path:
        return self.root / "storyboard.png"

    @property
    def video(self) -> Path:
        return self.root / "final_video.mp4"

    @property
    def subtitles(self) -> Path:
        return self.root / "final_video.srt"

    @property
    def music(self) -> Path:
        """The generated music bed (``--music auto`` with MiniMax)."""
        return self.root / "music.mp3"

    @property
    def manifest(self) -> Path:
        return self.root / "manifest.json"

    def prepare(self, segments: int) -> None:
        self.frames_dir.mkdir(parents=True, exist_ok=True)
        for i in range(segments):
            self.segment_dir(i).mkdir(parents=True, exist_ok=True)
