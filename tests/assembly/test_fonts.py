"""The shipped fonts draw every script of the examples: real glyphs (not the missing-glyph box),
Arabic joined by libraqm, long Chinese captions wrapped inside the picture."""

from __future__ import annotations

import pytest
from PIL import ImageFont, features

from storyreel.assembly.fonts import font_for, wrap_to_width
from storyreel.assembly.subtitles import render_caption, split_narration, wrap_lines

MISSING = "\ue000"  # a private-use code point: no font has it, so it draws the .notdef box


def mask_bytes(font: ImageFont.FreeTypeFont, text: str) -> bytes:
    return bytes(font.getmask(text))


@pytest.mark.parametrize("char", ["灯", "塔", "ж", "Я", "ñ", "¿", "ب", "ة", "A"])
def test_every_script_has_real_glyphs(char: str) -> None:
    font = font_for(char, 40)
    assert font.getmask(char).getbbox() is not None
    assert mask_bytes(font, char) != mask_bytes(font, MISSING), f"{char!r} draws as a box"


def test_arabic_is_shaped_by_raqm() -> None:
    assert features.check("raqm")
    font = font_for("منارة", 40)
    # Joined letters take their initial/medial/final forms: not the isolated letters side by side.
    word = "بلب"
    assert font.getlength(word) != sum(font.getlength(letter) for letter in word)


def test_a_chinese_caption_wraps_inside_the_frame() -> None:
    text = (
        "在北方大海边的一座岩石小岛上\uff0c"
        "一位名叫玛拉的老守护人照看着海岸上最后一座还在工作的灯塔。"
    )
    chunks = split_narration(text)
    assert "".join(chunks) == text
    assert all(len(wrap_lines(c)) <= 2 for c in chunks)
    width = 640
    image = render_caption("\n".join(wrap_lines(chunks[-1])), (width, 360))
    box = image.getbbox()
    assert box is not None and box[0] > 0 and box[2] < width


def test_lines_break_between_cjk_characters() -> None:
    font = font_for("灯", 20)
    lines = wrap_to_width("灯塔" * 30, font, 200)
    assert len(lines) > 1 and "".join(lines) == "灯塔" * 30
    assert all(font.getlength(line) <= 200 for line in lines)
