"""Offline keyframes: storyboard panels drawn with Pillow.

Each panel is a simple scene picked from the prompt's words (sky by time of day and weather,
sea, mountains, city or forest, a figure when someone is mentioned) in a palette that follows
the style notes (shared by every frame) shifted by a hash of the prompt (distinct per frame),
with the prompt itself printed legibly in a caption band. Deterministic: the same prompt, size,
style and reference give the same pixels.
"""

from __future__ import annotations

import asyncio
import colorsys
import hashlib
import io
import random
import re
import textwrap
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont, ImageOps
from PIL.PngImagePlugin import PngInfo

from storyreel.errors import UsageError
from storyreel.files import write_bytes_atomic_sync
from storyreel.providers.offline._base import OfflineProvider

RGB = tuple[int, int, int]
# Shapes are drawn at twice the size and shrunk, which anti-aliases every edge for free.
SUPERSAMPLE = 2
CAPTION_SHARE = 0.24
CAPTION_KEY = "storyreel-caption-share"
MIN_SIDE = 64

_WORDS = re.compile(r"[a-z']+")
_NIGHT = {
    "night",
    "moon",
    "moonlight",
    "midnight",
    "stars",
    "starlit",
    "starry",
    "dark",
    "darkness",
}
_DUSK = {"sunset", "dusk", "dawn", "sunrise", "evening", "twilight", "morning", "golden"}
_STORM = {"storm", "stormy", "thunder", "lightning", "rain", "tempest", "gale", "raining", "waves"}
_SEA = {"sea", "ocean", "wave", "waves", "shore", "beach", "harbor", "harbour", "boat", "ship",
        "lighthouse", "lake", "river", "water", "island", "sail", "coast", "bay"}  # fmt: skip
_CITY = {"city", "street", "streets", "town", "building", "buildings", "tower", "skyline",
         "market", "village", "castle", "rooftops", "station"}  # fmt: skip
_FOREST = {"forest", "tree", "trees", "wood", "woods", "jungle", "garden", "park", "orchard",
           "pine", "pines", "grove"}  # fmt: skip
_MOUNTAIN = {"mountain", "mountains", "hill", "hills", "peak", "peaks", "cliff", "cliffs",
             "climb", "climbed", "climbing", "valley", "summit", "ridge"}  # fmt: skip
_PEOPLE = {"he", "she", "they", "i", "we", "man", "woman", "girl", "boy", "child", "children",
           "keeper", "king", "queen", "knight", "traveler", "traveller", "stranger", "friend",
           "mother", "father", "old", "sailor", "hero", "figure", "people", "her",
           "his"}  # fmt: skip
_CLOSE = {"close-up", "closeup", "close", "face", "eyes", "hands", "detail"}


@dataclass(frozen=True)
class Palette:
    sky_top: RGB
    sky_bottom: RGB
    far: RGB
    near: RGB
    accent: RGB
    light: RGB


def _hsv(h: float, s: float, v: float) -> RGB:
    r, g, b = colorsys.hsv_to_rgb(h % 1.0, max(0.0, min(1.0, s)), max(0.0, min(1.0, v)))
    return (round(r * 255), round(g * 255), round(b * 255))


def _mix(a: RGB, b: RGB, amount: float) -> RGB:
    return (
        round(a[0] + (b[0] - a[0]) * amount),
        round(a[1] + (b[1] - a[1]) * amount),
        round(a[2] + (b[2] - a[2]) * amount),
    )


def _seed(*parts: str) -> int:
    return int.from_bytes(hashlib.sha256("\x1f".join(parts).encode()).digest()[:8], "big")


