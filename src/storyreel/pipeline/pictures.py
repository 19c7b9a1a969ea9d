"""A picture the user gives for a keyframe: checked by MiniMax's frame rules (the frames go to
its video model as they are), then fitted to the keyframe size (cropped to its shape, never
stretched) and stored as PNG like a drawn keyframe."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image, ImageOps

from storyreel.files import write_bytes_atomic_sync
from storyreel.minimax import MiniMaxValidationError, check_image_bytes

# MiniMax's limit on a frame image (its client refuses 20 MB and more).
MAX_PICTURE_BYTES = 20 * 1024 * 1024
# Pixels a picture may have to be fitted here (an 8K frame is 33 MP): a small file can claim a
# huge canvas, and fitting decodes it whole.
MAX_PICTURE_PIXELS = 50_000_000


def check_picture(data: bytes, field: str = "file") -> str:
    """The picture's MIME type, or a MiniMaxValidationError naming ``field`` and the fix
    (format JPG/PNG/WebP, under 20 MB, short side over 300 px, aspect between 2:5 and 5:2),
    and at most 50 megapixels."""
    mime = check_image_bytes(data, field)
    with Image.open(io.BytesIO(data)) as img:  # the header only, as the check above
        width, height = img.size
    if width * height > MAX_PICTURE_PIXELS:
        raise MiniMaxValidationError(
            f"is {width}x{height}", field=field, fix="use a picture of at most 50 megapixels"
        )
    return mime


def fitted_png(data: bytes, size: tuple[int, int]) -> bytes:
    """``data`` (already checked) cropped to the shape of ``size`` and scaled to it, as PNG."""
    with Image.open(io.BytesIO(data)) as img:
        picture = ImageOps.exif_transpose(img).convert("RGB")
    fitted = ImageOps.fit(picture, size, Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    fitted.save(buffer, format="PNG")
    return buffer.getvalue()


def fit_picture(data: bytes, size: tuple[int, int], out: Path) -> Path:
    """:func:`fitted_png` written to ``out`` (atomically)."""
    return write_bytes_atomic_sync(out, fitted_png(data, size))
