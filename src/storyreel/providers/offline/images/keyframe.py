"""One keyframe: the scene drawn supersampled and shrunk; and the provider that writes it."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Sequence
from pathlib import Path

from PIL import Image

from storyreel.errors import UsageError
from storyreel.plan import MAX_CAST
from storyreel.providers.base import Reference
from storyreel.providers.offline._base import OfflineProvider
from storyreel.providers.offline.images.caption import write_png
from storyreel.providers.offline.images.figures import (
    Figure,
    figure_for,
    figure_from_picture,
    png_note,
    render_portrait,
)
from storyreel.providers.offline.images.palette import average_colour, palette_for, seed
from storyreel.providers.offline.images.scene import Scene
from storyreel.providers.offline.images.words import prompt_words

# Shapes are drawn at twice the size and shrunk, which anti-aliases every edge for free.
SUPERSAMPLE = 2
MIN_SIDE = 64


def cast_figures(references: Sequence[Reference]) -> list[Figure]:
    """The figures of the named references (the frame's characters), in order."""
    return [
        figure_from_picture(r.path, r.name, r.description)
        if r.path is not None
        else figure_for(r.name, r.description)
        for r in references
        if r.name
    ]


def render_keyframe(
    prompt: str,
    size: tuple[int, int],
    style: str = "",
    references: Sequence[Reference] = (),
    take: int = 1,
) -> Image.Image:
    """Draw one storyboard panel (RGB) for ``prompt``; pure apart from reading the references.

    The scene fills the frame; no prompt text is printed on it (the storyboard shows the
    prompts beside the frames). Named references are the frame's characters, each drawn as its
    figure; an unnamed one (the opening frame) tints the sky toward its colours.
    """
    width, height = size
    if width < MIN_SIDE or height < MIN_SIDE:
        raise UsageError(
            f"keyframes must be at least {MIN_SIDE}x{MIN_SIDE}, got {width}x{height}", field="size"
        )
    words = prompt_words(prompt)
    anchor = next((r.path for r in references if not r.name), None)
    palette = palette_for(words, style, prompt, average_colour(anchor))
    # A re-roll (take 2, 3...) draws another scene of the same words; take 1 stays as before.
    parts = ("scene", prompt, style) if take == 1 else ("scene", prompt, style, str(take))
    rng = random.Random(seed(*parts))
    cast = cast_figures(references)
    scene = Scene(width * SUPERSAMPLE, height * SUPERSAMPLE, words, palette, rng, cast).render()
    return scene.resize((width, height), Image.Resampling.LANCZOS)


class OfflineImageGen(OfflineProvider):
    """Keyframes without a model: deterministic storyboard panels."""

    max_references = MAX_CAST

    async def draw(
        self,
        prompt: str,
        *,
        out: Path,
        size: tuple[int, int],
        style: str = "",
        references: Sequence[Reference] = (),
        take: int = 1,
    ) -> Path:
        def work() -> Path:
            return write_png(render_keyframe(prompt, size, style, references, take), out)

        return await asyncio.to_thread(work)

    async def portrait(
        self, character: Reference, *, out: Path, size: tuple[int, int], style: str = ""
    ) -> Path:
        def work() -> Path:
            figure = figure_for(character.name, character.description)
            image = render_portrait(character.name, character.description, size)
            return write_png(image, out, pnginfo=png_note(figure))

        return await asyncio.to_thread(work)
