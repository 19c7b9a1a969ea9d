"""Keyframes from OpenAI images (``gpt-image-1`` or ``dall-e-3``).

Each model is asked for its widest landscape size (3:2 for gpt-image-1, 7:4 for dall-e-3), and
the result is cropped to the size the pipeline asks for, so frames match the video's aspect.
Both sizes meet MiniMax's frame rules (short side > 300 px, aspect within 2:5..5:2). With
gpt-image-1 the previous frame can be passed as a reference (``images.edit``) so characters and
style carry over from frame to frame.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import io
import logging
from pathlib import Path
from typing import Literal

import openai
from openai import AsyncOpenAI
from openai.types import ImagesResponse
from PIL import Image, ImageOps, UnidentifiedImageError

from storyreel.config import Settings
from storyreel.errors import ProviderError
from storyreel.files import write_bytes_atomic_sync
from storyreel.providers._openai_common import PROVIDER, build_openai_client, provider_error

log = logging.getLogger(__name__)

STAGE = "frame"
ImageModel = Literal["gpt-image-1", "dall-e-3"]
API_SIZES: dict[str, tuple[int, int]] = {"gpt-image-1": (1536, 1024), "dall-e-3": (1792, 1024)}
_PROMPT_LIMIT = {"gpt-image-1": 32000, "dall-e-3": 4000}
_KEEP_LOOK = (
    "Keep the same characters (faces, hair, clothes, colours) and the same visual style as in "
    "the reference image. New frame: "
)


def api_size(model: str) -> tuple[int, int]:
    """The landscape size requested from ``model``."""
    try:
        return API_SIZES[model]
    except KeyError:
        raise ProviderError(
            f"unsupported image model {model!r}; use gpt-image-1 or dall-e-3",
            stage=STAGE,
            provider=PROVIDER,
            code="model",
        ) from None


def compose_prompt(prompt: str, style: str, *, model: str, with_reference: bool) -> str:
    text = prompt.strip()
    if style.strip() and style.strip().lower() not in text.lower():
        text = f"{text}\nVisual style: {style.strip()}"
    if with_reference:
        text = _KEEP_LOOK + text
    return text[: _PROMPT_LIMIT.get(model, 4000)]


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
    """Draws keyframes with ``settings.image_model``."""

    name = "openai"

    def __init__(self, settings: Settings, *, client: AsyncOpenAI | None = None) -> None:
        self.model: str = settings.image_model
        api_size(self.model)  # fail at construction, before any paid call
        self._owns_client = client is None
        self._client = client if client is not None else build_openai_client(settings.openai)

    def __repr__(self) -> str:
        return f"OpenAIImageGen(model={self.model!r})"

    def describe(self) -> str:
        return f"openai ({self.model})"

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
    ) -> Path:
        use_reference = reference is not None and self.model == "gpt-image-1"
        if reference is not None and not use_reference:
            log.debug("%s has no edit endpoint; drawing without the reference frame", self.model)
        width, height = api_size(self.model)
        text = compose_prompt(prompt, style, model=self.model, with_reference=use_reference)
        try:
            if use_reference and reference is not None:
                data = await asyncio.to_thread(reference.read_bytes)
                response = await self._client.images.edit(
                    model=self.model,
                    image=(reference.name, data, _mime(reference)),
                    prompt=text,
                    size=f"{width}x{height}",
                    n=1,
                )
            elif self.model == "dall-e-3":
                response = await self._client.images.generate(
                    model=self.model,
                    prompt=text,
                    size=f"{width}x{height}",
                    n=1,
                    response_format="b64_json",
                )
            else:
                # gpt-image models always answer base64 and reject ``response_format``.
                response = await self._client.images.generate(
                    model=self.model, prompt=text, size=f"{width}x{height}", n=1
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
