"""A panel's colours: the style picks the family of hues (shared by every frame of a video), the
prompt nudges each frame, and a reference frame leans the sky toward its own colours."""

from __future__ import annotations

import colorsys
import hashlib
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from storyreel.providers.offline.images.words import DUSK, NIGHT, STORM

RGB = tuple[int, int, int]


@dataclass(frozen=True)
class Palette:
    sky_top: RGB
    sky_bottom: RGB
    far: RGB
    near: RGB
    accent: RGB
    light: RGB


def hsv(h: float, s: float, v: float) -> RGB:
    r, g, b = colorsys.hsv_to_rgb(h % 1.0, max(0.0, min(1.0, s)), max(0.0, min(1.0, v)))
    return (round(r * 255), round(g * 255), round(b * 255))


def mix(a: RGB, b: RGB, amount: float) -> RGB:
    return (
        round(a[0] + (b[0] - a[0]) * amount),
        round(a[1] + (b[1] - a[1]) * amount),
        round(a[2] + (b[2] - a[2]) * amount),
    )


def seed(*parts: str) -> int:
    return int.from_bytes(hashlib.sha256("\x1f".join(parts).encode()).digest()[:8], "big")


def palette_for(words: set[str], style: str, prompt: str, reference: RGB | None) -> Palette:
    # The style fixes the family of hues for the whole video; the prompt nudges each frame.
    base = (seed("style", style) % 1000) / 1000
    nudge = ((seed("prompt", prompt) % 1000) / 1000 - 0.5) * 0.16
    light = 0.72 + (seed("light", prompt) % 100) / 100 * 0.2
    if words & NIGHT:
        top, bottom = hsv(0.64 + nudge * 0.5, 0.7, 0.16), hsv(0.62 + nudge, 0.55, 0.38)
        far, near = hsv(0.66 + nudge, 0.45, 0.22), hsv(0.68, 0.5, 0.1)
        glow = hsv(0.14, 0.12, 0.97)
    elif words & STORM:
        top, bottom = hsv(0.6 + nudge, 0.18, 0.3), hsv(0.58 + nudge, 0.14, 0.55)
        far, near = hsv(0.6, 0.15, 0.35), hsv(0.62, 0.2, 0.18)
        glow = hsv(0.15, 0.3, 1.0)
    elif words & DUSK:
        top, bottom = hsv(0.72 + nudge, 0.45, 0.5), hsv(0.06 + nudge * 0.5, 0.6, 0.98)
        far, near = hsv(0.8 + nudge, 0.35, 0.45), hsv(0.78, 0.45, 0.22)
        glow = hsv(0.1, 0.7, 1.0)
    else:
        top, bottom = hsv(0.58 + nudge, 0.55, light), hsv(0.55 + nudge, 0.2, 0.98)
        # Daylight land stays in greens and earth tones whatever the style's hue.
        land = 0.27 + (base - 0.5) * 0.2
        far, near = hsv(land + 0.05, 0.3, 0.66), hsv(land, 0.55, 0.42)
        glow = hsv(0.13, 0.55, 1.0)
    accent = hsv(base, 0.65, 0.9)
    if reference is not None:
        # Continuity with the anchor frame: lean the sky toward its colours.
        top, bottom = mix(top, reference, 0.25), mix(bottom, reference, 0.15)
    return Palette(top, bottom, far, near, accent, glow)


def average_colour(reference: Path | None) -> RGB | None:
    if reference is None or not reference.is_file():
        return None
    with Image.open(reference) as image:
        pixel = image.convert("RGB").resize((1, 1), Image.Resampling.BOX).getpixel((0, 0))
    # An RGB image's pixel is a 3-tuple; Pillow types getpixel loosely across versions.
    assert isinstance(pixel, tuple)
    r, g, b = (int(channel) for channel in pixel[:3])
    return (r, g, b)
