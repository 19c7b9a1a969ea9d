"""The storyboard picture: the plan at a glance, one row per segment.

Each row: segment number (with duration and camera when known), first frame -> last frame, and
the narration. A plan with a cast gets a strip under the title: each character's reference
portrait with its name. Text is drawn in fonts pip installs (``storyreel.assembly.fonts``: every
script the stories come in, Arabic joined and right to left), so it renders without fonts.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import av
from PIL import Image, ImageDraw, ImageOps, UnidentifiedImageError

from storyreel.assembly.ffmpeg import atomic_output
from storyreel.assembly.fonts import font_for, line_height, wrap_to_width
from storyreel.errors import MediaError
from storyreel.language import is_rtl

# A thumbnail's long side: 320x180 for 16:9, 180x320 for 9:16, 320x320 for 1:1.
THUMB_SIDE = 320
MARGIN = 24
LABEL_WIDTH = 150
ARROW_WIDTH = 48
TEXT_WIDTH = 560
BACKGROUND = (24, 26, 31)
PANEL = (38, 41, 48)
INK = (236, 238, 242)
MUTED = (160, 166, 178)
PORTRAIT_SIDE = 150
CAST_NAME_HEIGHT = 30


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


def thumb_size(frame: tuple[int, int]) -> tuple[int, int]:
    """The frame's shape scaled to a ``THUMB_SIDE`` long side, so portrait frames fit whole."""
    width, height = frame
    scale = THUMB_SIDE / max(width, height)
    return max(1, round(width * scale)), max(1, round(height * scale))


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
    cast: Sequence[tuple[str, Path | None]] = (),
) -> Path:
    """Draw the storyboard PNG at ``out``: ``title`` on top, the ``cast`` (name, reference
    picture or None) in a strip, then per segment its number, first frame -> last frame and
    narration (``durations`` and ``cameras`` add to the label)."""
    if len(frames) != len(captions):
        raise ValueError("one caption per pair of frames")
    title_font = font_for(title, 34)
    label_font, small_font = font_for("", 26), font_for("", 17)
    rows = []
    thumb: tuple[int, int] | None = None  # every frame of a video has one shape: the first's
    for n, ((first, last), caption) in enumerate(zip(frames, captions, strict=True)):
        head = load_frame(first)
        thumb = thumb or thumb_size(head.size)
        thumbs = [
            ImageOps.pad(head, thumb, color=(0, 0, 0)),
            ImageOps.pad(load_frame(last, last=True), thumb, color=(0, 0, 0)),
        ]
        text_font = font_for(caption, 19)
        lines = wrap_to_width(caption, text_font, TEXT_WIDTH)
        height = max(thumb[1], line_height(text_font) * len(lines)) + 2 * 16
        rows.append((n, thumbs, lines, text_font, is_rtl(caption), height))

    thumb_w, thumb_h = thumb or thumb_size((16, 9))
    width = MARGIN * 2 + LABEL_WIDTH + thumb_w * 2 + ARROW_WIDTH + MARGIN + TEXT_WIDTH + 16
    strip = PORTRAIT_SIDE + CAST_NAME_HEIGHT + 2 * 16 + 12 if cast else 0
    width = max(width, MARGIN * 2 + 16 + len(cast) * (PORTRAIT_SIDE + 16))
    header = 80
    height = header + strip + sum(r[-1] + 12 for r in rows) + MARGIN
    board = Image.new("RGB", (width, height), BACKGROUND)
    draw = ImageDraw.Draw(board)
    count = f"{len(rows)} segments"
    if is_rtl(title):  # the title on the right, as it reads; the count goes left
        draw.text((width - MARGIN, 22), title, font=title_font, fill=INK, anchor="ra")
        draw.text((MARGIN, 34), count, font=small_font, fill=MUTED)
    else:
        draw.text((MARGIN, 22), title, font=title_font, fill=INK)
        draw.text((width - MARGIN, 34), count, font=small_font, fill=MUTED, anchor="ra")

    if cast:
        _cast_strip(board, draw, cast, header, width)
    y = header + strip
    for n, thumbs, lines, text_font, rtl, row_height in rows:
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
        ty = y + (row_height - thumb_h) // 2
        board.paste(thumbs[0], (x, ty))
        _arrow(draw, x + thumb_w + 10, x + thumb_w + ARROW_WIDTH - 10, ty + thumb_h // 2)
        board.paste(thumbs[1], (x + thumb_w + ARROW_WIDTH, ty))
        tx = x + thumb_w * 2 + ARROW_WIDTH + MARGIN
        step = line_height(text_font)
        text_top = y + (row_height - step * len(lines)) // 2
        for k, line in enumerate(lines):
            if rtl:  # right-aligned, as right-to-left text reads
                right = tx + TEXT_WIDTH
                draw.text((right, text_top + k * step), line, font=text_font, fill=INK,
                          anchor="ra")  # fmt: skip
            else:
                draw.text((tx, text_top + k * step), line, font=text_font, fill=INK)
        y += row_height + 12

    with atomic_output(out) as tmp:
        board.save(tmp, format="PNG")
    return out


def _cast_strip(
    board: Image.Image,
    draw: ImageDraw.ImageDraw,
    cast: Sequence[tuple[str, Path | None]],
    top: int,
    width: int,
) -> None:
    """The cast's reference portraits side by side, each with its name under it."""
    height = PORTRAIT_SIDE + CAST_NAME_HEIGHT + 2 * 16
    draw.rounded_rectangle((MARGIN, top, width - MARGIN, top + height), radius=10, fill=PANEL)
    x = MARGIN + 16
    side = (PORTRAIT_SIDE, PORTRAIT_SIDE)
    for name, picture in cast:
        if picture is not None and picture.is_file():
            board.paste(ImageOps.fit(load_frame(picture), side), (x, top + 16))
        else:  # no picture (a model drawing from words): an empty frame keeps the layout
            draw.rectangle(
                (x, top + 16, x + PORTRAIT_SIDE, top + 16 + PORTRAIT_SIDE), outline=MUTED
            )
        font = font_for(name, 18)
        label = wrap_to_width(name, font, PORTRAIT_SIDE)[0]
        draw.text((x + PORTRAIT_SIDE // 2, top + 24 + PORTRAIT_SIDE), label, font=font, fill=INK,
                  anchor="ma")  # fmt: skip
        x += PORTRAIT_SIDE + 16
