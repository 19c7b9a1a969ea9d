"""``/voices``: clone a voice from an uploaded sample; list the account's voices.

Without a MiniMax key the client runs in mock mode (nothing leaves the machine); every answer
says so in ``mock``. Cloning an id the account already has is not an error: 200 with a note,
and the sample is not uploaded (the clone fee is never paid twice).
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query, Request, Response, status
from starlette.datastructures import FormData, UploadFile

from storyreel.api.deps import Authorized, State
from storyreel.api.errors import ERROR_RESPONSES, validation_problem
from storyreel.api.schemas import Problem, VoiceCloned, VoiceList, VoiceOut
from storyreel.api.uploads import (
    FORM_OVERHEAD_BYTES,
    file_field,
    multipart_body,
    read_form,
    sniff_audio,
)
from storyreel.minimax import (
    CLONE_MAX_BYTES,
    AsyncMiniMax,
    MiniMaxError,
    MiniMaxValidationError,
    # The client's own checks, run before the account lookup (which is a request).
    validate_clone_sample,
    validate_voice_id,
)
from storyreel.providers.minimax_speech import ensure_cloned_voice

router = APIRouter(
    prefix="/voices", tags=["voices"], dependencies=[Authorized], responses=ERROR_RESPONSES
)

MAX_SAMPLE_BYTES = CLONE_MAX_BYTES  # MiniMax's limit for clone samples (the client's rule)
MAX_BODY_BYTES = MAX_SAMPLE_BYTES + FORM_OVERHEAD_BYTES
ALLOWED_SUFFIXES = (".mp3", ".m4a", ".wav")

_UPLOAD_SCHEMA = multipart_body(
    sample=file_field("mp3, m4a or wav; 10 s to 5 min; at most 20 MB."),
    voice_id={
        "type": "string",
        "description": "8-256 letters, digits, '-' or '_'; starts with a letter, ends with a "
        "letter or digit.",
    },
)


def _too_large() -> HTTPException:
    return HTTPException(
        status.HTTP_413_CONTENT_TOO_LARGE, "the sample is larger than 20 MB; send a shorter one"
    )


async def _read_form(request: Request) -> FormData:
    return await read_form(
        request,
        limit=MAX_BODY_BYTES,
        too_large=_too_large,
        fields="the fields sample and voice_id",
    )


def _fields(form: FormData) -> tuple[str, UploadFile]:
    voice_id = form.get("voice_id")
    sample = form.get("sample")
    if not isinstance(voice_id, str):
        raise validation_problem(
            MiniMaxValidationError("is missing", field="voice_id", fix="add the voice_id field")
        )
    if not isinstance(sample, UploadFile):
        raise validation_problem(
            MiniMaxValidationError("is missing", field="sample", fix="attach an audio file")
        )
    return voice_id.strip(), sample


async def _save(sample: UploadFile, folder: Path) -> Path:
    name = sample.filename or ""
    suffix = Path(name).suffix.lower()
    if suffix not in ALLOWED_SUFFIXES:
        raise validation_problem(
            MiniMaxValidationError(
                f"{name!r} is not an mp3, m4a or wav file",
                field="sample",
                fix="convert it to mp3, m4a or wav",
            )
        )
    head = await sample.read(16)
    kind = sniff_audio(head)
    if kind is None or f".{kind}" != suffix:
        raise validation_problem(
            MiniMaxValidationError(
                f"does not look like {suffix[1:]} audio",
                field="sample",
                fix="upload the audio file itself, with its real extension",
            )
        )
    await sample.seek(0)
    if (sample.size or 0) > MAX_SAMPLE_BYTES:
        raise _too_large()
    target = folder / f"sample{suffix}"

    def copy() -> None:
        with target.open("wb") as out:
            shutil.copyfileobj(sample.file, out)

    await asyncio.to_thread(copy)
    return target


async def _listed(client: AsyncMiniMax, voice_id: str) -> bool:
    try:
        return await client.has_voice(voice_id)
    except MiniMaxError:
        return False  # the clone's "duplicate" answer still tells us


@router.post(
    "",
    response_model=VoiceCloned,
    status_code=status.HTTP_201_CREATED,
    summary="Clone a voice from a sample",
    openapi_extra=_UPLOAD_SCHEMA,
    responses={
        200: {"model": VoiceCloned, "description": "The account already had this voice id."},
        413: {"model": Problem, "description": "The upload is larger than 20 MB."},
        502: {"model": Problem, "description": "MiniMax refused or failed."},
    },
)
async def clone_voice(request: Request, response: Response, state: State) -> VoiceCloned:
    """Upload ``sample`` (multipart) and clone it as ``voice_id``; then use ``voice_id`` in
    ``POST /jobs``. The sample is checked (type, size, 10 s to 5 min) before any request."""
    client = state.minimax
    form = await _read_form(request)
    folder: Path | None = None
    try:
        voice_id, sample = _fields(form)
        validate_voice_id(voice_id)
        # Made and removed (with a sample of up to 20 MB in it) in a worker thread: file work.
        folder = Path(await asyncio.to_thread(tempfile.mkdtemp, prefix="storyreel-voice-"))
        path = await _save(sample, folder)
        await validate_clone_sample(path)
        if await _listed(client, voice_id):
            response.status_code = status.HTTP_200_OK
            return VoiceCloned(
                voice_id=voice_id,
                created=False,
                note="this account already has the voice id; the sample was not uploaded",
                mock=client.mocked,
            )
        await ensure_cloned_voice(client, path, voice_id)
    except MiniMaxValidationError as error:
        raise validation_problem(error) from None
    finally:
        await form.close()
        if folder is not None:
            await asyncio.to_thread(shutil.rmtree, folder, True)
    return VoiceCloned(
        voice_id=voice_id,
        created=True,
        note="cloned; MiniMax deletes a voice not used in a real TTS call within 7 days",
        mock=client.mocked,
    )


@router.get("", response_model=VoiceList, summary="The account's voices")
async def list_voices(
    state: State,
    voice_type: Annotated[
        Literal["all", "system", "voice_cloning", "voice_generation"], Query(alias="type")
    ] = "all",
) -> VoiceList:
    voices = await state.minimax.list_voices(voice_type)
    return VoiceList(
        voices=[VoiceOut.model_validate(v.model_dump()) for v in voices],
        mock=state.minimax.mocked,
    )
