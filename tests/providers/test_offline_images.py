"""Offline keyframes: size, no printed prompt, the prompt's time of day and weather, distinct
and deterministic, atomic PNG."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageStat

from storyreel.errors import UsageError
from storyreel.providers.base import ImageGen, Reference
from storyreel.providers.offline import OfflineImageGen
from storyreel.providers.offline.images import caption_share
from storyreel.providers.offline.images.words import DUSK, FOREST, NIGHT, SEA, STORM, prompt_words

SIZE = (456, 256)
PROMPTS = [
    "Wide shot, as the shot begins: the old keeper climbed the lighthouse stairs at dawn.",
    "Close-up, at the end of the action: she lit the lamp as night fell over the harbour.",
    "A storm rolled in over the city rooftops.",
    "The travellers walked through the pine forest toward the mountains.",
]


def leftovers(folder: Path) -> list[Path]:
    """Work-in-progress files an atomic write must not leave behind."""
    return list(folder.glob(".*part*"))


async def draw(prompt: str, out: Path, **kwargs: object) -> Image.Image:
    path = await OfflineImageGen().draw(prompt, out=out, size=SIZE, style="storybook", **kwargs)  # type: ignore[arg-type]
    assert path == out
    with Image.open(path) as image:
        image.load()
        return image


def test_is_an_image_gen() -> None:
    assert isinstance(OfflineImageGen(), ImageGen)


async def test_png_at_requested_size_with_no_caption_band(tmp_path: Path) -> None:
    image = await draw(PROMPTS[0], tmp_path / "f.png")
    assert image.format == "PNG"
    assert image.size == SIZE
    assert image.mode == "RGB"
    assert caption_share(tmp_path / "f.png") == 0.0  # the scene fills the frame
    assert not leftovers(tmp_path)  # no leftovers from the atomic write


async def test_frames_are_not_blank_and_are_distinct(tmp_path: Path) -> None:
    images = [await draw(p, tmp_path / f"{i}.png") for i, p in enumerate(PROMPTS)]
    for image in images:
        # A storyboard, not a flat colour: plenty of variation in the picture (a night scene,
        # dark and even with no caption band to contrast with, varies least: about 18).
        assert max(ImageStat.Stat(image).stddev) > 14
    for i, a in enumerate(images):
        for b in images[i + 1 :]:
            diff = ImageStat.Stat(ImageChops.difference(a, b)).mean
            assert sum(diff) / 3 > 8


async def test_the_prompt_is_not_printed_on_the_picture(tmp_path: Path) -> None:
    # The same scene words with and without a long sentence of no scene meaning: a printed
    # prompt would add rows of text; without it only the per-prompt colour nudge differs.
    short = await draw("Sea.", tmp_path / "a.png")
    long = await draw("Sea. " + "Nobody said a single thing about it. " * 3, tmp_path / "b.png")
    band = (0, round(SIZE[1] * 0.76), SIZE[0], SIZE[1])
    for image in (short, long):
        light = image.crop(band).convert("L").point(lambda v: 255 if v > 235 else 0)
        assert light.histogram()[255] < 0.01 * SIZE[0] * SIZE[1] * 0.24  # no white text rows
        assert ImageStat.Stat(image.crop(band).convert("L")).mean[0] > 40  # no dark band


@pytest.mark.parametrize(
    ("phrase", "kind"),
    [
        ("swung the lanterns in slow circles against the black sky", NIGHT),
        ("one stormy night far out in the dark", NIGHT),
        ("a thunderstorm rolled over the bay", STORM),
        ("at daybreak the boat came home", DUSK),
    ],
)
def test_time_of_day_and_weather_words_reach_the_scene(phrase: str, kind: set[str]) -> None:
    assert prompt_words(phrase) & kind


@pytest.mark.parametrize(
    ("phrase", "kind"),
    [
        ("一个暴风雨的夜晚", STORM),
        ("在漆黑的夜空下", NIGHT),
        ("在北方大海边的一座岩石小岛上", SEA),
        ("في ليلة عاصفة", NIGHT),
        ("على جزيرة صخرية عند حافة البحر", SEA),
        ("Однажды штормовой ночью", STORM),
        ("Каждый вечер она поднималась", DUSK),
        ("Una noche de tormenta", NIGHT),
        ("Al amanecer el barco llegó", DUSK),
    ],
)
def test_scene_words_of_other_languages_reach_the_scene(phrase: str, kind: set[str]) -> None:
    assert prompt_words(phrase) & kind


@pytest.mark.parametrize(
    ("phrase", "kind"),
    [
        ("عدد قليل من الناس", NIGHT),  # قليل "few" holds ليل "night"
        ("انطفأ المصباح", DUSK),  # المصباح "the lamp" holds صباح "morning"
        ("Она поднялась по лестнице", FOREST),  # лестница "stairs" begins with лес "forest"
        ("María marchó", SEA),  # mar "sea" begins María and marchó
    ],
)
def test_a_stem_inside_another_word_is_not_that_word(phrase: str, kind: set[str]) -> None:
    assert not prompt_words(phrase) & kind


def test_a_black_coat_is_not_night() -> None:
    assert not prompt_words("a man in a black coat at noon") & NIGHT


async def test_a_black_sky_is_darker_than_a_day_sky(tmp_path: Path) -> None:
    night = await draw("Lanterns swung against the black sky over the sea.", tmp_path / "n.png")
    day = await draw("Boats swung at anchor under the sky over the sea.", tmp_path / "d.png")
    assert (
        ImageStat.Stat(night.convert("L")).mean[0] + 40 < ImageStat.Stat(day.convert("L")).mean[0]
    )


async def test_deterministic_and_reference_tints(tmp_path: Path) -> None:
    a = await draw(PROMPTS[1], tmp_path / "a.png")
    b = await draw(PROMPTS[1], tmp_path / "b.png")
    assert ImageChops.difference(a, b).getbbox() is None
    red = tmp_path / "red.png"
    Image.new("RGB", SIZE, (255, 0, 0)).save(red)
    tinted = await draw(PROMPTS[1], tmp_path / "c.png", references=[Reference(red)])
    assert ImageStat.Stat(tinted).mean[0] > ImageStat.Stat(a).mean[0] + 5


async def test_too_small_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError):
        await OfflineImageGen().draw("x", out=tmp_path / "x.png", size=(10, 10))
