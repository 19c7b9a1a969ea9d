"""Fonts that draw every script the stories come in, from pip packages (no system font needed).

- Noto Sans CJK (``manimgx-fonts-cjk``): Chinese, Japanese, Korean, and Latin, Greek and Cyrillic
  too, so it is the font for everything but Arabic-script text;
- Noto Sans Arabic (``fontpkg-noto-sans-arabic``): Arabic, Persian, Urdu, with Latin.

Pillow lays text out with libraqm (HarfBuzz + FriBiDi, bundled in its wheels): Arabic letters are
joined and right-to-left runs ordered correctly without being told the direction. Pillow has no
per-glyph font fallback, so a line is drawn in one font: the Arabic one when it holds Arabic
letters (it has Latin for the rest), the CJK one otherwise.
"""

from __future__ import annotations

import logging
import re
from functools import cache
from pathlib import Path

from PIL import ImageFont, features

from storyreel.language import SPACELESS_CHARS, has_arabic, join_text

log = logging.getLogger(__name__)

# Noto Sans CJK's collection: JP, KR, SC, TC, HK. Simplified Chinese glyph forms by default.
CJK_INDEX = 2
REGULAR = 400  # the fonts are variable; their default instance is Thin
# A word, or one CJK character with the punctuation after it: where a line may break.
_BREAKS = re.compile(f"[{SPACELESS_CHARS}][^\\s\\w]*|(?:(?![{SPACELESS_CHARS}])\\S)+")


def cjk_font_path() -> Path:
    """Noto Sans CJK's collection (the face is chosen by :data:`CJK_INDEX`)."""
    import manimgx_fonts_cjk

    return Path(manimgx_fonts_cjk.__file__).resolve().parent / "NotoSansCJK-VF.otf.ttc"


def arabic_font_path() -> Path:
    import fontpkg_noto_sans_arabic

    return next((Path(fontpkg_noto_sans_arabic.ROOT) / "files").glob("NotoSansArabic*.ttf"))


@cache
def _check_raqm() -> bool:
    """libraqm needs the system's FriBiDi (libfribidi0): without it Arabic is drawn unjoined and
    left to right. Said once; everything else draws as before."""
    if features.check("raqm"):
        return True
    log.warning("Pillow cannot use libraqm (install libfribidi0): Arabic text is not shaped")
    return False


@cache
def _load(kind: str, size: int) -> ImageFont.FreeTypeFont:
    if kind == "arabic":
        _check_raqm()
    if kind == "arabic":
        font = ImageFont.truetype(str(arabic_font_path()), size)
    else:
        font = ImageFont.truetype(str(cjk_font_path()), size, index=CJK_INDEX)
    axes = font.get_variation_axes()
    font.set_variation_by_axes(
        [REGULAR if axis["name"] == b"Weight" else axis["default"] or 0 for axis in axes]
    )
    return font


def line_height(font: ImageFont.FreeTypeFont) -> int:
    """Distance between lines: Arabic's marks above and below need more than Latin's 1.25."""
    ascent, descent = font.getmetrics()
    return round(max(font.size * 1.25, (ascent + descent) * 0.8))


def font_for(text: str, size: int) -> ImageFont.FreeTypeFont:
    """A font of ``size`` pixels that has the glyphs of ``text``."""
    return _load("arabic" if has_arabic(text) else "cjk", size)


def wrap_to_width(text: str, font: ImageFont.FreeTypeFont, width: float) -> list[str]:
    """Lines of ``text`` at most ``width`` pixels wide in ``font``, broken between words, or
    between characters of scripts written without spaces."""
    lines: list[str] = []
    current = ""
    for atom in _BREAKS.findall(text):
        candidate = join_text(current, atom)
        if current and font.getlength(candidate) > width:
            lines.append(current)
            current = atom
        else:
            current = candidate
    return [*lines, current] if current else lines
