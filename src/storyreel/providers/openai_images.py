"""Keyframes from OpenAI's GPT image models (default ``gpt-image-2.5-flare``).

What each model takes comes from the catalogue (``storyreel.providers.catalogue``): the
gpt-image-2 family is asked for the frame's own aspect (1536x864 for 16:9), models with only the
standard sizes for the nearest of 1536x1024, 1024x1536 and 1024x1024, cropped afterwards. Every
size meets MiniMax's frame rules (short side > 300 px, aspect within 2:5..5:2). The quality is
always sent, so the estimate prices what is drawn. Frame 0 is passed as the reference of later
frames (``images.edit``) so characters and style carry over.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import io
import logging
from pathlib import Path
from typing import Any

import openai
from openai import AsyncOpenAI
from openai.types import ImagesResponse
from PIL import Image, ImageOps, UnidentifiedImageError

from storyreel.config import Settings
from storyreel.errors import ConfigError, ProviderError
from storyreel.files import write_bytes_atomic_sync
from storyreel.providers._openai_common import PROVIDER, build_openai_client, provider_error
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


def compose_prompt(prompt: str, style: str, *, model: str, with_reference: bool) -> str:
    text = prompt.strip()
    if style.strip() and style.strip().lower() not in text.lower():
        text = f"{text}\nVisual style: {style.strip()}"
    if with_reference:
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
        self._edits = image_family(self.model).edits
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
        reference: Path | None = None,
        take: int = 1,
    ) -> Path:
        # ``take`` needs nothing sent: every request draws a new picture.
        use_reference = reference is not None and self._edits
        if reference is not None and not use_reference:
            log.debug("%s takes no reference image; drawing without it", self.model)
        width, height = request_size(self.model, size)
        text = compose_prompt(prompt, style, model=self.model, with_reference=use_reference)
        try:
            if use_reference and reference is not None:
                data = await asyncio.to_thread(reference.read_bytes)
                response = await self._client.images.edit(
                    model=self.model,
                    image=(reference.name, data, _mime(reference)),
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
        b64 = _first_b64(response)
        return await asyncio.to_thread(_write_frame, b64, size, out)


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


def _mime(path: Path) -> str:
    return {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".webp": "image/webp"}.get(
        path.suffix.lower(), "image/png"
    )
