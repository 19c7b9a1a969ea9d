"""Subtitles from the narration: readable cues, timed within each segment's spoken span.

Cues hold at most two lines of about 42 characters (the usual broadcast limit), break at
sentence and clause ends where they can, and share the spoken time in proportion to their
characters (half as many for Chinese and Japanese, whose characters are twice as wide). Burned
captions are drawn with Pillow in fonts that pip installs (``storyreel.assembly.fonts``: CJK and
Arabic, shaped right to left), so they render on a machine without any system font (libass would
need fontconfig and an installed font).
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import reduce
from pathlib import Path

import srt
from PIL import Image, ImageDraw

from storyreel.assembly.commands import image_playlist
from storyreel.assembly.ffmpeg import atomic_output
from storyreel.assembly.fonts import font_for, line_height, wrap_to_width
from storyreel.assembly.spec import OutputSpec
from storyreel.language import join_text, spaceless_count

MAX_LINE = 42
MAX_LINES = 2

# sentence and clause ends, with the CJK full-width forms
_SENTENCE = re.compile(r"[^.!?…。！？]+(?:[.!?…。！？]+[\"'”’)\]]*)?\s*")  # noqa: RUF001
_CLAUSE_END = re.compile(r"(?<=[,;:，；：、—])\s*")  # noqa: RUF001


@dataclass(frozen=True)
class Cue:
    start: float  # seconds from the start of the video
    end: float
    text: str  # lines joined by "\n"


def _line_chars(text: str) -> int:
    # A CJK character is as wide as two Latin ones.
    return MAX_LINE // 2 if spaceless_count(text) else MAX_LINE


def wrap_lines(text: str, width: int | None = None) -> list[str]:
    """Lines of at most ``width`` characters; two lines are balanced (no lonely last word)."""
    text = " ".join(text.split())
    width = width or _line_chars(text)
    lines = textwrap.wrap(text, width, break_long_words=True, break_on_hyphens=False)
    if len(lines) != 2:
        return lines
    words = text.split(" ")
    splits = [[" ".join(words[:i]), " ".join(words[i:])] for i in range(1, len(words))]
    fitting = [pair for pair in splits if max(len(pair[0]), len(pair[1])) <= width]
    if not fitting:
        return lines
    return min(fitting, key=lambda pair: max(len(pair[0]), len(pair[1])))


def _fits(text: str) -> bool:
    return len(wrap_lines(text)) <= MAX_LINES


def _pack(tokens: Sequence[str], *, words: bool) -> list[str]:
    """Greedily pack tokens (clauses, or words when ``words``) into chunks that each fit a cue."""
    chunks: list[str] = []
    current = ""
    for token in tokens:
        if not token:
            continue
        candidate = f"{current} {token}" if current else token
        if _fits(candidate):
            current = candidate
            continue
        if current:
            chunks.append(current)
        if _fits(token):
            current = token
        elif words:  # one word longer than a cue (e.g. text without spaces): cut it
            size = _line_chars(token) * MAX_LINES
            pieces = [token[i : i + size] for i in range(0, len(token), size)]
            chunks += pieces[:-1]
            current = pieces[-1]
        else:  # a clause too long for a cue: pack its words
            packed = _pack(token.split(" "), words=True)
            chunks += packed[:-1]
            current = packed[-1]
    if current:
        chunks.append(current)
    if words and len(chunks) >= 2:
        chunks[-2:] = _balance(chunks[-2], chunks[-1])
    return chunks


def _balance(first: str, second: str) -> list[str]:
    """Re-split two chunks as evenly as they fit, so no cue ends with a lonely word."""
    words = f"{first} {second}".split(" ")
    best = [first, second]
    for cut in range(1, len(words)):
        a, b = " ".join(words[:cut]), " ".join(words[cut:])
        if _fits(a) and _fits(b) and max(len(a), len(b)) < max(len(x) for x in best):
            best = [a, b]
    return best


def split_narration(text: str) -> list[str]:
    """Split ``text`` into cue texts of at most two lines of ``MAX_LINE`` characters."""
    text = " ".join(text.split())
    if not text:
        return []
    chunks: list[str] = []
    for sentence in (s.strip() for s in _SENTENCE.findall(text)):
        if not sentence:
            continue
        pieces = [sentence] if _fits(sentence) else _pack(_CLAUSE_END.split(sentence), words=False)
        # short sentences share a cue when together they still fit
        if chunks and len(pieces) == 1 and _fits(join_text(chunks[-1], pieces[0])):
            chunks[-1] = join_text(chunks[-1], pieces[0])
        else:
            chunks += pieces
    return chunks


def narration_cues(
    narrations: list[str], starts: list[float], speech_durations: list[float]
) -> list[Cue]:
    """Cues for every segment: ``starts[i]`` is when segment i's speech starts in the video and
    ``speech_durations[i]`` how long it lasts; each cue gets time in proportion to its letters."""
    if not len(narrations) == len(starts) == len(speech_durations):
        raise ValueError("narrations, starts and speech_durations must have the same length")
    cues: list[Cue] = []
    for text, start, speech in zip(narrations, starts, speech_durations, strict=True):
        chunks = split_narration(text)
        if not chunks or speech <= 0:
            continue
        weights = [max(1, len(c.replace(" ", ""))) for c in chunks]
        total = sum(weights)
        done = 0
        for chunk, weight in zip(chunks, weights, strict=True):
            cue_start = start + speech * done / total
            done += weight
            cue_end = start + speech * done / total
            cues.append(Cue(round(cue_start, 3), round(cue_end, 3), "\n".join(wrap_lines(chunk))))
    return cues


def write_srt(cues: list[Cue], path: Path) -> Path:
    """Write ``cues`` as an SRT file (UTF-8); return ``path``."""
    subs = [
        srt.Subtitle(
            index=i,
            start=timedelta(seconds=cue.start),
            end=timedelta(seconds=cue.end),
            content=cue.text,
        )
        for i, cue in enumerate(cues, start=1)
    ]
    with atomic_output(path) as tmp:
        tmp.write_text(srt.compose(subs, reindex=False), encoding="utf-8")
    return path


def read_srt(path: Path) -> list[Cue]:
    text = path.read_text(encoding="utf-8-sig")
    return [
        Cue(s.start.total_seconds(), s.end.total_seconds(), s.content)
        for s in srt.sort_and_reindex(srt.parse(text))
    ]


# -- burned captions ------------------------------------------------------------------------


@dataclass(frozen=True)
class CaptionStyle:
    """How burned captions look, in proportions of the frame (so every size looks alike)."""

    size: float  # font size as a fraction of the frame's short side
    stroke: float  # outline width as a fraction of the font size
    box_alpha: int  # 0-255 opacity of the dark band behind the text (0: no band)
    fill: tuple[int, int, int] = (255, 255, 255)
    margin: float = 0.06  # bottom margin as a fraction of the frame's height


# Named presets for --subtitle-style. "boxed" is the look burned captions always had.
CAPTION_STYLES: dict[str, CaptionStyle] = {
    "boxed": CaptionStyle(size=1 / 17, stroke=1 / 14, box_alpha=150),
    "clean": CaptionStyle(size=1 / 18, stroke=1 / 20, box_alpha=0),
    "bold-outline": CaptionStyle(
        size=1 / 14, stroke=1 / 7, box_alpha=0, fill=(255, 230, 80), margin=0.08
    ),
}
DEFAULT_CAPTION_STYLE = "boxed"
# Phones lay their buttons and descriptions over the bottom of a vertical video: portrait
# captions sit above that (a fraction of the frame's height).
PORTRAIT_SAFE_BOTTOM = 0.18


def caption_font_size(size: tuple[int, int], style: CaptionStyle = CAPTION_STYLES["boxed"]) -> int:
    """From the short side, so a narrow portrait frame gets as many words a line as 16:9 does."""
    return max(12, round(min(size) * style.size))


def bottom_margin(size: tuple[int, int], style: CaptionStyle = CAPTION_STYLES["boxed"]) -> int:
    """Pixels between the captions and the frame's bottom edge (the safe area in portrait)."""
    width, height = size
    share = max(style.margin, PORTRAIT_SAFE_BOTTOM) if height > width else style.margin
    return round(height * share)