def _palette(words: set[str], style: str, prompt: str, reference: RGB | None) -> Palette:
    # The style fixes the family of hues for the whole video; the prompt nudges each frame.
    base = (_seed("style", style) % 1000) / 1000
    nudge = ((_seed("prompt", prompt) % 1000) / 1000 - 0.5) * 0.16
    light = 0.72 + (_seed("light", prompt) % 100) / 100 * 0.2
    if words & _NIGHT:
        top, bottom = _hsv(0.64 + nudge * 0.5, 0.7, 0.16), _hsv(0.62 + nudge, 0.55, 0.38)
        far, near = _hsv(0.66 + nudge, 0.45, 0.22), _hsv(0.68, 0.5, 0.1)
        glow = _hsv(0.14, 0.12, 0.97)
    elif words & _STORM:
        top, bottom = _hsv(0.6 + nudge, 0.18, 0.3), _hsv(0.58 + nudge, 0.14, 0.55)
        far, near = _hsv(0.6, 0.15, 0.35), _hsv(0.62, 0.2, 0.18)
        glow = _hsv(0.15, 0.3, 1.0)
    elif words & _DUSK:
        top, bottom = _hsv(0.72 + nudge, 0.45, 0.5), _hsv(0.06 + nudge * 0.5, 0.6, 0.98)
        far, near = _hsv(0.8 + nudge, 0.35, 0.45), _hsv(0.78, 0.45, 0.22)
        glow = _hsv(0.1, 0.7, 1.0)
    else:
        top, bottom = _hsv(0.58 + nudge, 0.55, light), _hsv(0.55 + nudge, 0.2, 0.98)
        # Daylight land stays in greens and earth tones whatever the style's hue.
        land = 0.27 + (base - 0.5) * 0.2
        far, near = _hsv(land + 0.05, 0.3, 0.66), _hsv(land, 0.55, 0.42)
        glow = _hsv(0.13, 0.55, 1.0)
    accent = _hsv(base, 0.65, 0.9)
    if reference is not None:
        # Continuity with the anchor frame: lean the sky toward its colours.
        top, bottom = _mix(top, reference, 0.25), _mix(bottom, reference, 0.15)
    return Palette(top, bottom, far, near, accent, glow)


def _average_colour(reference: Path | None) -> RGB | None:
    if reference is None or not reference.is_file():
        return None
    with Image.open(reference) as image:
        pixel = image.convert("RGB").resize((1, 1), Image.Resampling.BOX).getpixel((0, 0))
    # An RGB image's pixel is a 3-tuple; Pillow types getpixel loosely across versions.
    assert isinstance(pixel, tuple)
    r, g, b = (int(channel) for channel in pixel[:3])
    return (r, g, b)


