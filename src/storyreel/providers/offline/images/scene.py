"""Drawing a panel's scene with Pillow: sky, then mountains, sea or land, city, trees, a figure
and a storm, each only when the prompt's words call for it."""

from __future__ import annotations

import random

from PIL import Image, ImageDraw, ImageOps

from storyreel.providers.offline.images.figures import Figure, draw_figure
from storyreel.providers.offline.images.palette import RGB, Palette, mix
from storyreel.providers.offline.images.words import (
    CITY,
    CLOSE,
    DUSK,
    FOREST,
    MOUNTAIN,
    NIGHT,
    PEOPLE,
    SEA,
    STORM,
)


class Scene:
    """Draws one scene at the supersampled size."""

    def __init__(
        self,
        width: int,
        height: int,
        words: set[str],
        palette: Palette,
        rng: random.Random,
        cast: list[Figure] | None = None,
    ):
        self.cast = cast or []
        self.w, self.h = width, height
        self.words, self.p, self.rng = words, palette, rng
        self.horizon = round(height * rng.uniform(0.58, 0.7))
        gradient = Image.linear_gradient("L").resize((width, height))
        self.image = ImageOps.colorize(gradient, palette.sky_top, palette.sky_bottom).convert("RGB")
        self.draw = ImageDraw.Draw(self.image)

    def render(self) -> Image.Image:
        self._sky()
        if self.words & MOUNTAIN:
            self._mountains()
        if self.words & SEA:
            self._sea()
        else:
            self._land()
        if self.words & CITY:
            self._city()
        if self.words & FOREST or not self.words & (SEA | CITY | MOUNTAIN):
            self._trees()
        if self.cast:
            self._cast()
        elif self.words & PEOPLE:
            self._figure()
        if self.words & STORM:
            self._storm()
        return self.image

    def _sky(self) -> None:
        w, h, rng, d = self.w, self.h, self.rng, self.draw
        cx, cy = rng.uniform(0.12, 0.88) * w, rng.uniform(0.12, 0.34) * h
        r = h * rng.uniform(0.06, 0.09)
        if self.words & NIGHT:
            for _ in range(90):
                x, y, s = rng.uniform(0, w), rng.uniform(0, self.horizon * 0.9), rng.uniform(1, 3.2)
                d.ellipse((x - s, y - s, x + s, y + s), fill=mix(self.p.light, self.p.sky_top, 0.3))
            d.ellipse((cx - r, cy - r, cx + r, cy + r), fill=self.p.light)
            # A crescent: the sky colour bites into the moon.
            off = r * 0.45
            bite = mix(self.p.sky_top, self.p.sky_bottom, (cy - off * 0.4) / self.h)
            d.ellipse(
                (cx - r + off, cy - r - off * 0.4, cx + r + off, cy + r - off * 0.4), fill=bite
            )
        elif not self.words & STORM:
            if self.words & DUSK:
                cy = self.horizon - r * 0.4
            for k in range(4, 0, -1):
                halo = r * (1 + k * 0.35)
                d.ellipse(
                    (cx - halo, cy - halo, cx + halo, cy + halo),
                    fill=mix(self.p.sky_bottom, self.p.light, 0.18 * (5 - k) / 4),
                )
            d.ellipse((cx - r, cy - r, cx + r, cy + r), fill=self.p.light)
        for _ in range(rng.randint(2, 4)):
            self._cloud(rng.uniform(0, w), rng.uniform(0.08, 0.4) * h)

    def _cloud(self, x: float, y: float) -> None:
        if self.words & (STORM | NIGHT):
            tone = mix(self.p.sky_top, self.p.sky_bottom, 0.45)
        else:
            tone = mix(self.p.sky_bottom, (255, 255, 255), 0.55)
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
        far = mix(self.p.far, self.p.sky_bottom, 0.35)
        self._ridge(self.horizon, self.h * 0.08, 5, far, jagged=False)
        self._ridge(self.horizon + self.h * 0.1, self.h * 0.07, 3, self.p.near, jagged=False)

    def _sea(self) -> None:
        d, h, w = self.draw, self.h, self.w
        water = mix(self.p.sky_top, self.p.near, 0.35)
        d.rectangle((0, self.horizon, w, h), fill=water)
        wave = mix(water, self.p.light, 0.25)
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
        lit = mix(self.p.light, (255, 220, 120), 0.5)
        while x < self.w:
            bw, bh = self.w * rng.uniform(0.04, 0.09), self.h * rng.uniform(0.12, 0.42)
            top = self.horizon + self.h * 0.05 - bh
            d.rectangle(
                (x, top, x + bw, self.h), fill=mix(self.p.near, self.p.far, rng.uniform(0, 0.5))
            )
            win = self.h * 0.012
            for wy in range(int(top + win * 2), int(self.horizon), int(win * 3.2)):
                for wx in range(int(x + win), int(x + bw - win * 1.5), int(win * 2.6)):
                    if rng.random() < 0.45:
                        d.rectangle((wx, wy, wx + win, wy + win * 1.4), fill=lit)
            x += bw + self.w * rng.uniform(0.0, 0.02)

    def _trees(self) -> None:
        d, rng = self.draw, self.rng
        count = 18 if self.words & FOREST else 6
        for _ in range(count):
            x = rng.uniform(0, self.w)
            base = self.horizon + rng.uniform(0.02, 0.25) * self.h
            th = self.h * rng.uniform(0.12, 0.26) * (base / self.h + 0.2)
            tone = mix(self.p.near, (10, 30, 15), rng.uniform(0.1, 0.5))
            d.rectangle((x - th * 0.04, base - th * 0.25, x + th * 0.04, base), fill=(70, 50, 35))
            for k in range(3):
                tier = base - th * (0.2 + k * 0.25)
                half = th * (0.32 - k * 0.07)
                d.polygon([(x - half, tier), (x + half, tier), (x, tier - th * 0.4)], fill=tone)

    def _figure(self) -> None:
        d = self.draw
        size = self.h * (0.55 if self.words & CLOSE else 0.2)
        x = self.w * self.rng.uniform(0.25, 0.75)
        feet = min(self.h * 0.97, self.horizon + size * 0.55)
        ink = mix(self.p.near, (15, 15, 20), 0.7)
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

    def _cast(self) -> None:
        # The frame's characters side by side, each its own fixed figure (see figures.py).
        for slot, figure in enumerate(self.cast):
            x, feet, size = cast_slot(
                self.w, self.h, self.horizon, slot, len(self.cast), self.words
            )
            draw_figure(self.draw, x, feet, size, figure)

    def _storm(self) -> None:
        d, rng = self.draw, self.rng
        rain = mix(self.p.sky_bottom, (255, 255, 255), 0.3)
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


def cast_slot(
    width: int, height: int, horizon: int, slot: int, count: int, words: set[str]
) -> tuple[float, float, float]:
    """Where character ``slot`` of ``count`` stands: (x, feet, standard size), spread evenly."""
    size = height * (0.5 if words & CLOSE else 0.3)
    feet = min(height * 0.97, horizon + size * 0.45)
    return width * (slot + 1) / (count + 1), feet, size
