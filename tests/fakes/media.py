"""Real media for the fakes: PNG/JPEG frames (Pillow), audio tones and video clips (the
imageio-ffmpeg binary, never an ffmpeg from PATH).

Everything here is blocking; the fakes call it through ``asyncio.to_thread``. Results are cached
by content so a test suite that asks for the same clip twice pays for one encode.
"""

from __future__ import annotations

import hashlib
import io
import subprocess
import tempfile
import textwrap
import threading
from collections import OrderedDict
from functools import cache, lru_cache
from pathlib import Path

import imageio_ffmpeg
from PIL import Image, ImageDraw, ImageFont

FPS = 24
# Each encode uses a couple of threads; more than two at once just thrashes a small CI box.
_ENCODE_SLOTS = threading.BoundedSemaphore(2)
_CLIP_CACHE: OrderedDict[str, bytes] = OrderedDict()
_CLIP_CACHE_SIZE = 32
_CACHE_LOCK = threading.Lock()

AUDIO_CODECS: dict[str, list[str]] = {
    "mp3": ["-c:a", "libmp3lame", "-f", "mp3"],
    "wav": ["-c:a", "pcm_s16le", "-f", "wav"],
    "flac": ["-c:a", "flac", "-f", "flac"],
    "pcm": ["-c:a", "pcm_s16le", "-f", "s16le"],
    "opus": ["-c:a", "libopus", "-f", "ogg"],
}


@cache
def ffmpeg_exe() -> str:
    return str(imageio_ffmpeg.get_ffmpeg_exe())


def _run(args: list[str]) -> bytes:
    argv = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y", *args]
    with _ENCODE_SLOTS:
        done = subprocess.run(argv, capture_output=True, check=False, timeout=120)
    if done.returncode != 0:
        tail = done.stderr.decode(errors="replace")[-2000:]
        raise RuntimeError(f"ffmpeg failed ({done.returncode}): {tail}")
    return done.stdout


def _color(text: str) -> tuple[int, int, int]:
    digest = hashlib.sha256(text.encode()).digest()
    return (64 + digest[0] % 160, 64 + digest[1] % 160, 64 + digest[2] % 160)


def make_image(
    width: int,
    height: int,
    text: str = "",
    *,
    fmt: str = "PNG",
    base: Image.Image | None = None,
) -> bytes:
    """A ``width`` x ``height`` picture with ``text`` drawn on it, so different prompts give
    different pictures. With ``base``, the picture is that image resized and tinted (an edit)."""
    if base is not None:
        image = base.convert("RGB").resize((width, height))
        image = Image.blend(image, Image.new("RGB", (width, height), _color(text)), 0.35)
    else:
        top, bottom = _color(text), _color(text[::-1] + "#")
        # A vertical gradient: cheap, and it gives the encoder something real to compress.
        column = Image.linear_gradient("L").resize((1, height))
        image = Image.composite(
            Image.new("RGB", (width, height), bottom),
            Image.new("RGB", (width, height), top),
            column.resize((width, height)),
        )
    draw = ImageDraw.Draw(image)
    size = max(12, height // 18)
    font = ImageFont.load_default(size=size)
    lines = textwrap.wrap(text, width=max(10, int(width / (size * 0.55))))[:8]
    y = height // 10
    for line in lines:
        draw.text((width // 20, y), line, fill=(255, 255, 255), font=font)
        y += int(size * 1.3)
    out = io.BytesIO()
    if fmt.upper() in {"JPEG", "JPG"}:
        image.save(out, format="JPEG", quality=85)
    elif fmt.upper() == "WEBP":
        image.save(out, format="WEBP", quality=80)
    else:
        image.save(out, format="PNG", compress_level=1)
    return out.getvalue()


@lru_cache(maxsize=64)
def make_tone(
    seconds: float,
    *,
    fmt: str = "mp3",
    sample_rate: int = 32000,
    frequency: int = 440,
    bitrate: int = 128000,
    channels: int = 1,
) -> bytes:
    """A sine tone of ``seconds`` in ``fmt`` (mp3, wav, flac, pcm, opus): real, decodable audio."""
    if fmt not in AUDIO_CODECS:
        raise ValueError(f"unsupported audio format {fmt!r}")
    rate = 48000 if fmt == "opus" else sample_rate
    args = [
        "-f",
        "lavfi",
        "-i",
        f"sine=frequency={frequency}:sample_rate={rate}:duration={seconds:.3f}",
        "-ac",
        str(channels),
    ]
    if fmt == "mp3":
        args += ["-b:a", str(bitrate)]
    return _run([*args, *AUDIO_CODECS[fmt], "pipe:1"])


def image_size(data: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(data)) as image:
        width, height = image.size
    return int(width), int(height)


def even_size(width: int, height: int) -> tuple[int, int]:
    """H.264 in yuv420p needs even dimensions."""
    return max(2, width - width % 2), max(2, height - height % 2)


def make_clip(
    first: bytes | None,
    last: bytes | None,
    seconds: float,
    *,
    width: int,
    height: int,
    fps: int = FPS,
    label: str = "",
) -> bytes:
    """An H.264 mp4 (no audio) of ``seconds`` at ``width`` x ``height`` that cross-fades from the
    ``first`` picture to the ``last`` (either may be missing: a made-up picture stands in)."""
    width, height = even_size(width, height)
    first = first or make_image(width, height, f"first {label}")
    last = last or make_image(width, height, f"last {label}")
    key = hashlib.sha256(
        b"%d|%d|%d|%.3f|" % (width, height, fps, seconds)
        + hashlib.sha256(first).digest()
        + hashlib.sha256(last).digest()
    ).hexdigest()
    with _CACHE_LOCK:
        if key in _CLIP_CACHE:
            _CLIP_CACHE.move_to_end(key)
            return _CLIP_CACHE[key]
    frames = max(1, round(seconds * fps))
    # Decode and scale each picture once, then repeat the frame: looping the input instead
    # would decode the PNG again for every output frame.
    fit = (
        f"scale={width}:{height}:force_original_aspect_ratio=increase,crop={width}:{height},"
        f"setsar=1,format=yuv420p,loop=loop={frames - 1}:size=1:start=0,setpts=N/{fps}/TB"
    )
    graph = (
        f"[0:v]{fit}[a];[1:v]{fit}[b];"
        f"[a][b]xfade=transition=fade:duration={seconds:.3f}:offset=0,format=yuv420p[v]"
    )
    with tempfile.TemporaryDirectory(prefix="fake-clip-") as tmp:
        first_path, last_path, out = Path(tmp, "first"), Path(tmp, "last"), Path(tmp, "clip.mp4")
        first_path.write_bytes(first)
        last_path.write_bytes(last)
        _run(
            [
                *("-i", str(first_path), "-i", str(last_path)),
                *("-filter_complex", graph, "-map", "[v]", "-r", str(fps), "-t", f"{seconds:.3f}"),
                # yuv420p in TV range, as Hailuo's clips are (a JPEG keyframe would else make
                # the clip full-range yuvj420p)
                *("-c:v", "libx264", "-preset", "ultrafast", "-crf", "30", "-an"),
                *("-pix_fmt", "yuv420p", "-color_range", "tv"),
                *("-movflags", "+faststart", str(out)),
            ]
        )
        clip = out.read_bytes()
    with _CACHE_LOCK:
        _CLIP_CACHE[key] = clip
        while len(_CLIP_CACHE) > _CLIP_CACHE_SIZE:
            _CLIP_CACHE.popitem(last=False)
    return clip