class _Scene:
    """Draws one scene at the supersampled size."""

    def __init__(
        self, width: int, height: int, words: set[str], palette: Palette, rng: random.Random
    ):
        self.w, self.h = width, height
        self.words, self.p, self.rng = words, palette, rng
        self.horizon = round(height * rng.uniform(0.58, 0.7))
        gradient = Image.linear_gradient("L").resize((width, height))
        self.image = ImageOps.colorize(gradient, palette.sky_top, palette.sky_bottom).convert("RGB")
        self.draw = ImageDraw.Draw(self.image)

    def render(self) -> Image.Image:
        self._sky()
        if self.words & _MOUNTAIN:
            self._mountains()
        if self.words & _SEA:
            self._sea()
        else:
            self._land()
        if self.words & _CITY:
            self._city()
        if self.words & _FOREST or not self.words & (_SEA | _CITY | _MOUNTAIN):
            self._trees()
        if self.words & _PEOPLE:
            self._figure()
        if self.words & _STORM:
            self._storm()
        return self.image

    def _sky(self) -> None:
        w, h, rng, d = self.w, self.h, self.rng, self.draw
        cx, cy = rng.uniform(0.12, 0.88) * w, rng.uniform(0.12, 0.34) * h
        r = h * rng.uniform(0.06, 0.09)
        if self.words & _NIGHT:
            for _ in range(90):
                x, y, s = rng.uniform(0, w), rng.uniform(0, self.horizon * 0.9), rng.uniform(1, 3.2)
                d.ellipse(
                    (x - s, y - s, x + s, y + s), fill=_mix(self.p.light, self.p.sky_top, 0.3)
                )
            d.ellipse((cx - r, cy - r, cx + r, cy + r), fill=self.p.light)
            # A crescent: the sky colour bites into the moon.
            off = r * 0.45
            bite = _mix(self.p.sky_top, self.p.sky_bottom, (cy - off * 0.4) / self.h)
            d.ellipse(
                (cx - r + off, cy - r - off * 0.4, cx + r + off, cy + r - off * 0.4), fill=bite
            )
        elif not self.words & _STORM:
            if self.words & _DUSK:
                cy = self.horizon - r * 0.4
            for k in range(4, 0, -1):
                halo = r * (1 + k * 0.35)
                d.ellipse(
                    (cx - halo, cy - halo, cx + halo, cy + halo),
                    fill=_mix(self.p.sky_bottom, self.p.light, 0.18 * (5 - k) / 4),
                )
            d.ellipse((cx - r, cy - r, cx + r, cy + r), fill=self.p.light)
        for _ in range(rng.randint(2, 4)):
            self._cloud(rng.uniform(0, w), rng.uniform(0.08, 0.4) * h)

    def _cloud(self, x: float, y: float) -> None:
        if self.words & (_STORM | _NIGHT):
            tone = _mix(self.p.sky_top, self.p.sky_bottom, 0.45)
        else:
            tone = _mix(self.p.sky_bottom, (255, 255, 255), 0.55)
        unit = self.h * self.rng.uniform(0.035, 0.06)
        for i in range(5):
            dx, dy, r = (
                (i - 2) * unit * 1.1,
                -abs(2 - i) * unit * -0.3,
                unit * (1.5 - abs(2 - i) * 0.25),
            )
            self.draw.ellipse(
                (x + dx - r, y + dy - r * 0.7, x + dx + r, y + dy + r * 0.7), fill=tone
            )

    def _ridge(self, base: float, height: float, peaks: int, fill: RGB, jagged: bool) -> None:
        points = [(0.0, float(self.h)), (0.0, base)]
        step = self.w / peaks
        for i in range(peaks + 1):
            x = i * step + self.rng.uniform(-0.2, 0.2) * step
            top = base - self.rng.uniform(0.4, 1.0) * height
            points.append((x, top))
            if jagged and i < peaks:
                points.append((x + step / 2, base - self.rng.uniform(0.0, 0.3) * height))
        points += [(float(self.w), base), (float(self.w), float(self.h))]
        self.draw.polygon(points, fill=fill)

    def _mountains(self) -> None:
        self._ridge(self.horizon, self.h * 0.38, self.rng.randint(2, 4), self.p.far, jagged=True)

    def _land(self) -> None:
        far = _mix(self.p.far, self.p.sky_bottom, 0.35)
        self._ridge(self.horizon, self.h * 0.08, 5, far, jagged=False)
        self._ridge(self.horizon + self.h * 0.1, self.h * 0.07, 3, self.p.near, jagged=False)

    def _sea(self) -> None:
        d, h, w = self.draw, self.h, self.w
        water = _mix(self.p.sky_top, self.p.near, 0.35)
        d.rectangle((0, self.horizon, w, h), fill=water)
        wave = _mix(water, self.p.light, 0.25)
        for row in range(7):
            y = self.horizon + (row + 1) * (h - self.horizon) / 8
            for _ in range(6 + row * 2):
                x, half = (
                    self.rng.uniform(0, w),
                    w * self.rng.uniform(0.015, 0.04) * (1 + row * 0.2),
                )
                d.arc(
                    (x - half, y - half * 0.3, x + half, y + half * 0.3),
                    200,
                    340,
                    fill=wave,
                    width=max(2, h // 260),
                )
        if "lighthouse" in self.words:
            x, top = w * self.rng.uniform(0.6, 0.85), h * 0.28
            base = self.horizon + h * 0.05
            d.polygon(
                [
                    (x - w * 0.025, base),
                    (x + w * 0.025, base),
                    (x + w * 0.015, top),
                    (x - w * 0.015, top),
                ],
                fill=(235, 235, 230),
            )
            for k in range(3):
                y = top + (base - top) * (k * 2 + 1) / 6
                d.rectangle(
                    (x - w * 0.022, y, x + w * 0.022, y + (base - top) / 10), fill=(190, 50, 45)
                )
            d.rectangle((x - w * 0.018, top - h * 0.05, x + w * 0.018, top), fill=self.p.light)
            d.polygon(
                [
                    (x - w * 0.024, top - h * 0.05),
                    (x + w * 0.024, top - h * 0.05),
                    (x, top - h * 0.09),
                ],
                fill=(60, 60, 70),
            )
        elif self.words & {"boat", "ship", "sail"}:
            x, y = w * self.rng.uniform(0.2, 0.7), self.horizon + h * 0.08
            s = h * 0.06
            d.polygon(
                [
                    (x - 2 * s, y),
                    (x + 2 * s, y),
                    (x + 1.4 * s, y + s * 0.7),
                    (x - 1.4 * s, y + s * 0.7),
                ],
                fill=self.p.near,
            )
            d.polygon(
                [(x, y - 3 * s), (x, y - s * 0.2), (x + 1.6 * s, y - s * 0.2)], fill=(240, 236, 225)
            )

    def _city(self) -> None:
        d, rng = self.draw, self.rng
        x = 0.0
        lit = _mix(self.p.light, (255, 220, 120), 0.5)
        while x < self.w:
            bw, bh = self.w * rng.uniform(0.04, 0.09), self.h * rng.uniform(0.12, 0.42)
            top = self.horizon + self.h * 0.05 - bh
            d.rectangle(
                (x, top, x + bw, self.h), fill=_mix(self.p.near, self.p.far, rng.uniform(0, 0.5))
            )
            win = self.h * 0.012
            for wy in range(int(top + win * 2), int(self.horizon), int(win * 3.2)):
                for wx in range(int(x + win), int(x + bw - win * 1.5), int(win * 2.6)):
                    if rng.random() < 0.45:
                        d.rectangle((wx, wy, wx + win, wy + win * 1.4), fill=lit)
            x += bw + self.w * rng.uniform(0.0, 0.02)

    def _trees(self) -> None:
        d, rng = self.draw, self.rng
        count = 18 if self.words & _FOREST else 6
        for _ in range(count):
            x = rng.uniform(0, self.w)
            base = self.horizon + rng.uniform(0.02, 0.25) * self.h
            th = self.h * rng.uniform(0.12, 0.26) * (base / self.h + 0.2)
            tone = _mix(self.p.near, (10, 30, 15), rng.uniform(0.1, 0.5))
            d.rectangle((x - th * 0.04, base - th * 0.25, x + th * 0.04, base), fill=(70, 50, 35))
            for k in range(3):
                tier = base - th * (0.2 + k * 0.25)
                half = th * (0.32 - k * 0.07)
                d.polygon([(x - half, tier), (x + half, tier), (x, tier - th * 0.4)], fill=tone)

    def _figure(self) -> None:
        d = self.draw
        size = self.h * (0.55 if self.words & _CLOSE else 0.2)
        x = self.w * self.rng.uniform(0.25, 0.75)
        feet = min(self.h * 0.97, self.horizon + size * 0.55)
        ink = _mix(self.p.near, (15, 15, 20), 0.7)
        head = size * 0.11
        d.polygon(
            [
                (x - size * 0.13, feet),
                (x + size * 0.13, feet),
                (x + size * 0.09, feet - size * 0.72),
                (x - size * 0.09, feet - size * 0.72),
            ],
            fill=ink,
        )
        hy = feet - size * 0.72 - head * 1.1
        d.ellipse((x - head, hy - head, x + head, hy + head), fill=ink)

    def _storm(self) -> None:
        d, rng = self.draw, self.rng
        rain = _mix(self.p.sky_bottom, (255, 255, 255), 0.3)
        for _ in range(260):
            x, y = rng.uniform(0, self.w), rng.uniform(0, self.h)
            d.line(
                (x, y, x - self.h * 0.015, y + self.h * 0.05),
                fill=rain,
                width=max(1, self.h // 500),
            )
        x, y = rng.uniform(0.2, 0.8) * self.w, 0.0
        bolt = [(x, y)]
        while y < self.horizon * 0.9:
            x += rng.uniform(-0.04, 0.04) * self.w
            y += rng.uniform(0.06, 0.12) * self.h
            bolt.append((x, y))
        d.line(bolt, fill=self.p.light, width=max(3, self.h // 120), joint="curve")


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def caption_height(height: int) -> int:
    """Height of the caption band for a frame ``height`` pixels tall (even, for 4:2:0 video)."""
    return 2 * round(height * CAPTION_SHARE / 2)


def _caption(image: Image.Image, prompt: str, palette: Palette) -> None:
    w, h = image.size
    band = caption_height(h)
    top_edge = h - band
    gradient = Image.linear_gradient("L").resize((w, band))
    dark, ink = _mix(palette.near, (10, 12, 18), 0.82), _mix(palette.near, (10, 12, 18), 0.92)
    image.paste(ImageOps.colorize(gradient, dark, ink), (0, top_edge))
    draw = ImageDraw.Draw(image)
    rule = max(2, h // 180)
    draw.rectangle((0, top_edge, w, top_edge + rule), fill=palette.accent)
    margin = round(w * 0.035)
    size = max(10, round(h / 24))
    while True:
        font = _font(size)
        line_h = round(size * 1.3)
        max_lines = max(1, (band - rule - size // 2) // line_h)
        chars = max(8, int((w - 2 * margin) / (size * 0.5)))
        lines = textwrap.wrap(" ".join(prompt.split()), width=chars) or [""]
        if len(lines) <= max_lines or size <= 12:
            break
        size -= 2
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = lines[-1].rstrip(" .,;:") + "…"
    # Keep every line inside the frame even when the glyphs run wider than the estimate.
    lines = [_fit(draw, line, font, w - 2 * margin) for line in lines]
    top = top_edge + rule + (band - rule - line_h * len(lines)) // 2
    for i, line in enumerate(lines):
        draw.text((margin, top + i * line_h), line, font=font, fill=(244, 244, 240))


def _fit(
    draw: ImageDraw.ImageDraw,
    line: str,
    font: ImageFont.FreeTypeFont | ImageFont.ImageFont,
    width: int,
) -> str:
    while line and draw.textlength(line, font=font) > width:
        line = line[:-2].rstrip() + "…"
    return line


def render_keyframe(
    prompt: str, size: tuple[int, int], style: str = "", reference: Path | None = None
) -> Image.Image:
    """Draw one storyboard panel (RGB) for ``prompt``; pure apart from reading ``reference``.

    The scene fills the top of the frame and the prompt sits in a band below it.
    """
    width, height = size
    if width < MIN_SIDE or height < MIN_SIDE:
        raise UsageError(
            f"keyframes must be at least {MIN_SIDE}x{MIN_SIDE}, got {width}x{height}", field="size"
        )
    words = set(_WORDS.findall(prompt.lower()))
    palette = _palette(words, style, prompt, _average_colour(reference))
    rng = random.Random(_seed("scene", prompt, style))
    scene_h = height - caption_height(height)
    scene = _Scene(width * SUPERSAMPLE, scene_h * SUPERSAMPLE, words, palette, rng).render()
    image = Image.new("RGB", (width, height))
    image.paste(scene.resize((width, scene_h), Image.Resampling.LANCZOS), (0, 0))
    _caption(image, prompt, palette)
    return image


def _write_png(image: Image.Image, out: Path) -> Path:
    info = PngInfo()
    # Tells the offline video provider which bottom band is the caption, so it keeps it still.
    info.add_text(CAPTION_KEY, f"{caption_height(image.height) / image.height:.6f}")
    buffer = io.BytesIO()
    # Light compression: FFmpeg reads these frames back once; speed beats bytes.
    image.save(buffer, format="PNG", compress_level=1, pnginfo=info)
    return write_bytes_atomic_sync(out, buffer.getvalue())


def caption_share(path: Path) -> float:
    """The caption band's share of the height of a frame drawn here; 0.0 for any other image."""
    try:
        with Image.open(path) as image:
            return float(image.info.get(CAPTION_KEY, 0.0))
    except (OSError, ValueError):
        return 0.0


class OfflineImageGen(OfflineProvider):
    """Keyframes without a model: deterministic storyboard panels."""

    async def draw(
        self,
        prompt: str,
        *,
        out: Path,
        size: tuple[int, int],
        style: str = "",
        reference: Path | None = None,
    ) -> Path:
        def work() -> Path:
            return _write_png(render_keyframe(prompt, size, style, reference), out)

        return await asyncio.to_thread(work)
