"""Keyframes from OpenAI's GPT image models (default ``gpt-image-2.5-flare``).

What each model takes comes from the catalogue (``storyreel.providers.catalogue``): the
gpt-image-2 family is asked for the frame's own aspect (1536x864 for 16:9), models with only the
standard sizes for the nearest of 1536x1024, 1024x1536 and 1024x1024, cropped afterwards. Every
size meets MiniMax's frame rules (short side > 300 px, aspect within 2:5..5:2). The quality is
always sent, so the estimate prices what is drawn. A frame with references (its characters'
portraits or uploads; in a plan without a cast, frame 0) is an ``images.edit`` carrying every
reference in one request (multipart ``image[]``), the prompt saying which image shows whom. A
model that takes no references (dall-e, unknown servers) draws from text, the characters
described in words.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import io
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import openai
from openai import AsyncOpenAI
from openai.types import ImagesResponse
from PIL import Image, ImageOps, UnidentifiedImageError

from storyreel.cast import portrait_prompt
from storyreel.config import Settings
from storyreel.errors import ConfigError, ProviderError
from storyreel.files import write_bytes_atomic_sync
from storyreel.providers._openai_common import PROVIDER, build_openai_client, provider_error
from storyreel.providers.base import Reference
from storyreel.providers.catalogue import image_family, request_size

log = logging.getLogger(__name__)

STAGE = "frame"
_KEEP_LOOK = (
    "Keep the same characters (faces, hair, clothes, colours) and the same visual style as in "
    "the reference image. New frame: "
)


def image_quality(model: str, quality: str | None) -> str:
    """The quality sent to ``model``: the one asked for, else the family's default."""
    family = image_family(model)
    chosen = quality or family.default_quality
    if chosen not in family.qualities:
        raise ConfigError(
            f"{model} has no quality {chosen!r}",
            field="STORYREEL_IMAGE_QUALITY",
            fix=f"use one of {', '.join(family.qualities)}",
        )
    return chosen


def _cast_lines(references: Sequence[Reference], *, pictures: bool) -> str:
    """Who each reference shows: "Image 1 is Mira: ..." (pictures sent), else the looks."""
    named = [r for r in references if r.name]
    if not named:
        return ""
    if pictures:
        lines = [f"Image {n} is {r.name}: {r.description}" for n, r in enumerate(named, start=1)]
        head = (
            "The reference images show the characters of this frame. Draw each of them exactly "
            "as in their reference (face, hair, build, clothes, colours), in a new scene:"
        )
    else:
        lines = [f"{r.name}: {r.description}" for r in named]
        head = "Characters in this frame, drawn exactly as described:"
    return "\n".join([head, *lines]) + "\nThe frame: "


def compose_prompt(
    prompt: str, style: str, *, model: str, references: Sequence[Reference] = (), pictures: bool
) -> str:
    text = prompt.strip()
    if style.strip() and style.strip().lower() not in text.lower():
        text = f"{text}\nVisual style: {style.strip()}"
    cast = _cast_lines(references, pictures=pictures)
    if cast:
        text = cast + text
    elif pictures and references:
        text = _KEEP_LOOK + text
    return text[: image_family(model).prompt_limit]


def _decode_to_png(b64: str, size: tuple[int, int]) -> bytes:
    """Decode the API's image, crop-and-scale it to ``size`` and encode it as PNG."""
    try:
        raw = base64.b64decode(b64, validate=True)
        with Image.open(io.BytesIO(raw)) as img:
            img.load()
            frame = img.convert("RGB")
    except (binascii.Error, ValueError, UnidentifiedImageError, OSError) as exc:
        raise ProviderError(
            f"OpenAI returned an image that cannot be decoded ({exc})",
            stage=STAGE,
            provider=PROVIDER,
            code="bad_image",
            retryable=True,
        ) from exc
    if frame.size != size:
        frame = ImageOps.fit(frame, size, method=Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    frame.save(buffer, format="PNG", optimize=False)
    return buffer.getvalue()


def _write_frame(b64: str, size: tuple[int, int], out: Path) -> Path:
    return write_bytes_atomic_sync(out, _decode_to_png(b64, size))


class OpenAIImageGen:
    """Draws keyframes with ``settings.image_model`` at ``settings.image_quality``."""

    name = "openai"
    paid = True

    def __init__(self, settings: Settings, *, client: AsyncOpenAI | None = None) -> None:
        self.model: str = settings.image_model
        # Checked at construction, before any paid call.
        self.quality = image_quality(self.model, settings.image_quality)
        self.max_references = image_family(self.model).reference_limit
        # The SDK types quality as today's Literal; a newer family's value must pass too.
        self._quality_param: Any = self.quality
        self._owns_client = client is None
        self._client = client if client is not None else build_openai_client(settings.openai)

    def __repr__(self) -> str:
        return f"OpenAIImageGen(model={self.model!r}, quality={self.quality!r})"

    def describe(self) -> str:
        return f"openai ({self.model}, {self.quality})"

    async def aclose(self) -> None:
        if self._owns_client:
            await self._client.close()

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
        # ``take`` needs nothing sent: every request draws a new picture.
        pictures = [r.path for r in references if r.path is not None][: self.max_references]
        if len(pictures) < sum(r.path is not None for r in references):
            log.debug("%s takes %d reference images; sending those", self.model, len(pictures))
        text = compose_prompt(
            prompt, style, model=self.model, references=references, pictures=bool(pictures)
        )
        files = await asyncio.to_thread(_read_pictures, pictures) if pictures else []
        return await self._ask(text, size, out, files)

    async def portrait(
        self, character: Reference, *, out: Path, size: tuple[int, int], style: str = ""
    ) -> Path:
        text = portrait_prompt(character.name, character.description)
        return await self._ask(compose_prompt(text, style, model=self.model, pictures=False),
                               size, out, [])  # fmt: skip

    async def _ask(
        self, text: str, size: tuple[int, int], out: Path, files: list[tuple[str, bytes, str]]
    ) -> Path:
        """One paid picture: an edit of ``files`` when there are any, else a generation."""
        width, height = request_size(self.model, size)
        try:
            if files:
                # A list is sent as multipart ``image[]``, one part per picture, in order.
                response = await self._client.images.edit(
                    model=self.model,
                    image=files,
                    prompt=text,
                    size=f"{width}x{height}",
                    quality=self._quality_param,
                    n=1,
                )
            else:
                # GPT image models always answer base64 and reject ``response_format``.
                response = await self._client.images.generate(
                    model=self.model,
                    prompt=text,
                    size=f"{width}x{height}",
                    quality=self._quality_param,
                    n=1,
                )
        except openai.OpenAIError as exc:
            raise provider_error(exc, stage=STAGE) from exc
        return await asyncio.to_thread(_write_frame, _first_b64(response), size, out)


def _first_b64(response: ImagesResponse) -> str:
    if not response.data or not response.data[0].b64_json:
        raise ProviderError(
            "OpenAI answered without image data",
            stage=STAGE,
            provider=PROVIDER,
            code="no_image",
            trace_id=response._request_id,
            retryable=True,
        )
    return response.data[0].b64_json


def _read_pictures(paths: Sequence[Path]) -> list[tuple[str, bytes, str]]:
    return [(path.name, path.read_bytes(), _mime(path)) for path in paths]


def _mime(path: Path) -> str:
    return {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".webp": "image/webp"}.get(
        path.suffix.lower(), "image/png"
    )
