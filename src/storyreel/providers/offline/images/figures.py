"""The offline cast: each character drawn the same way in every frame that shows it.

A character's :class:`Figure` (coat, skin, hair and scarf colours, build, a hat or not) comes from
its description's colour words ("a red coat", "grey scarf", "blond hair"), the rest from a hash of
its name, so it is deterministic. The portrait the offline images draw stores the figure in the
PNG (``FIGURE_KEY``); a frame reads the figure back from the reference it is given, so an
uploaded picture (no such note) gives a figure from its own colours, and a new reference changes
the figure in exactly the frames drawn with it.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from pathlib import Path

from PIL import Image, ImageDraw, PngImagePlugin

from storyreel.providers.offline.images.palette import RGB, hsv, mix, seed

FIGURE_KEY = "storyreel-figure"
_COLOURS: dict[str, RGB] = {
    "red": (196, 42, 38),
    "crimson": (160, 20, 40),
    "scarlet": (220, 36, 30),
    "orange": (232, 124, 30),
    "amber": (224, 150, 40),
    "yellow": (236, 204, 48),
    "gold": (212, 170, 50),
    "golden": (212, 170, 50),
    "green": (48, 140, 70),
    "teal": (30, 128, 128),
    "blue": (40, 86, 190),
    "navy": (24, 36, 96),
    "purple": (118, 56, 150),
    "violet": (140, 80, 190),
    "pink": (232, 120, 160),
    "brown": (110, 70, 40),
    "black": (28, 28, 32),
    "grey": (128, 128, 132),
    "gray": (128, 128, 132),
    "silver": (190, 192, 198),
    "white": (240, 240, 236),
    "blond": (226, 196, 110),
    "blonde": (226, 196, 110),
    "auburn": (140, 60, 30),
}
_SKIN = ((241, 204, 170), (224, 172, 130), (190, 136, 96), (141, 94, 60), (98, 64, 42))
_SLOTS = {"hair": "hair", "beard": "hair", "scarf": "scarf", "shawl": "scarf", "hat": "hat",
          "cap": "hat", "hood": "hat"} | dict.fromkeys(
    ("coat", "cloak", "jacket", "dress", "robe", "shirt", "sweater", "tunic"), "coat")  # fmt: skip


@dataclass(frozen=True)
class Figure:
    coat: RGB
    skin: RGB
    hair: RGB
    scarf: RGB
    build: float  # height relative to the frame's standard figure, 0.85..1.15
    hat: bool


def figure_for(name: str, description: str) -> Figure:
    """The figure a character is drawn as, from its description (colour words) and its name."""
    text = description.lower()
    words = re.findall(r"[a-z]+", text)
    found: dict[str, RGB] = {}
    for i, word in enumerate(words):
        # "a red coat", "red wool coat": a colour one or two words before the garment.
        colour = next((w for w in reversed(words[max(0, i - 2) : i]) if w in _COLOURS), None)
        if word in _SLOTS and colour is not None:
            found.setdefault(_SLOTS[word], _COLOURS[colour])
    key = seed("figure", name.casefold())
    coat = found.get("coat") or hsv((key % 360) / 360, 0.6, 0.7)
    return Figure(
        coat=coat,
        skin=_SKIN[(key >> 9) % len(_SKIN)],
        hair=found.get("hair") or hsv(((key >> 17) % 100) / 1000 + 0.05, 0.55, 0.3),
        scarf=found.get("scarf") or found.get("hat") or mix(coat, (250, 246, 236), 0.55),
        build=0.85 + ((key >> 25) % 31) / 100,
        hat="hat" in found or bool(re.search(r"\b(hat|cap|hood)\b", text)),
    )


def figure_from_picture(path: Path, name: str, description: str) -> Figure:
    """The figure a reference picture shows: the one an offline portrait stored, else colours
    read from the picture (an upload), the build and hat from the description."""
    with Image.open(path) as image:
        note = image.info.get(FIGURE_KEY)
        if isinstance(note, str):
            try:
                data = json.loads(note)
                return Figure(
                    coat=_rgb(data["coat"]),
                    skin=_rgb(data["skin"]),
                    hair=_rgb(data["hair"]),
                    scarf=_rgb(data["scarf"]),
                    build=float(data["build"]),
                    hat=bool(data["hat"]),
                )
            except (ValueError, KeyError, TypeError):
                pass  # a damaged note: read the colours instead, as for an upload
        rgb = image.convert("RGB")
    base = figure_for(name, description)
    w, h = rgb.size
    coat = _average(rgb, (w * 3 // 8, h // 2, w * 5 // 8, h * 3 // 4))
    hair = _average(rgb, (w * 3 // 8, h // 8, w * 5 // 8, h // 4))
    return Figure(coat, base.skin, hair, mix(coat, (250, 246, 236), 0.55), base.build, base.hat)


def _rgb(value: object) -> RGB:
    if not isinstance(value, list) or len(value) != 3:
        raise ValueError("not a colour")
    r, g, b = (max(0, min(255, int(v))) for v in value)
    return (r, g, b)


def _average(image: Image.Image, box: tuple[int, int, int, int]) -> RGB:
    pixel = image.crop(box).resize((1, 1), Image.Resampling.BOX).getpixel((0, 0))
    assert isinstance(pixel, tuple)  # an RGB image's pixel
    r, g, b = (int(channel) for channel in pixel[:3])
    return (r, g, b)


def png_note(figure: Figure) -> PngImagePlugin.PngInfo:
    """The PNG text chunk a portrait carries so frames draw the same figure."""
    info = PngImagePlugin.PngInfo()
    info.add_text(FIGURE_KEY, json.dumps(asdict(figure)))
    return info


def coat_point(x: float, feet: float, size: float, figure: Figure) -> tuple[float, float]:
    """A point inside the coat of ``figure`` standing at ``x``, feet at ``feet`` (for checks)."""
    return x, feet - size * figure.build * 0.36


def draw_figure(
    draw: ImageDraw.ImageDraw, x: float, feet: float, size: float, figure: Figure
) -> None:
    """A standing figure ``size`` tall (times its build): coat, scarf, head, hair, maybe a hat."""
    s = size * figure.build
    shoulders = feet - s * 0.72
    draw.polygon(
        [(x - s * 0.15, feet), (x + s * 0.15, feet), (x + s * 0.1, shoulders),
         (x - s * 0.1, shoulders)],
        fill=figure.coat,
    )  # fmt: skip
    draw.rectangle((x - s * 0.1, shoulders, x + s * 0.1, shoulders + s * 0.06), fill=figure.scarf)
    head = s * 0.11
    hy = shoulders - head * 1.05
    draw.ellipse((x - head, hy - head, x + head, hy + head), fill=figure.skin)
    draw.chord((x - head, hy - head, x + head, hy + head), 180, 360, fill=figure.hair)
    if figure.hat:
        draw.rectangle((x - head * 1.5, hy - head * 0.9, x + head * 1.5, hy - head * 0.7),
                       fill=figure.scarf)  # fmt: skip
        draw.rectangle((x - head * 0.8, hy - head * 1.8, x + head * 0.8, hy - head * 0.8),
                       fill=figure.scarf)  # fmt: skip


def render_portrait(name: str, description: str, size: tuple[int, int]) -> Image.Image:
    """The reference portrait: the character's figure alone, large, on a plain light ground."""
    figure = figure_for(name, description)
    width, height = size
    image = Image.new("RGB", size, (236, 232, 222))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, height * 0.86, width, height), fill=(214, 208, 196))
    draw_figure(draw, width / 2, height * 0.92, height * 0.8 / figure.build, figure)
    return image
