"""The caption band under each panel (the prompt, printed legibly) and the PNG note that tells
the offline video provider how tall it is, so the camera moves only the scene above it."""

from __future__ import annotations

import io
import textwrap
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont, ImageOps
from PIL.PngImagePlugin import PngInfo

from storyreel.files import write_bytes_atomic_sync
from storyreel.providers.offline.images.palette import Palette, mix

CAPTION_SHARE = 0.24
CAPTION_KEY = "storyreel-caption-share"


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def caption_height(height: int) -> int:
    """Height of the caption band for a frame ``height`` pixels tall (even, for 4:2:0 video)."""
    return 2 * round(height * CAPTION_SHARE / 2)


def draw_caption(image: Image.Image, prompt: str, palette: Palette) -> None:
    w, h = image.size
    band = caption_height(h)
    top_edge = h - band
    gradient = Image.linear_gradient("L").resize((w, band))
    dark, ink = mix(palette.near, (10, 12, 18), 0.82), mix(palette.near, (10, 12, 18), 0.92)
    image.paste(ImageOps.colorize(gradient, dark, ink), (0, top_edge))
    draw = ImageDraw.Draw(image)
    rule = max(2, h // 180)
    draw.rectangle((0, top_edge, w, top_edge + rule), fill=palette.accent)
    margin = round(w * 0.035)
    size = max(10, round(min(w, h) / 24))  # the short side: a portrait frame is narrow
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


def write_png(image: Image.Image, out: Path) -> Path:
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
