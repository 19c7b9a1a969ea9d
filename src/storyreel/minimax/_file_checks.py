"""Checks of the files a request carries (frame images, voice-clone samples), made before any
request so that a bad file costs neither money nor an upload.

Kept apart from the parameter rules (``_validation``): these read bytes and probe media, so
every check runs in a thread.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import io
import logging
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from ._constants import (
    CLONE_AUDIO_FORMATS,
    CLONE_MAX_BYTES,
    CLONE_MAX_SECONDS,
    CLONE_MIN_SECONDS,
    IMAGE_FORMATS,
    IMAGE_MAX_ASPECT,
    IMAGE_MAX_BYTES,
    IMAGE_MIN_ASPECT,
    IMAGE_MIN_SHORT_SIDE,
)
from ._validation import fail

log = logging.getLogger(__name__)


# --- frame images --------------------------------------------------------------------------


def check_image_bytes(data: bytes, field: str) -> str:
    """Validate an image's bytes; return its MIME type (from the content, not the name)."""
    if len(data) >= IMAGE_MAX_BYTES:
        raise fail(field, f"is {len(data) / 1e6:.1f} MB", "use an image under 20 MB")
    try:
        # Pillow reads only the header here; pixels are never decoded.
        with Image.open(io.BytesIO(data)) as img:
            kind, (width, height) = img.format, img.size
    except Image.DecompressionBombError as exc:
        # The header claims more pixels than any frame MiniMax takes: refuse before decoding.
        raise fail(field, "claims far too many pixels", "use an image under 20 MB") from exc
    except (UnidentifiedImageError, OSError) as exc:
        raise fail(field, "is not a readable image", "use a JPG, PNG or WebP file") from exc
    mime = IMAGE_FORMATS.get(kind or "")
    if mime is None:
        raise fail(field, f"is a {kind} image", "use JPG, PNG or WebP")
    if min(width, height) <= IMAGE_MIN_SHORT_SIDE:
        raise fail(
            field,
            f"is {width}x{height}; the short side must be over {IMAGE_MIN_SHORT_SIDE} px",
            "use a larger image",
        )
    aspect = width / height
    if not IMAGE_MIN_ASPECT <= aspect <= IMAGE_MAX_ASPECT:
        raise fail(
            field,
            f"is {width}x{height} (aspect {aspect:.2f})",
            "crop it to an aspect ratio between 2:5 and 5:2",
        )
    return mime


def _decode_data_url(value: str, field: str) -> bytes:
    header, sep, payload = value.partition(",")
    if not sep or ";base64" not in header:
        raise fail(field, "is a data URL without base64 content", "use data:image/png;base64,...")
    try:
        return base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise fail(field, "holds invalid base64", "re-encode the image") from exc


def _image_to_url(value: str | Path, field: str) -> str:
    if isinstance(value, str) and value.startswith(("http://", "https://")):
        # A remote image cannot be checked without fetching it; the service checks it.
        return value
    if isinstance(value, str) and value.startswith("data:"):
        mime = check_image_bytes(_decode_data_url(value, field), field)
        declared = value[5:].split(";", 1)[0]
        if declared != mime:
            log.debug("%s: data URL says %s but holds %s; relabelled", field, declared, mime)
            return f"data:{mime};base64,{value.partition(',')[2]}"
        return value
    path = Path(value)
    if not path.is_file():
        raise fail(
            field, f"{str(path)!r} is not a file", "give a local image, an https URL or a data URL"
        )
    data = path.read_bytes()
    mime = check_image_bytes(data, field)
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


async def prepare_image(value: str | Path | None, field: str) -> str | None:
    """URL -> as is; data URL -> checked; local file -> checked and sent as a data URL."""
    if value is None:
        return None
    return await asyncio.to_thread(_image_to_url, value, field)


# --- voice-clone samples -------------------------------------------------------------------


def _clone_sample_checks(path: Path) -> float:
    if not path.is_file():
        raise fail("sample", f"{str(path)!r} is not a file", "give a local mp3, m4a or wav file")
    ext = path.suffix.lower().lstrip(".")
    if ext not in CLONE_AUDIO_FORMATS:
        raise fail("sample", f"is a .{ext} file", "convert it to mp3, m4a or wav")
    size = path.stat().st_size
    if size > CLONE_MAX_BYTES:
        raise fail("sample", f"is {size / 1e6:.1f} MB", "use a sample of at most 20 MB")
    seconds = audio_seconds(path)
    if not CLONE_MIN_SECONDS <= seconds <= CLONE_MAX_SECONDS:
        raise fail(
            "sample",
            f"lasts {seconds:.1f} s",
            "use a sample between 10 seconds and 5 minutes long",
        )
    return seconds


def audio_seconds(path: Path) -> float:
    """Duration of an audio file, measured with PyAV (blocking)."""
    import av  # deferred: only clone validation needs it

    try:
        with av.open(str(path)) as container:
            if container.duration is not None:
                return float(container.duration) / 1_000_000
            stream = container.streams.audio[0]
            if stream.duration is None or stream.time_base is None:
                raise TypeError("no duration")
            return float(stream.duration * stream.time_base)
    except (av.FFmpegError, IndexError, TypeError) as exc:
        raise fail("sample", "is not a readable audio file", "use an mp3, m4a or wav file") from exc


async def validate_clone_sample(path: Path) -> float:
    """mp3/m4a/wav, 10 s .. 5 min, <= 20 MB. Returns the duration in seconds."""
    return await asyncio.to_thread(_clone_sample_checks, path)
