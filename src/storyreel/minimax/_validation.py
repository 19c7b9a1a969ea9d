"""The parameter rules checked before any request: a bad input costs neither money nor a round
trip.

Every error names the field and says how to fix it. The files a request carries (images,
voice samples) are inspected in ``_file_checks``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Literal

from ._camera import CAMERA_COMMANDS, documented_prompt, unknown_commands
from ._constants import (
    CLONE_MAX_BYTES,
    CLONE_PREVIEW_MAX_CHARS,
    CLONE_TEXT_VALIDATION_MAX_CHARS,
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


def fail(field: str, message: str, fix: str) -> MiniMaxValidationError:
    """The error for a bad ``field``, with the fix (shared with ``_file_checks``)."""
    return MiniMaxValidationError(message, field=field, fix=fix)


# --- video ---------------------------------------------------------------------------------


def validate_prompt(prompt: str | None, *, required: bool) -> str | None:
    if prompt is None or not prompt.strip():
        if required:
            raise fail("prompt", "is empty", "text-to-video needs a prompt describing the clip")
        return None
    if len(prompt) > PROMPT_MAX_CHARS:
        raise fail(
            "prompt",
            f"has {len(prompt)} characters",
            f"shorten it to at most {PROMPT_MAX_CHARS}",
        )
    unknown = unknown_commands(prompt)
    if unknown:
        listed = ", ".join(f"[{c}]" for c in CAMERA_COMMANDS)
        raise fail(
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
        raise fail(
            "model", f"unknown video model {model!r}", f"use one of {', '.join(VIDEO_MODELS)}"
        )
    if mode not in rule.modes:
        fit = [name for name, r in VIDEO_MODELS.items() if mode in r.modes]
        fix = f"use {' or '.join(fit)}"
        if model == "MiniMax-Hailuo-2.3-Fast":
            fix = "give first_frame_image (2.3-Fast is image-to-video only)"
        raise fail("model", f"{model} cannot do {_MODE_NAMES[mode]}", fix)
    if rule.fixed:
        # The 01-series reject both fields; accept only values that mean "the default".
        if duration != 6:
            raise fail("duration", f"{model} makes 6 s clips only", "use duration=6")
        if resolution not in ("720P", "768P"):
            raise fail("resolution", f"{model} renders 720P only", "leave the default resolution")
        return VideoParams(mode, None, None)
    sizes = dict(rule.sizes)
    if mode == "i2v" and rule.i2v_extra:
        sizes.update(rule.i2v_extra)
    res = resolution.upper()
    if res not in sizes:
        extra = " (512P is never allowed for first+last frame)" if res == "512P" else ""
        raise fail(
            "resolution",
            f"{resolution!r} is not available for {model} {_MODE_NAMES[mode]}{extra}",
            f"use one of {', '.join(sizes)}",
        )
    if duration not in sizes[res]:
        raise fail(
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
        raise fail("callback_url", f"{url!r} is not an http(s) URL", "give a public https:// URL")
    return url


# --- voices --------------------------------------------------------------------------------


def validate_voice_id(voice_id: str, field: str = "voice_id") -> str:
    if not VOICE_ID_RE.match(voice_id or ""):
        raise fail(
            field,
            f"{voice_id!r} is not a valid voice id",
            "use 8-256 characters: start with a letter, then letters, digits, '-' or '_', "
            "and end with a letter or digit",
        )
    return voice_id


def validate_file_id(file_id: str | int) -> int:
    text = str(file_id).strip()
    if not text.isdigit():
        raise fail(
            "file_id", f"{file_id!r} is not a numeric file id", "pass the id from upload_file"
        )
    return int(text)


def validate_upload(purpose: str, size: int) -> None:
    if purpose not in UPLOAD_PURPOSES:
        raise fail(
            "purpose", f"unknown purpose {purpose!r}", f"use one of {', '.join(UPLOAD_PURPOSES)}"
        )
    if size == 0:
        raise fail("file", "is empty", "upload a non-empty file")
    if purpose == "voice_clone" and size > CLONE_MAX_BYTES:
        raise fail("file", f"is {size / 1e6:.1f} MB", "clone samples must be at most 20 MB")


def validate_clone_options(
    *, text: str | None, model: str | None, accuracy: float | None, text_validation: str | None
) -> str | None:
    """Check the optional voice_clone fields; return the model to send."""
    if accuracy is not None and not 0 <= accuracy <= 1:
        raise fail("accuracy", f"{accuracy} is outside [0, 1]", "use e.g. 0.7 (the default)")
    if text_validation is not None and len(text_validation) > CLONE_TEXT_VALIDATION_MAX_CHARS:
        raise fail(
            "text_validation",
            f"has {len(text_validation)} characters",
            f"keep it to {CLONE_TEXT_VALIDATION_MAX_CHARS}",
        )
    if text is not None:
        if not text.strip() or len(text) > CLONE_PREVIEW_MAX_CHARS:
            raise fail(
                "text",
                f"must be 1-{CLONE_PREVIEW_MAX_CHARS} characters",
                "shorten the preview text (it is billed like TTS)",
            )
        if model is None:
            raise fail("model", "is required with a preview text", "pass model='speech-02-hd'")
    return validate_tts_model(model) if model is not None else None


# --- speech --------------------------------------------------------------------------------


def validate_tts_model(model: str) -> str:
    if model in TTS_MODEL_ALIASES:
        mapped = TTS_MODEL_ALIASES[model]
        log.debug("TTS model %s no longer exists; using %s", model, mapped)
        return mapped
    if model not in TTS_MODELS:
        raise fail(
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
        raise fail("text", "is empty", "give the words to speak")
    if len(text) >= TTS_MAX_CHARS:
        raise fail("text", f"has {len(text)} characters", f"split it below {TTS_MAX_CHARS}")
    if not voice_id or not voice_id.strip():
        raise fail("voice_id", "is empty", "pass a system or cloned voice id (see list_voices)")
    resolved = validate_tts_model(model)
    low, high = TTS_SPEED_RANGE
    if not low <= speed <= high:
        raise fail("speed", f"{speed} is outside [{low}, {high}]", "use 1.0 for normal speed")
    if not 0 < vol <= TTS_VOL_MAX:
        raise fail("vol", f"{vol} is outside (0, {TTS_VOL_MAX:g}]", "use 1.0 for normal volume")
    low_p, high_p = TTS_PITCH_RANGE
    if not low_p <= pitch <= high_p:
        raise fail(
            "pitch", f"{pitch} is outside [{low_p}, {high_p}]", "use 0 for the voice's own pitch"
        )
    if emotion is not None and emotion not in TTS_EMOTIONS:
        raise fail(
            "emotion", f"unknown emotion {emotion!r}", f"use one of {', '.join(TTS_EMOTIONS)}"
        )
    if format not in TTS_FORMATS:
        raise fail(
            "format", f"unknown audio format {format!r}", f"use one of {', '.join(TTS_FORMATS)}"
        )
    if stream and format == "wav":
        raise fail("format", "wav cannot be streamed", "use mp3, flac or pcm, or stream=False")
    if sample_rate is not None and sample_rate not in TTS_SAMPLE_RATES:
        raise fail(
            "sample_rate",
            f"{sample_rate} is not offered",
            f"use one of {', '.join(map(str, TTS_SAMPLE_RATES))}",
        )
    if bitrate is not None:
        if bitrate not in TTS_BITRATES:
            raise fail(
                "bitrate",
                f"{bitrate} is not offered",
                f"use one of {', '.join(map(str, TTS_BITRATES))}",
            )
        if format != "mp3":
            raise fail("bitrate", "only applies to mp3", "drop bitrate or use format='mp3'")
    if channel is not None and channel not in (1, 2):
        raise fail("channel", f"{channel} channels", "use 1 (mono) or 2 (stereo)")
    if output_format not in TTS_OUTPUT_FORMATS:
        raise fail(
            "output_format",
            f"unknown output format {output_format!r}",
            "use 'hex' (default) or 'url'",
        )
    if stream and output_format == "url":
        raise fail("output_format", "url mode cannot be streamed", "use stream=False for url mode")
    return SpeechParams(resolved, text)


# --- music ---------------------------------------------------------------------------------


def validate_music(*, prompt: str, lyrics: str, model: str, format: str) -> None:
    """``music_generation``'s documented bounds, checked before anything is paid."""
    if model not in MUSIC_MODELS:
        raise fail("model", f"unknown music model {model!r}", f"use {sorted(MUSIC_MODELS)[0]}")
    for field, text, (low, high) in (
        ("prompt", prompt, MUSIC_PROMPT_CHARS),
        ("lyrics", lyrics, MUSIC_LYRICS_CHARS),
    ):
        if not low <= len(text.strip()) <= high:
            raise fail(field, f"{len(text.strip())} characters", f"use {low}-{high} characters")
    if format not in MUSIC_FORMATS:
        raise fail("format", f"unknown format {format!r}", f"use one of {sorted(MUSIC_FORMATS)}")
