"""Turning t2a_v2 answers into audio bytes.

The real service hex-encodes audio (the seed says base64); url mode puts a URL in the same
field; streaming sends SSE ``data:`` lines of JSON chunks whose final ``status: 2`` chunk
repeats the whole audio unless told not to; the seed also allows a raw ``audio/mpeg`` body.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import string
from collections.abc import AsyncIterator, Mapping
from typing import Any

from ._exceptions import ServerError
from ._models import int_or_none

log = logging.getLogger(__name__)

_HEX = frozenset(string.hexdigits)
_FORMAT_BY_MIME = {
    "audio/mpeg": "mp3",
    "audio/mp3": "mp3",
    "audio/wav": "wav",
    "audio/x-wav": "wav",
    "audio/wave": "wav",
    "audio/flac": "flac",
    "audio/x-flac": "flac",
    "audio/ogg": "opus",
    "audio/opus": "opus",
}


class AudioDecodeError(ValueError):
    """``data.audio`` is neither hex nor base64."""


def is_url(value: str) -> bool:
    return value.startswith(("http://", "https://"))


def decode_audio(value: str) -> bytes:
    """Hex (the real default) first, then base64 (the seed's claim)."""
    text = value.strip()
    if not text:
        return b""
    # Real base64 mp3 starts "SUQz"/"//": never all-hex, so hex-first cannot misread it.
    if len(text) % 2 == 0 and _HEX.issuperset(text):
        return bytes.fromhex(text)
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise AudioDecodeError("audio is neither hex nor base64") from exc


def answer_audio(body: Mapping[str, Any]) -> str:
    """``data.audio`` of a JSON answer (speech or music): hex, base64 or, in url mode, a URL;
    "" when there is none."""
    data = body.get("data") or {}
    return str(data.get("audio") or "") if isinstance(data, dict) else ""


def decode_answer_audio(value: str, endpoint: str, trace_id: str | None) -> bytes:
    """:func:`decode_audio`, with an undecodable payload reported as the server's fault."""
    try:
        return decode_audio(value)
    except AudioDecodeError as exc:
        raise ServerError(str(exc), endpoint=endpoint, trace_id=trace_id) from exc


def speech_fields(extra: dict[str, Any] | None, fmt: str, trace_id: str | None) -> dict[str, Any]:
    """``SpeechResult`` fields from a speech answer's ``extra_info`` (``fmt``: what was asked)."""
    extra = extra or {}
    return {
        "format": str(extra.get("audio_format") or fmt),
        "duration_ms": int_or_none(extra.get("audio_length")),
        "sample_rate": int_or_none(extra.get("audio_sample_rate")),
        "trace_id": trace_id,
        "extra_info": extra or None,
    }


def format_from_content_type(content_type: str, default: str) -> str:
    mime = content_type.split(";", 1)[0].strip().lower()
    return _FORMAT_BY_MIME.get(mime, default)


async def sse_events(lines: AsyncIterator[str]) -> AsyncIterator[dict[str, Any]]:
    """JSON objects from SSE ``data:`` lines (multi-line events joined, comments skipped)."""
    buffer: list[str] = []
    async for raw in lines:
        line = raw.rstrip("\r")
        if not line:
            if buffer:
                yield _parse_event("\n".join(buffer))
                buffer = []
            continue
        if line.startswith(":"):
            continue
        field, _, value = line.partition(":")
        if field == "data":
            buffer.append(value.removeprefix(" "))
    if buffer:
        yield _parse_event("\n".join(buffer))


def _parse_event(data: str) -> dict[str, Any]:
    if data.strip() == "[DONE]":
        return {}
    parsed = json.loads(data)
    if not isinstance(parsed, dict):
        raise ValueError("SSE event is not a JSON object")
    return parsed


class StreamAssembler:
    """Collects streamed hex chunks without playing the audio twice.

    The final ``status: 2`` chunk, unless ``exclude_aggregated_audio`` was honoured, holds the
    whole audio again. It is used only when nothing came before it, or when it is clearly a
    small tail (much shorter than what was already collected).
    """

    def __init__(self) -> None:
        self._parts: list[bytes] = []
        self._size = 0
        self.extra_info: dict[str, Any] | None = None
        self.trace_id: str | None = None

    def add(self, chunk: dict[str, Any]) -> None:
        if chunk.get("trace_id"):
            self.trace_id = str(chunk["trace_id"])
        if isinstance(chunk.get("extra_info"), dict):
            self.extra_info = chunk["extra_info"]
        data = chunk.get("data") or {}
        audio = decode_audio(str(data.get("audio") or ""))
        if not audio:
            return
        final = data.get("status") == 2
        if final and self._parts and len(audio) >= self._size * 0.9:
            log.debug("skipping the aggregated final chunk (%d bytes)", len(audio))
            return
        self._parts.append(audio)
        self._size += len(audio)

    @property
    def audio(self) -> bytes:
        return b"".join(self._parts)
