"""Offline keyframes: storyboard panels drawn with Pillow.

Each panel is a simple scene picked from the prompt's words (sky by time of day and weather,
sea, mountains, city or forest, a figure when someone is mentioned) in a palette that follows
the style notes (shared by every frame) shifted by a hash of the prompt (distinct per frame);
no text is printed on the picture. Deterministic: the same prompt, size,
style and reference give the same pixels.

- :mod:`.words`: what a prompt's words say the panel shows.
- :mod:`.palette`: the panel's colours, from the style, the prompt and the reference frame.
- :mod:`.scene`: drawing the scene (sky, land or sea, city, trees, a figure, a storm).
- :mod:`.caption`: writing the PNG, and the caption-band note of frames earlier versions drew.
- :mod:`.keyframe`: :func:`render_keyframe` and :class:`OfflineImageGen`, which put them together.
"""

from __future__ import annotations

from storyreel.providers.offline.images.caption import CAPTION_KEY, caption_share
from storyreel.providers.offline.images.keyframe import (
    MIN_SIDE,
    SUPERSAMPLE,
    OfflineImageGen,
    render_keyframe,
)

__all__ = [
    "CAPTION_KEY",
    "MIN_SIDE",
    "SUPERSAMPLE",
    "OfflineImageGen",
    "caption_share",
    "render_keyframe",
]
