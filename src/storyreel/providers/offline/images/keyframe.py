"""One keyframe: the scene drawn supersampled and shrunk; and the provider that writes it."""

from __future__ import annotations

import asyncio
import random
from pathlib import Path

from PIL import Image

from storyreel.errors import UsageError
from storyreel.providers.offline._base import OfflineProvider
from storyreel.providers.offline.images.caption import write_png
from storyreel.providers.offline.images.palette import average_colour, palette_for, seed
from storyreel.providers.offline.images.scene import Scene
from storyreel.providers.offline.images.words import prompt_words

# Shapes are drawn at twice the size and shrunk, which anti-aliases every edge for free.
SUPERSAMPLE = 2
MIN_SIDE = 64


def render_keyframe(
    prompt: str,
    size: tuple[int, int],
    style: str = "",
    reference: Path | None = None,
    take: int = 1,
) -> Image.Image:
    """Draw one storyboard panel (RGB) for ``prompt``; pure apart from reading ``reference``.

    The scene fills the frame; no prompt text is printed on it (the storyboard shows the
    prompts beside the frames).
    """
    width, height = size
    if width < MIN_SIDE or height < MIN_SIDE:
        raise UsageError(
            f"keyframes must be at least {MIN_SIDE}x{MIN_SIDE}, got {width}x{height}", field="size"
        )
    words = prompt_words(prompt)
    palette = palette_for(words, style, prompt, average_colour(reference))
    # A re-roll (take 2, 3...) draws another scene of the same words; take 1 stays as before.
    parts = ("scene", prompt, style) if take == 1 else ("scene", prompt, style, str(take))
    rng = random.Random(seed(*parts))
    scene = Scene(width * SUPERSAMPLE, height * SUPERSAMPLE, words, palette, rng).render()
    return scene.resize((width, height), Image.Resampling.LANCZOS)


class OfflineImageGen(OfflineProvider):
    """Keyframes without a model: deterministic storyboard panels."""

    async def draw(
        self,
        prompt: str,
        *,
        out: Path,
        size: tuple[int, int],
        style: str = "",
        reference: Path | None = None,
        take: int = 1,
    ) -> Path:
        def work() -> Path:
            return write_png(render_keyframe(prompt, size, style, reference, take), out)

        return await asyncio.to_thread(work)
