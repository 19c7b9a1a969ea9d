"""The one output format every segment is normalised to, so the final concat can stream-copy."""

from __future__ import annotations

from dataclasses import dataclass

# Canvas sizes for 16:9 output. Hailuo's FL2V output follows the first frame's size.
RESOLUTIONS: dict[str, tuple[int, int]] = {
    "512P": (912, 512),
    "720P": (1280, 720),
    "768P": (1366, 768),
    "1080P": (1920, 1080),
}


@dataclass(frozen=True)
class OutputSpec:
    width: int = 1366
    height: int = 768
    fps: int = 24
    pix_fmt: str = "yuv420p"
    video_codec: str = "libx264"
    audio_codec: str = "aac"
    sample_rate: int = 48000
    channels: int = 2
    audio_bitrate: str = "160k"
    crf: int = 20
    preset: str = "veryfast"

    @classmethod
    def for_resolution(cls, resolution: str, **overrides: object) -> OutputSpec:
        try:
            width, height = RESOLUTIONS[resolution.upper()]
        except KeyError:
            raise ValueError(
                f"unknown resolution {resolution!r}; use one of {', '.join(RESOLUTIONS)}"
            ) from None
        return cls(width=width, height=height, **overrides)  # type: ignore[arg-type]

    @property
    def size(self) -> tuple[int, int]:
        return (self.width, self.height)
