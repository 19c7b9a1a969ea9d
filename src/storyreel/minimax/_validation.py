"""Checks made before any request: a bad input costs neither money nor a round trip.

Every error names the field and says how to fix it. Blocking work (reading files, decoding
images, probing audio) runs in a thread.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import io
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from PIL import Image, UnidentifiedImageError

from ._camera import CAMERA_COMMANDS, documented_prompt, unknown_commands
from ._constants import (
    CLONE_AUDIO_FORMATS,
    CLONE_MAX_BYTES,
    CLONE_MAX_SECONDS,
    CLONE_MIN_SECONDS,
    CLONE_PREVIEW_MAX_CHARS,
    CLONE_TEXT_VALIDATION_MAX_CHARS,
    IMAGE_FORMATS,
    IMAGE_MAX_ASPECT,
    IMAGE_MAX_BYTES,
    IMAGE_MIN_ASPECT,
    IMAGE_MIN_SHORT_SIDE,
    MUSIC_FORMATS,
    MUSIC_LYRICS_CHARS,
    MUSIC_MODELS,
    MUSIC_PROMPT_CHARS,
    PROMPT_MAX_CHARS,
    TTS_BITRATES,
    TTS_EMOTIONS,
    TTS_FORMATS,
    TTS_MAX_CHARS,
    TTS_MODEL_ALIASES,
    TTS_MODELS,
    TTS_OUTPUT_FORMATS,
    TTS_PITCH_RANGE,
    TTS_SAMPLE_RATES,
    TTS_SPEED_RANGE,
    TTS_VOL_MAX,
    UPLOAD_PURPOSES,
    VOICE_ID_RE,
)
from ._exceptions import MiniMaxValidationError

log = logging.getLogger(__name__)

Mode = Literal["t2v", "i2v", "fl2v"]


@dataclass(frozen=True)
class VideoModelRule:
    """What one video model accepts. ``sizes`` maps resolution -> durations, per mode."""

    modes: frozenset[Mode]
    sizes: dict[str, tuple[int, ...]]
    # 01-series models are fixed at 720P/6 s and reject both parameters.
    fixed: bool = False
    i2v_extra: dict[str, tuple[int, ...]] | None = None


_HAILUO: dict[str, tuple[int, ...]] = {"768P": (6, 10), "1080P": (6,)}
_FIXED: dict[str, tuple[int, ...]] = {"720P": (6,)}
VIDEO_MODELS: dict[str, VideoModelRule] = {
    "MiniMax-Hailuo-2.3": VideoModelRule(frozenset({"t2v", "i2v"}), _HAILUO),
    "MiniMax-Hailuo-2.3-Fast": VideoModelRule(frozenset({"i2v"}), _HAILUO),
    "MiniMax-Hailuo-02": VideoModelRule(
        frozenset({"t2v", "i2v", "fl2v"}), _HAILUO, i2v_extra={"512P": (6, 10)}
    ),
    "T2V-01-Director": VideoModelRule(frozenset({"t2v"}), _FIXED, fixed=True),
    "T2V-01": VideoModelRule(frozenset({"t2v"}), _FIXED, fixed=True),
    "I2V-01-Director": VideoModelRule(frozenset({"i2v"}), _FIXED, fixed=True),
    "I2V-01": VideoModelRule(frozenset({"i2v"}), _FIXED, fixed=True),
    "I2V-01-live": VideoModelRule(frozenset({"i2v"}), _FIXED, fixed=True),
}
_MODE_NAMES = {"t2v": "text-to-video", "i2v": "image-to-video", "fl2v": "first+last frame"}


def _fail(field: str, message: str, fix: str) -> MiniMaxValidationError:
    return MiniMaxValidationError(message, field=field, fix=fix)


# --- video ---------------------------------------------------------------------------------


def validate_prompt(prompt: str | None, *, required: bool) -> str | None:
    if prompt is None or not prompt.strip():
        if required:
            raise _fail("prompt", "is empty", "text-to-video needs a prompt describing the clip")
        return None
    if len(prompt) > PROMPT_MAX_CHARS:
        raise _fail(
            "prompt",
            f"has {len(prompt)} characters",
            f"shorten it to at most {PROMPT_MAX_CHARS}",
        )
    unknown = unknown_commands(prompt)
    if unknown:
        listed = ", ".join(f"[{c}]" for c in CAMERA_COMMANDS)
        raise _fail(
            "prompt",
            f"unknown camera command(s) {', '.join(f'[{c}]' for c in unknown)}",
            f"use one of {listed}",
        )
    # What leaves is documented: the seed's Dolly/Orbit/Crane become documented moves.
    return documented_prompt(prompt)


@dataclass(frozen=True)
class VideoParams:
    mode: Mode
    duration: int | None
    resolution: str | None


def validate_video(
    *,
    model: str,
    mode: Mode,
    duration: int,
    resolution: str,
) -> VideoParams:
    """Check the model/mode/duration/resolution combination; say what to send."""
    rule = VIDEO_MODELS.get(model)
    if rule is None:
        raise _fail(
            "model", f"unknown video model {model!r}", f"use one of {', '.join(VIDEO_MODELS)}"
        )
    if mode not in rule.modes:
        fit = [name for name, r in VIDEO_MODELS.items() if mode in r.modes]
        fix = f"use {' or '.join(fit)}"
        if model == "MiniMax-Hailuo-2.3-Fast":
            fix = "give first_frame_image (2.3-Fast is image-to-video only)"
        raise _fail("model", f"{model} cannot do {_MODE_NAMES[mode]}", fix)
    if rule.fixed:
        # The 01-series reject both fields; accept only values that mean "the default".
        if duration != 6:
            raise _fail("duration", f"{model} makes 6 s clips only", "use duration=6")
        if resolution not in ("720P", "768P"):
            raise _fail("resolution", f"{model} renders 720P only", "leave the default resolution")
        return VideoParams(mode, None, None)
    sizes = dict(rule.sizes)
    if mode == "i2v" and rule.i2v_extra:
        sizes.update(rule.i2v_extra)
    res = resolution.upper()
    if res not in sizes:
        extra = " (512P is never allowed for first+last frame)" if res == "512P" else ""
        raise _fail(
            "resolution",
            f"{resolution!r} is not available for {model} {_MODE_NAMES[mode]}{extra}",
            f"use one of {', '.join(sizes)}",
        )
    if duration not in sizes[res]:
        raise _fail(
            "duration",
            f"{duration} s is not available at {res}",
            f"use {' or '.join(str(d) for d in sizes[res])} s at {res}"
            + (" (1080P is 6 s only; use 768P for 10 s)" if res == "1080P" else ""),
        )
    return VideoParams(mode, duration, res)


def validate_callback_url(url: str | None) -> str | None:
    if url is None:
        return None
    if not url.startswith(("http://", "https://")):
        raise _fail("callback_url", f"{url!r} is not an http(s) URL", "give a public https:// URL")
    return url


def check_image_bytes(data: bytes, field: str) -> str:
    """Validate an image's bytes; return its MIME type (from the content, not the name)."""
    if len(data) >= IMAGE_MAX_BYTES:
        raise _fail(field, f"is {len(data) / 1e6:.1f} MB", "use an image under 20 MB")
    try:
        # Pillow reads only the header here; pixels are never decoded.
        with Image.open(io.BytesIO(data)) as img:
            kind, (width, height) = img.format, img.size
    except Image.DecompressionBombError as exc:
        # The header claims more pixels than any frame MiniMax takes: refuse before decoding.
        raise _fail(field, "claims far too many pixels", "use an image under 20 MB") from exc
    except (UnidentifiedImageError, OSError) as exc:
        raise _fail(field, "is not a readable image", "use a JPG, PNG or WebP file") from exc
    mime = IMAGE_FORMATS.get(kind or "")
    if mime is None:
        raise _fail(field, f"is a {kind} image", "use JPG, PNG or WebP")
    if min(width, height) <= IMAGE_MIN_SHORT_SIDE:
        raise _fail(
            field,
            f"is {width}x{height}; the short side must be over {IMAGE_MIN_SHORT_SIDE} px",
            "use a larger image",
        )
    aspect = width / height
    if not IMAGE_MIN_ASPECT <= aspect <= IMAGE_MAX_ASPECT:
        raise _fail(
            field,
            f"is {width}x{height} (aspect {aspect:.2f})",
            "crop it to an aspect ratio between 2:5 and 5:2",
        )
    return mime


