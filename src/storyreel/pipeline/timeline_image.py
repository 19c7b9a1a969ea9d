"""The job timeline as a PNG (Pillow): a row per segment, seconds along the bottom, a legend.

The bars come from :func:`storyreel.pipeline.timeline.layout`; this module only places them.
The picture is ``WIDTH`` pixels wide and as tall as its rows (:func:`image_size`).
"""

from __future__ import annotations

import asyncio
import io
import math

from PIL import Image, ImageDraw

from storyreel.assembly.fonts import font_for
from storyreel.pipeline.store import Job, JobStore
from storyreel.pipeline.timeline import LANES, Bar, Part, Timeline, layout

WIDTH = 1400
LEFT = 120  # the row labels
RIGHT = 30
TOP = 64  # the title
LANE_H = 13
LANE_GAP = 2
ROW_PAD = 6
ROW_H = ROW_PAD * 2 + LANES * LANE_H + (LANES - 1) * LANE_GAP
AXIS_H = 40
LEGEND_ROW_H = 26
LEGEND_ITEM_W = 190
BOTTOM_PAD = 14
# A job's stored events are few (progress is thinned to one a second per step); the cap only
# bounds a pathological one.
MAX_EVENTS = 200_000
# Wide enough for a bar to carry its seconds.
LABEL_MIN_PX = 44

BACKGROUND = (255, 255, 255)
STRIPE = (244, 246, 249)
GRID = (222, 226, 232)
INK = (30, 33, 40)
MUTED = (110, 116, 128)
COLOURS: dict[Part, tuple[int, int, int]] = {
    "plan": (120, 94, 180),
    "speech": (52, 140, 212),
    "cast": (150, 190, 60),
    "frame": (40, 170, 140),
    "queued": (200, 200, 206),
    "rpm": (226, 60, 50),
    "create": (245, 160, 40),
    "wait": (250, 214, 120),
    "download": (140, 90, 40),
    "video": (235, 150, 70),
    "mux": (90, 110, 130),
    "music": (200, 110, 180),
    "assemble": (30, 33, 40),
}
NAMES: dict[Part, str] = {
    "plan": "plan",
    "speech": "speech",
    "cast": "cast portraits",
    "frame": "keyframes",
    "queued": "queued (create slot)",
    "rpm": "RPM wait",
    "create": "create request",
    "wait": "provider renders",
    "download": "download",
    "video": "clip (local render)",
    "mux": "mux",
    "music": "music",
    "assemble": "assemble",
}


