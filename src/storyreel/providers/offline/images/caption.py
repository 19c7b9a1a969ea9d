"""Writing a keyframe PNG, and reading the caption-band note of frames earlier versions drew.

Those frames printed the prompt in a band under the scene (the storyboard now shows prompts
beside the frames, and the band's text doubled up in every dissolve). Their PNG note tells the
offline video provider how tall the band is, so a job resumed across the upgrade still keeps it
still; frames drawn now carry no band and no note.
"""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image, PngImagePlugin

from storyreel.files import write_bytes_atomic_sync

CAPTION_KEY = "storyreel-caption-share"


def write_png(
    image: Image.Image, out: Path, *, pnginfo: PngImagePlugin.PngInfo | None = None
) -> Path:
    buffer = io.BytesIO()
    # Light compression: FFmpeg reads these frames back once; speed beats bytes.
    image.save(buffer, format="PNG", compress_level=1, pnginfo=pnginfo)
    return write_bytes_atomic_sync(out, buffer.getvalue())


def caption_share(path: Path) -> float:
    """The caption band's share of the height of a frame an earlier version drew; 0.0 for any
    other image (frames drawn now included)."""
    try:
        with Image.open(path) as image:
            return float(image.info.get(CAPTION_KEY, 0.0))
    except (OSError, ValueError):
        return 0.0
