"""Reading an uploaded file: a multipart form cut off at the route's own size limit while it
streams in (not after), and the audio type from the first bytes. Shared by ``POST /voices``
and ``POST /music``; the global body cap (``bodylimit.py``) gives those two paths more room."""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Callable
from typing import Any, Literal

from fastapi import HTTPException, Request
from starlette.datastructures import FormData
from starlette.formparsers import MultiPartException, MultiPartParser

from storyreel.api.errors import validation_problem
from storyreel.errors import UsageError

# Room for the form's boundaries, part headers and small fields around the file itself.
FORM_OVERHEAD_BYTES = 64 * 1024

AudioKind = Literal["mp3", "m4a", "wav", "ogg", "flac"]


def sniff_audio(head: bytes) -> AudioKind | None:
    """The audio type from the first 16 bytes: the name of an upload proves nothing."""
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "wav"
    if head[4:8] == b"ftyp":
        return "m4a"
    if head[:4] == b"OggS":
        return "ogg"
    if head[:4] == b"fLaC":
        return "flac"
    if head[:3] == b"ID3" or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return "mp3"
    return None


async def _limited(
    stream: AsyncIterator[bytes], limit: int, too_large: Callable[[], HTTPException]
) -> AsyncGenerator[bytes, None]:
    seen = 0
    async for chunk in stream:
        seen += len(chunk)
        if seen > limit:
            raise too_large()
        yield chunk


async def read_form(
    request: Request,
    *,
    limit: int,
    too_large: Callable[[], HTTPException],
    fields: str,
    max_fields: int = 4,
) -> FormData:
    """The request's multipart form (one file at most), refused with ``too_large()`` as soon as
    the body passes ``limit`` bytes, declared or counted; ``fields`` names what to send."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise too_large()
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise validation_problem(
            UsageError("is not multipart/form-data", field="body", fix=f"send a form with {fields}")
        )
    parser = MultiPartParser(
        request.headers,
        _limited(request.stream(), limit, too_large),
        max_files=1,
        max_fields=max_fields,
    )
    try:
        return await parser.parse()
    except MultiPartException as error:
        raise validation_problem(
            UsageError(str(error), field="body", fix="send a valid multipart form")
        ) from None


__all__ = ["FORM_OVERHEAD_BYTES", "AudioKind", "read_form", "sniff_audio"]


def file_field(description: str) -> dict[str, Any]:
    """An uploaded file's entry in :func:`multipart_body`."""
    return {"type": "string", "format": "binary", "description": description}


def multipart_body(**fields: dict[str, Any]) -> dict[str, Any]:
    """A route's ``openapi_extra`` for a multipart form of ``fields`` (all required): the routes
    read the form themselves, with their own size limits, so FastAPI cannot infer it."""
    return {
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {"type": "object", "required": list(fields), "properties": fields}
                }
            },
        }
    }
