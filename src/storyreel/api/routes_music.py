"""``POST /music``: upload a music track for the jobs' bed; ``POST /jobs`` then names it
``"music": "upload:<music_id>"`` and the service mixes in its own stored copy (a request never
names a file on the service's disk).

Tracks are kept content-addressed under ``data_dir/music/<music_id>.<ext>`` (``music_id`` is
32 hex digits of the content's sha256): uploading the same file again is the same id, and a
job's options stay valid for as long as the track is kept.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import tempfile
from pathlib import Path
from typing import get_args

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.exceptions import RequestValidationError
from starlette.datastructures import UploadFile

from storyreel.api.deps import Authorized, SettingsDep
from storyreel.api.errors import ERROR_RESPONSES, validation_problem
from storyreel.api.schemas import MUSIC_UPLOAD, MusicUploaded, Problem
from storyreel.api.uploads import (
    FORM_OVERHEAD_BYTES,
    AudioKind,
    file_field,
    multipart_body,
    read_form,
    sniff_audio,
)
from storyreel.assembly.mix import MAX_MUSIC_BYTES, MIN_MUSIC_SECONDS, check_music_file
from storyreel.errors import UsageError
from storyreel.pipeline.jobs import JobOptions

router = APIRouter(
    prefix="/music", tags=["music"], dependencies=[Authorized], responses=ERROR_RESPONSES
)

FIELD = "track"
MAX_TRACK_BYTES = MAX_MUSIC_BYTES  # the CLI's limit for --music FILE: one rule for both
MAX_BODY_BYTES = MAX_TRACK_BYTES + FORM_OVERHEAD_BYTES
KINDS: tuple[AudioKind, ...] = get_args(AudioKind)
# All the stored tracks together: uploads are kept for the jobs that name them, so without a
# cap repeated uploads would fill the data disk. Beyond it, 507 (an operator clears the folder).
MAX_STORED_BYTES = 4 * 1024**3
_CHUNK = 1024 * 1024

_UPLOAD_SCHEMA = multipart_body(
    **{
        FIELD: file_field(
            f"mp3, wav, m4a, ogg or flac (by content); at least {MIN_MUSIC_SECONDS:g} s; "
            f"at most {MAX_TRACK_BYTES // 2**20} MB."
        )
    }
)


def _too_large() -> HTTPException:
    return HTTPException(
        status.HTTP_413_CONTENT_TOO_LARGE,
        f"the track is larger than {MAX_TRACK_BYTES // 2**20} MB; send a compressed one",
    )


def _bad(message: str, fix: str) -> RequestValidationError:
    return validation_problem(UsageError(message, field=FIELD, fix=fix))


def music_folder(data_dir: Path) -> Path:
    return data_dir / "music"


def stored_track(data_dir: Path, music_id: str) -> Path | None:
    """The stored file of ``music_id`` (already checked against the id pattern), if kept."""
    folder = music_folder(data_dir)
    return next((p for k in KINDS if (p := folder / f"{music_id}.{k}").is_file()), None)


def resolve_music(options: JobOptions, data_dir: Path) -> JobOptions:
    """``upload:<music_id>`` as the service's own stored file, or a 422 naming ``music``."""
    if not MUSIC_UPLOAD.match(options.music):
        return options
    music_id = options.music.removeprefix("upload:")
    path = stored_track(data_dir, music_id)
    if path is None:
        raise validation_problem(
            UsageError(
                f"no uploaded track {music_id}", field="music", fix="upload it with POST /music"
            )
        )
    return options.model_copy(update={"music": str(path.resolve())})


def shown_music(options: JobOptions) -> JobOptions:
    """The options as answers show them: a stored track by its id, not the service's path. (A
    ``make --remote`` job keeps the path its own user gave.)"""
    path = Path(options.music)
    shown = f"upload:{path.stem}"
    if path.parent.name != music_folder(Path()).name or not MUSIC_UPLOAD.match(shown):
        return options
    return options.model_copy(update={"music": shown})


def _check_room(folder: Path, incoming: int) -> None:
    stored = sum(p.stat().st_size for p in folder.iterdir() if p.is_file())
    if stored + incoming > MAX_STORED_BYTES:
        raise HTTPException(
            status.HTTP_507_INSUFFICIENT_STORAGE,
            f"the service keeps at most {MAX_STORED_BYTES // 2**20} MB of music tracks and is "
            "full; reuse an uploaded track's music_id or ask the operator to clear some",
        )


def _store(track: UploadFile, folder: Path, kind: AudioKind) -> tuple[str, float]:
    """Copy the upload beside its final place while hashing it, check it as the CLI checks
    ``--music FILE``, then move it to its content address (same content, same file)."""
    folder.mkdir(parents=True, exist_ok=True)
    _check_room(folder, track.size or 0)
    digest = hashlib.sha256()
    handle, name = tempfile.mkstemp(prefix=".incoming-", dir=folder)
    incoming = Path(name)
    try:
        with os.fdopen(handle, "wb") as out:
            while chunk := track.file.read(_CHUNK):
                digest.update(chunk)
                out.write(chunk)
        seconds = check_music_file(incoming, field=FIELD, shown="the track")
        music_id = digest.hexdigest()[:32]
        os.replace(incoming, folder / f"{music_id}.{kind}")
        return music_id, seconds
    finally:
        incoming.unlink(missing_ok=True)


@router.post(
    "",
    response_model=MusicUploaded,
    status_code=status.HTTP_201_CREATED,
    summary="Upload a music track",
    openapi_extra=_UPLOAD_SCHEMA,
    responses={
        413: {"model": Problem, "description": "The upload is too large."},
        507: {"model": Problem, "description": "The stored tracks fill the service's share."},
    },
)
async def upload_music(request: Request, settings: SettingsDep) -> MusicUploaded:
    """Upload ``track`` (multipart); then submit a job with ``"music": "upload:<music_id>"``.
    The track is checked (audio by its content, FFmpeg reads it, long enough) before it is kept."""
    form = await read_form(request, limit=MAX_BODY_BYTES, too_large=_too_large, fields=FIELD)
    try:
        track = form.get(FIELD)
        if not isinstance(track, UploadFile):
            raise _bad("is missing", f"attach an audio file as the field {FIELD}")
        if (track.size or 0) > MAX_TRACK_BYTES:
            raise _too_large()
        kind = sniff_audio(await track.read(16))
        if kind is None:
            raise _bad("is not mp3, wav, m4a, ogg or flac audio", "upload the audio file itself")
        await track.seek(0)
        try:
            music_id, seconds = await asyncio.to_thread(
                _store, track, music_folder(settings.data_dir), kind
            )
        except UsageError as error:
            raise validation_problem(error) from None
    finally:
        await form.close()
    return MusicUploaded(music_id=music_id, seconds=round(seconds, 3))