def render_caption(
    text: str, size: tuple[int, int], style: CaptionStyle = CAPTION_STYLES["boxed"]
) -> Image.Image:
    """A transparent frame with ``text`` centred near the bottom in ``style``: light text with
    a dark outline, on a dark band when the style has one."""
    width, height = size
    font = font_for(text, caption_font_size(size, style))
    image = Image.new("RGBA", size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    room = width * 0.9
    raws = text.splitlines()
    if any(font.getlength(raw) > room for raw in raws):
        # The cue's lines were balanced by characters for a wide frame; a narrow (portrait) one
        # re-wraps the whole cue, or each line would break in two and leave short stubs.
        raws = [reduce(join_text, raws, "")]
    lines = [line for raw in raws for line in wrap_to_width(raw, font, room)]
    step = line_height(font)
    pad = max(4, font.size // 3)
    block = step * len(lines)
    # the margin is kept below the band too, where the style draws one
    top = height - bottom_margin(size, style) - block - (pad if style.box_alpha else 0)
    widest = max((draw.textlength(line, font=font) for line in lines), default=0.0)
    left = (width - widest) / 2
    if style.box_alpha:
        draw.rounded_rectangle(
            # Pillow's box includes its last row: stop one short of the margin, not on it.
            (left - 2 * pad, top - pad, left + widest + 2 * pad, top + block + pad - 1),
            radius=pad,
            fill=(0, 0, 0, style.box_alpha),
        )
    stroke = max(1, round(font.size * style.stroke))
    for n, line in enumerate(lines):
        x = (width - draw.textlength(line, font=font)) / 2
        draw.text((x, top + n * step), line, font=font, fill=(*style.fill, 255),
                  stroke_width=stroke, stroke_fill=(0, 0, 0, 255))  # fmt: skip
    return image


def caption_track(
    cues: Sequence[Cue],
    spec: OutputSpec,
    work: Path,
    duration: float,
    style: CaptionStyle = CAPTION_STYLES[DEFAULT_CAPTION_STYLE],
) -> Path:
    """Render each cue to a PNG and write an ffconcat playlist that shows each at its time
    (a blank frame in the gaps), to be overlaid on the video in one pass."""
    blank = work / "caption_blank.png"
    Image.new("RGBA", spec.size, (0, 0, 0, 0)).save(blank)
    entries: list[tuple[Path, float]] = []
    t = 0.0
    for n, cue in enumerate(sorted(cues, key=lambda c: c.start)):
        start, end = max(cue.start, t), min(cue.end, duration)
        if end - start < 0.001:
            continue
        if start - t >= 0.001:
            entries.append((blank, start - t))
        png = work / f"caption_{n:04d}.png"
        render_caption(cue.text, spec.size, style).save(png)
        entries.append((png, end - start))
        t = end
    entries.append((blank, max(1.0, duration - t)))
    playlist = work / "captions.ffconcat"
    playlist.write_text(image_playlist(entries), encoding="utf-8")
    return playlist
