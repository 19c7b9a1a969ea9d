"""The one output format every segment is normalised to, so the final concat can stream-copy."""

from __future__ import annotations

from dataclasses import dataclass

# Canvas sizes per aspect and resolution (the resolution names the short side). Hailuo's FL2V
# output follows the first frame's size, so 768P portrait is its 768x1366; every size is even
# (yuv420p needs it).
CANVASES: dict[str, dict[str, tuple[int, int]]] = {
    "16:9": {"512P": (912, 512), "720P": (1280, 720), "768P": (1366, 768), "1080P": (1920, 1080)},
    "9:16": {"512P": (512, 912), "720P": (720, 1280), "768P": (768, 1366), "1080P": (1080, 1920)},
    "1:1": {"512P": (512, 512), "720P": (720, 720), "768P": (768, 768), "1080P": (1080, 1080)},
}
ASPECTS: tuple[str, ...] = tuple(CANVASES)
DEFAULT_ASPECT = "16:9"
# The landscape canvases, by resolution.
RESOLUTIONS: dict[str, tuple[int, int]] = CANVASES[DEFAULT_ASPECT]


def canvas(resolution: str, aspect: str = DEFAULT_ASPECT) -> tuple[int, int]:
    """(width, height) of the ``aspect`` canvas at ``resolution``; ValueError naming the choices."""
    if aspect not in CANVASES:
        raise ValueError(f"unknown aspect {aspect!r}; use one of {', '.join(ASPECTS)}")
    try:
        return CANVASES[aspect][resolution.upper()]
    except KeyError:
        raise ValueError(
            f"unknown resolution {resolution!r}; use one of {', '.join(RESOLUTIONS)}"
        ) from None


# How the planners' prompts name each shape, so frames are composed for it.
COMPOSITIONS: dict[str, str] = {
    "16:9": "16:9 landscape",
    "9:16": "9:16 portrait (vertical)",
    "1:1": "1:1 square",
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
    def for_resolution(
        cls, resolution: str, aspect: str = DEFAULT_ASPECT, **overrides: object
    ) -> OutputSpec:
        width, height = canvas(resolution, aspect)
        return cls(width=width, height=height, **overrides)  # type: ignore[arg-type]

    @property
    def size(self) -> tuple[int, int]:
        return (self.width, self.height)
