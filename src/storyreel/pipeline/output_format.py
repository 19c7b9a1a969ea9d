"""The output's format: the video provider's own clip format when it is a sane one, else the
resolution's. Adopting the provider's format lets each clip be copied into its segment instead of
re-encoded and frame-rate converted (issue 15)."""

from __future__ import annotations

import logging
from dataclasses import replace

from storyreel.assembly.spec import DEFAULT_ASPECT, OutputSpec
from storyreel.providers.base import VideoGen

log = logging.getLogger(__name__)

# A provider's native clip format is adopted as the output's within these bounds.
MIN_FPS, MAX_FPS = 20, 60
ASPECT_TOLERANCE = 0.01


def output_spec(resolution: str, video: VideoGen, aspect: str = DEFAULT_ASPECT) -> OutputSpec:
    """The output format: the video provider's own clip format when it declares a sane one (so
    its clips are copied into their segments, not re-encoded), else the canvas's."""
    spec = OutputSpec.for_resolution(resolution, aspect)
    shape = video.native_clip(resolution, aspect)
    if shape is None:
        return spec
    width, height, fps = shape
    sane = (
        width % 2 == 0
        and height % 2 == 0
        and MIN_FPS <= fps <= MAX_FPS
        # the same picture shape as asked for (1366x768 for 16:9 is, to a pixel; 768x1366 for 9:16)
        and abs(width / height - spec.width / spec.height) < ASPECT_TOLERANCE
    )
    if not sane:
        log.warning("the video provider's clips (%dx%d at %d fps) are re-encoded", *shape)
        return spec
    return replace(spec, width=width, height=height, fps=fps)