def _legend_columns() -> int:
    return max(1, (WIDTH - LEFT - RIGHT) // LEGEND_ITEM_W)


def image_size(timeline: Timeline) -> tuple[int, int]:
    legend_rows = math.ceil(max(1, len(timeline.parts())) / _legend_columns())
    height = TOP + ROW_H * len(timeline.rows) + AXIS_H + LEGEND_ROW_H * legend_rows + BOTTOM_PAD
    return WIDTH, height


def tick_step(span: float, *, most: int = 12) -> float:
    """A round number of seconds between axis ticks: at most ``most`` ticks over ``span``."""
    for step in (0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200):
        if span / step <= most:
            return float(step)
    return 3600.0 * math.ceil(span / 3600 / most)


def bar_box(timeline: Timeline, bar: Bar) -> tuple[int, int, int, int]:
    """The pixel box (left, top, right, bottom) of ``bar``: at least one pixel wide."""
    scale = (WIDTH - LEFT - RIGHT) / max(timeline.span, 1e-6)
    x0 = LEFT + round(bar.start * scale)
    x1 = max(x0 + 1, LEFT + round(bar.end * scale))
    y0 = TOP + bar.row * ROW_H + ROW_PAD + bar.lane * (LANE_H + LANE_GAP)
    return x0, y0, x1, y0 + LANE_H


def draw(timeline: Timeline, title: str) -> Image.Image:
    width, height = image_size(timeline)
    image = Image.new("RGB", (width, height), BACKGROUND)
    pen = ImageDraw.Draw(image)
    title_font, label_font, small_font = font_for(title, 20), font_for("", 15), font_for("", 12)
    pen.text((LEFT, 14), title, font=title_font, fill=INK)
    state = "" if timeline.finished else " (still running)"
    pen.text(
        (LEFT, 40),
        f"{timeline.span:.1f} s in all, {timeline.segments} segments{state}",
        font=small_font,
        fill=MUTED,
    )
    plot_bottom = TOP + ROW_H * len(timeline.rows)
    for row, label in enumerate(timeline.rows):
        y = TOP + row * ROW_H
        if row % 2:
            pen.rectangle((LEFT, y, width - RIGHT, y + ROW_H - 1), fill=STRIPE)
        pen.text((LEFT - 10, y + ROW_H // 2), label, font=label_font, fill=INK, anchor="rm")
    # The axis: a grid line and a label per tick.
    step = tick_step(timeline.span)
    scale = (width - LEFT - RIGHT) / max(timeline.span, 1e-6)
    tick = 0.0
    while tick <= timeline.span + 1e-9:
        x = LEFT + round(tick * scale)
        pen.line((x, TOP, x, plot_bottom), fill=GRID)
        pen.line((x, plot_bottom, x, plot_bottom + 5), fill=INK)
        text = f"{tick:g} s"
        pen.text((x, plot_bottom + 8), text, font=small_font, fill=MUTED, anchor="ma")
        tick += step
    pen.line((LEFT, plot_bottom, width - RIGHT, plot_bottom), fill=INK)
    for bar in timeline.bars:
        box = bar_box(timeline, bar)
        colour = COLOURS[bar.part]
        if bar.reused:  # answered from the store: pale, outlined
            pen.rectangle(box, fill=_pale(colour), outline=colour)
        else:
            pen.rectangle(box, fill=colour, outline=(255, 0, 0) if bar.state == "failed" else None)
        if box[2] - box[0] >= LABEL_MIN_PX:
            centre = ((box[0] + box[2]) // 2, (box[1] + box[3]) // 2)
            ink = INK if bar.reused or _light(colour) else BACKGROUND
            pen.text(centre, f"{bar.seconds:.1f} s", font=small_font, fill=ink, anchor="mm")
    # The legend: the parts this run has.
    columns = _legend_columns()
    legend_top = plot_bottom + AXIS_H
    for n, part in enumerate(timeline.parts()):
        x = LEFT + (n % columns) * LEGEND_ITEM_W
        y = legend_top + (n // columns) * LEGEND_ROW_H
        pen.rectangle((x, y + 4, x + 22, y + 4 + LANE_H), fill=COLOURS[part])
        pen.text((x + 30, y + 4 + LANE_H // 2), NAMES[part], font=label_font, fill=INK, anchor="lm")
    return image


def png(timeline: Timeline, title: str) -> bytes:
    """The picture as PNG bytes (blocking: run it in a thread from async code)."""
    out = io.BytesIO()
    draw(timeline, title).save(out, format="PNG", optimize=True)
    return out.getvalue()


async def job_timeline_png(store: JobStore, job: Job) -> bytes | None:
    """The picture of ``job``'s last run, or None while no step of it has started."""
    timeline = layout(await store.events(job.id, limit=MAX_EVENTS))
    if not timeline.bars:
        return None
    name = job.plan.title if job.plan else job.story.strip().splitlines()[0][:60]
    return await asyncio.to_thread(png, timeline, f"{name}  ({job.id}, {job.status})")


def _pale(colour: tuple[int, int, int]) -> tuple[int, int, int]:
    r, g, b = colour
    return (r + (255 - r) * 3 // 4, g + (255 - g) * 3 // 4, b + (255 - b) * 3 // 4)


def _light(colour: tuple[int, int, int]) -> bool:
    r, g, b = colour
    return 0.299 * r + 0.587 * g + 0.114 * b > 150
