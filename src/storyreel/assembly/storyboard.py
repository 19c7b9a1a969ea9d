"""The storyboard picture: the plan at a glance, one row per segment.

Each row: segment number (with duration and camera when known), first frame -> last frame, and
the narration. Text uses Pillow's bundled scalable font so it renders on a machine without fonts.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import av
from PIL import Image, ImageDraw, ImageFont, ImageOps, UnidentifiedImageError

from storyreel.assembly.ffmpeg import atomic_output
from storyreel.assembly.subtitles import bundled_font
from storyreel.errors import MediaError

THUMB = (320, 180)
MARGIN = 24
LABEL_WIDTH = 150
ARROW_WIDTH = 48
TEXT_WIDTH = 560
BACKGROUND = (24, 26, 31)
PANEL = (38, 41, 48)
INK = (236, 238, 242)
MUTED = (160, 166, 178)


def _video_frame(path: Path, *, last: bool) -> Image.Image:
    with av.open(str(path)) as container:
        image: Image.Image | None = None
        for frame in container.decode(video=0):
            image = frame.to_image()  # type: ignore[no-untyped-call]
            if not last:
                break
    if image is None:
        raise MediaError(f"{path}: no video frame to show")
    return image


def load_frame(path: Path, *, last: bool = False) -> Image.Image:
    """An image file, or the first (``last=False``) or last frame of a video file."""
    if not path.is_file():
        raise MediaError(f"{path}: no such frame file")
    try:
        with Image.open(path) as image:
            rgb: Image.Image = image.convert("RGB")
            return rgb
    except UnidentifiedImageError:
        try:
            return _video_frame(path, last=last).convert("RGB")
        except av.FFmpegError as exc:
            raise MediaError(f"{path}: neither an image nor a video ({exc})") from exc


def wrap_to_width(text: str, font: ImageFont.FreeTypeFont, width: float) -> list[str]:
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}" if current else word
        if current and font.getlength(candidate) > width:
            lines.append(current)
            current = word
        else:
            current = candidate
    return [*lines, current] if current else lines


def _arrow(draw: ImageDraw.ImageDraw, x0: int, x1: int, y: int) -> None:
    # drawn, not typed: the bundled font may have no arrow glyph
    draw.line((x0, y, x1 - 8, y), fill=INK, width=3)
    draw.polygon([(x1, y), (x1 - 10, y - 7), (x1 - 10, y + 7)], fill=INK)


def render_storyboard(
    frames: list[tuple[Path, Path]],
    captions: list[str],
    out: Path,
    title: str,
    *,
    durations: Sequence[float] | None = None,
    cameras: Sequence[str] | None = None,
) -> Path:
    """Draw the storyboard PNG at ``out``: ``title`` on top, then per segment its number, first
    frame -> last frame and narration (``durations`` and ``cameras`` add to the label)."""
    if len(frames) != len(captions):
        raise ValueError("one caption per pair of frames")
    title_font, label_font, small_font, text_font = (bundled_font(n) for n in (34, 26, 17, 19))
    line_height = 25
    rows = []
    for n, ((first, last), caption) in enumerate(zip(frames, captions, strict=True)):
        thumbs = [
            ImageOps.pad(load_frame(first), THUMB, color=(0, 0, 0)),
            ImageOps.pad(load_frame(last, last=True), THUMB, color=(0, 0, 0)),
        ]
        lines = wrap_to_width(caption, text_font, TEXT_WIDTH)
        height = max(THUMB[1], line_height * len(lines)) + 2 * 16
        rows.append((n, thumbs, lines, height))

    width = MARGIN * 2 + LABEL_WIDTH + THUMB[0] * 2 + ARROW_WIDTH + MARGIN + TEXT_WIDTH + 16
    header = 80
    height = header + sum(r[3] + 12 for r in rows) + MARGIN
    board = Image.new("RGB", (width, height), BACKGROUND)
    draw = ImageDraw.Draw(board)
    draw.text((MARGIN, 22), title, font=title_font, fill=INK)
    draw.text(
        (width - MARGIN, 34), f"{len(rows)} segments", font=small_font, fill=MUTED, anchor="ra"
    )

    y = header
    for n, thumbs, lines, row_height in rows:
        draw.rounded_rectangle((MARGIN, y, width - MARGIN, y + row_height), radius=10, fill=PANEL)
        x = MARGIN + 16
        draw.text((x, y + 16), f"#{n + 1}", font=label_font, fill=INK)
        details = []
        if durations is not None:
            details.append(f"{durations[n]:.1f} s")
        if cameras is not None and cameras[n]:
            details.append(cameras[n])
        for k, detail in enumerate(details):
            for j, piece in enumerate(wrap_to_width(detail, small_font, LABEL_WIDTH - 24)):
                draw.text((x, y + 56 + (k * 2 + j) * 22), piece, font=small_font, fill=MUTED)
        x = MARGIN + LABEL_WIDTH
        ty = y + (row_height - THUMB[1]) // 2
        board.paste(thumbs[0], (x, ty))
        _arrow(draw, x + THUMB[0] + 10, x + THUMB[0] + ARROW_WIDTH - 10, ty + THUMB[1] // 2)
        board.paste(thumbs[1], (x + THUMB[0] + ARROW_WIDTH, ty))
        tx = x + THUMB[0] * 2 + ARROW_WIDTH + MARGIN
        text_top = y + (row_height - line_height * len(lines)) // 2
        for k, line in enumerate(lines):
            draw.text((tx, text_top + k * line_height), line, font=text_font, fill=INK)
        y += row_height + 12

    with atomic_output(out) as tmp:
        board.save(tmp, format="PNG")
    return out
