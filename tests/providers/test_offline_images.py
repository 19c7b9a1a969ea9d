"""Offline keyframes: size, legible caption band, distinct and deterministic, atomic PNG."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageStat

from storyreel.errors import UsageError
from storyreel.providers.base import ImageGen
from storyreel.providers.offline import OfflineImageGen
from storyreel.providers.offline.images import CAPTION_SHARE, caption_share

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


async def test_png_at_requested_size_with_caption_marker(tmp_path: Path) -> None:
    image = await draw(PROMPTS[0], tmp_path / "f.png")
    assert image.format == "PNG"
    assert image.size == SIZE
    assert image.mode == "RGB"
    assert caption_share(tmp_path / "f.png") == pytest.approx(CAPTION_SHARE, abs=0.01)
    assert not leftovers(tmp_path)  # no leftovers from the atomic write


async def test_frames_are_not_blank_and_are_distinct(tmp_path: Path) -> None:
    images = [await draw(p, tmp_path / f"{i}.png") for i, p in enumerate(PROMPTS)]
    for image in images:
        # A storyboard, not a flat colour: plenty of variation in the picture.
        assert max(ImageStat.Stat(image).stddev) > 20
    for i, a in enumerate(images):
        for b in images[i + 1 :]:
            diff = ImageStat.Stat(ImageChops.difference(a, b)).mean
            assert sum(diff) / 3 > 8


async def test_caption_band_carries_text(tmp_path: Path) -> None:
    short = await draw("Sea.", tmp_path / "a.png")
    long = await draw("Sea. " + "The keeper watched the waves roll in. " * 3, tmp_path / "b.png")
    top = round(SIZE[1] * (1 - CAPTION_SHARE)) + 6
    band_a = short.crop((0, top, SIZE[0], SIZE[1])).convert("L")
    band_b = long.crop((0, top, SIZE[0], SIZE[1])).convert("L")
    # Light text pixels on the dark band; more text, more ink.
    ink_a = sum(band_a.point(lambda v: 255 if v > 180 else 0).histogram()[255:])
    ink_b = sum(band_b.point(lambda v: 255 if v > 180 else 0).histogram()[255:])
    assert 0 < ink_a < ink_b


async def test_deterministic_and_reference_tints(tmp_path: Path) -> None:
    a = await draw(PROMPTS[1], tmp_path / "a.png")
    b = await draw(PROMPTS[1], tmp_path / "b.png")
    assert ImageChops.difference(a, b).getbbox() is None
    red = tmp_path / "red.png"
    Image.new("RGB", SIZE, (255, 0, 0)).save(red)
    tinted = await draw(PROMPTS[1], tmp_path / "c.png", reference=red)
    assert ImageStat.Stat(tinted).mean[0] > ImageStat.Stat(a).mean[0] + 5


async def test_too_small_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError):
        await OfflineImageGen().draw("x", out=tmp_path / "x.png", size=(10, 10))
