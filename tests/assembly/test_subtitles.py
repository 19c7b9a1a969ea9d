from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest
import srt

from storyreel.assembly.spec import OutputSpec
from storyreel.assembly.subtitles import (
    CAPTION_STYLES,
    MAX_LINE,
    Cue,
    narration_cues,
    read_srt,
    render_caption,
    split_narration,
    wrap_lines,
    write_srt,
)

LONG = (
    "Once upon a time, in a quiet village at the edge of a dark and endless forest, there "
    "lived an old clockmaker who never slept. He fixed every clock in town. Nobody knew why, "
    "and nobody dared to ask him, because his eyes were strange and grey like a winter sky "
    "over the northern mountains."
)


def test_long_narration_splits_into_readable_cues() -> None:
    chunks = split_narration(LONG)
    assert len(chunks) >= 4
    assert " ".join(chunks).split() == LONG.split()  # nothing lost, nothing added, in order
    for chunk in chunks:
        lines = wrap_lines(chunk)
        assert 1 <= len(lines) <= 2
        assert all(len(line) <= MAX_LINE for line in lines)


def test_two_lines_are_balanced() -> None:
    assert wrap_lines("Nobody knew why, and nobody dared to ask him,") == [
        "Nobody knew why, and",
        "nobody dared to ask him,",
    ]


def test_short_sentences_share_a_cue() -> None:
    assert split_narration("Hi. It is late.  The clocks stop.") == [
        "Hi. It is late. The clocks stop."
    ]


def test_text_without_spaces_is_cut() -> None:
    chunks = split_narration("这是一个很长的中文句子" * 12)
    assert all(len(line) <= MAX_LINE for c in chunks for line in wrap_lines(c))
    assert "".join(chunks) == "这是一个很长的中文句子" * 12


def test_cues_share_the_spoken_span_by_characters() -> None:
    cues = narration_cues([LONG, "The end."], [0.3, 20.3], [9.0, 1.0])
    first = [c for c in cues if c.start < 20]
    assert first[0].start == 0.3 and first[-1].end == pytest.approx(9.3, abs=0.002)
    for a, b in itertools.pairwise(first):
        assert a.end == b.start  # contiguous
    letters = [len(c.text.replace(" ", "").replace("\n", "")) for c in first]
    rates = [(c.end - c.start) / n for c, n in zip(first, letters, strict=True)]
    assert max(rates) - min(rates) < 0.01
    assert cues[-1] == Cue(20.3, 21.3, "The end.")


def test_segments_without_speech_have_no_cues() -> None:
    assert narration_cues(["  ", "Hello."], [0.3, 6.3], [0.0, 0.0]) == []
    with pytest.raises(ValueError):
        narration_cues(["a"], [0.0, 1.0], [1.0])


def test_write_srt_is_utf8_and_parses(tmp_path: Path) -> None:
    cues = [Cue(0.3, 2.25, "Déjà vu,\nmon café"), Cue(2.25, 4.0, "naïve — «fin»")]
    path = write_srt(cues, tmp_path / "final_video.srt")
    text = path.read_text(encoding="utf-8")
    assert text.startswith("1\n00:00:00,300 --> 00:00:02,250\nDéjà vu,\nmon café\n")
    parsed = list(srt.parse(text))
    assert [s.index for s in parsed] == [1, 2]
    assert read_srt(path) == cues
    assert [p.name for p in tmp_path.iterdir()] == ["final_video.srt"]


def test_caption_is_drawn_at_the_bottom() -> None:
    image = render_caption("Hello there,\nlittle clock", (640, 360))
    assert image.size == (640, 360) and image.mode == "RGBA"
    box = image.getbbox()
    assert box is not None
    assert box[1] > 360 // 2  # bottom half only
    assert image.getpixel((320, 10)) == (0, 0, 0, 0)  # transparent elsewhere


@pytest.mark.parametrize("spec", [OutputSpec(width=320, height=180), OutputSpec()])
def test_caption_fits_the_frame(spec: OutputSpec) -> None:
    image = render_caption("W" * 42 + "\n" + "M" * 42, spec.size)
    box = image.getbbox()
    assert box is not None and box[0] >= 0 and box[2] <= spec.width


@pytest.mark.parametrize("name", sorted(CAPTION_STYLES))
@pytest.mark.parametrize("spec", [OutputSpec(width=320, height=180), OutputSpec()])
def test_every_style_stays_inside_the_frame_in_the_bottom_half(name: str, spec: OutputSpec) -> None:
    image = render_caption("W" * 42 + "\n" + "M" * 42, spec.size, CAPTION_STYLES[name])
    box = image.getbbox()
    assert box is not None
    assert box[0] >= 0 and box[2] <= spec.width and box[3] <= spec.height
    assert box[1] > spec.height // 2


def test_styles_look_as_named() -> None:
    size = (640, 360)

    def count(name: str, colour: tuple[int, int, int, int]) -> int:
        pixels = np.asarray(render_caption("Hello there", size, CAPTION_STYLES[name]))
        return int(np.all(pixels == colour, axis=-1).sum())

    band = (0, 0, 0, 150)
    assert count("boxed", band) > 2000  # the dark band behind the text
    assert count("clean", band) < 50 and count("bold-outline", band) < 50  # no band
    assert count("bold-outline", (255, 230, 80, 255)) > 100  # yellow text
    assert count("clean", (255, 255, 255, 255)) > 100  # white text

    def height(name: str) -> int:
        box = render_caption("Hello", size, CAPTION_STYLES[name]).getbbox()
        assert box is not None
        return box[3] - box[1]

    assert height("bold-outline") > height("clean")  # the largest text


def test_the_job_options_offer_exactly_the_styles() -> None:
    from typing import get_args

    from storyreel.cli.options import SubtitleStyle
    from storyreel.pipeline.jobs import JobOptions

    literal = JobOptions.model_fields["subtitle_style"].annotation
    assert set(get_args(literal)) == set(CAPTION_STYLES) == {s.value for s in SubtitleStyle}