def _decode_data_url(value: str, field: str) -> bytes:
    header, sep, payload = value.partition(",")
    if not sep or ";base64" not in header:
        raise _fail(field, "is a data URL without base64 content", "use data:image/png;base64,...")
    try:
        return base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise _fail(field, "holds invalid base64", "re-encode the image") from exc


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
        raise _fail(
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


# --- voices --------------------------------------------------------------------------------


def validate_voice_id(voice_id: str, field: str = "voice_id") -> str:
    if not VOICE_ID_RE.match(voice_id or ""):
        raise _fail(
            field,
            f"{voice_id!r} is not a valid voice id",
            "use 8-256 characters: start with a letter, then letters, digits, '-' or '_', "
            "and end with a letter or digit",
        )
    return voice_id


def validate_file_id(file_id: str | int) -> int:
    text = str(file_id).strip()
    if not text.isdigit():
        raise _fail(
            "file_id", f"{file_id!r} is not a numeric file id", "pass the id from upload_file"
        )
    return int(text)


def validate_upload(purpose: str, size: int) -> None:
    if purpose not in UPLOAD_PURPOSES:
        raise _fail(
            "purpose", f"unknown purpose {purpose!r}", f"use one of {', '.join(UPLOAD_PURPOSES)}"
        )
    if size == 0:
        raise _fail("file", "is empty", "upload a non-empty file")
    if purpose == "voice_clone" and size > CLONE_MAX_BYTES:
        raise _fail("file", f"is {size / 1e6:.1f} MB", "clone samples must be at most 20 MB")


def validate_clone_options(
    *, text: str | None, model: str | None, accuracy: float | None, text_validation: str | None
) -> str | None:
    """Check the optional voice_clone fields; return the model to send."""
    if accuracy is not None and not 0 <= accuracy <= 1:
        raise _fail("accuracy", f"{accuracy} is outside [0, 1]", "use e.g. 0.7 (the default)")
    if text_validation is not None and len(text_validation) > CLONE_TEXT_VALIDATION_MAX_CHARS:
        raise _fail(
            "text_validation",
            f"has {len(text_validation)} characters",
            f"keep it to {CLONE_TEXT_VALIDATION_MAX_CHARS}",
        )
    if text is not None:
        if not text.strip() or len(text) > CLONE_PREVIEW_MAX_CHARS:
            raise _fail(
                "text",
                f"must be 1-{CLONE_PREVIEW_MAX_CHARS} characters",
                "shorten the preview text (it is billed like TTS)",
            )
        if model is None:
            raise _fail("model", "is required with a preview text", "pass model='speech-02-hd'")
    return validate_tts_model(model) if model is not None else None


def _clone_sample_checks(path: Path) -> float:
    if not path.is_file():
        raise _fail("sample", f"{str(path)!r} is not a file", "give a local mp3, m4a or wav file")
    ext = path.suffix.lower().lstrip(".")
    if ext not in CLONE_AUDIO_FORMATS:
        raise _fail("sample", f"is a .{ext} file", "convert it to mp3, m4a or wav")
    size = path.stat().st_size
    if size > CLONE_MAX_BYTES:
        raise _fail("sample", f"is {size / 1e6:.1f} MB", "use a sample of at most 20 MB")
    seconds = audio_seconds(path)
    if not CLONE_MIN_SECONDS <= seconds <= CLONE_MAX_SECONDS:
        raise _fail(
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
        raise _fail(
            "sample", "is not a readable audio file", "use an mp3, m4a or wav file"
        ) from exc


async def validate_clone_sample(path: Path) -> float:
    """mp3/m4a/wav, 10 s .. 5 min, <= 20 MB. Returns the duration in seconds."""
    return await asyncio.to_thread(_clone_sample_checks, path)


# --- speech --------------------------------------------------------------------------------


def validate_tts_model(model: str) -> str:
    if model in TTS_MODEL_ALIASES:
        mapped = TTS_MODEL_ALIASES[model]
        log.debug("TTS model %s no longer exists; using %s", model, mapped)
        return mapped
    if model not in TTS_MODELS:
        raise _fail(
            "model", f"unknown speech model {model!r}", f"use one of {', '.join(TTS_MODELS)}"
        )
    return model


@dataclass(frozen=True)
class SpeechParams:
    model: str
    text: str


def validate_speech(
    *,
    text: str,
    voice_id: str,
    model: str,
    speed: float,
    vol: float,
    pitch: int,
    emotion: str | None,
    format: str,
    sample_rate: int | None,
    bitrate: int | None,
    channel: int | None,
    stream: bool,
    output_format: str,
) -> SpeechParams:
    if not text or not text.strip():
        raise _fail("text", "is empty", "give the words to speak")
    if len(text) >= TTS_MAX_CHARS:
        raise _fail("text", f"has {len(text)} characters", f"split it below {TTS_MAX_CHARS}")
    if not voice_id or not voice_id.strip():
        raise _fail("voice_id", "is empty", "pass a system or cloned voice id (see list_voices)")
    resolved = validate_tts_model(model)
    low, high = TTS_SPEED_RANGE
    if not low <= speed <= high:
        raise _fail("speed", f"{speed} is outside [{low}, {high}]", "use 1.0 for normal speed")
    if not 0 < vol <= TTS_VOL_MAX:
        raise _fail("vol", f"{vol} is outside (0, {TTS_VOL_MAX:g}]", "use 1.0 for normal volume")
    low_p, high_p = TTS_PITCH_RANGE
    if not low_p <= pitch <= high_p:
        raise _fail(
            "pitch", f"{pitch} is outside [{low_p}, {high_p}]", "use 0 for the voice's own pitch"
        )
    if emotion is not None and emotion not in TTS_EMOTIONS:
        raise _fail(
            "emotion", f"unknown emotion {emotion!r}", f"use one of {', '.join(TTS_EMOTIONS)}"
        )
    if format not in TTS_FORMATS:
        raise _fail(
            "format", f"unknown audio format {format!r}", f"use one of {', '.join(TTS_FORMATS)}"
        )
    if stream and format == "wav":
        raise _fail("format", "wav cannot be streamed", "use mp3, flac or pcm, or stream=False")
    if sample_rate is not None and sample_rate not in TTS_SAMPLE_RATES:
        raise _fail(
            "sample_rate",
            f"{sample_rate} is not offered",
            f"use one of {', '.join(map(str, TTS_SAMPLE_RATES))}",
        )
    if bitrate is not None:
        if bitrate not in TTS_BITRATES:
            raise _fail(
                "bitrate",
                f"{bitrate} is not offered",
                f"use one of {', '.join(map(str, TTS_BITRATES))}",
            )
        if format != "mp3":
            raise _fail("bitrate", "only applies to mp3", "drop bitrate or use format='mp3'")
    if channel is not None and channel not in (1, 2):
        raise _fail("channel", f"{channel} channels", "use 1 (mono) or 2 (stereo)")
    if output_format not in TTS_OUTPUT_FORMATS:
        raise _fail(
            "output_format",
            f"unknown output format {output_format!r}",
            "use 'hex' (default) or 'url'",
        )
    if stream and output_format == "url":
        raise _fail("output_format", "url mode cannot be streamed", "use stream=False for url mode")
    return SpeechParams(resolved, text)


# --- music ---------------------------------------------------------------------------------


def validate_music(*, prompt: str, lyrics: str, model: str, format: str) -> None:
    """``music_generation``'s documented bounds, checked before anything is paid."""
    if model not in MUSIC_MODELS:
        raise _fail("model", f"unknown music model {model!r}", f"use {sorted(MUSIC_MODELS)[0]}")
    for field, text, (low, high) in (
        ("prompt", prompt, MUSIC_PROMPT_CHARS),
        ("lyrics", lyrics, MUSIC_LYRICS_CHARS),
    ):
        if not low <= len(text.strip()) <= high:
            raise _fail(field, f"{len(text.strip())} characters", f"use {low}-{high} characters")
    if format not in MUSIC_FORMATS:
        raise _fail("format", f"unknown format {format!r}", f"use one of {sorted(MUSIC_FORMATS)}")
