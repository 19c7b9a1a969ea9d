"""Voices: clone from a sample (once), and list what the account has.

"Is this voice listed?" and "clone it once" are answered here and nowhere else: a lost
``voice_clone`` answer is settled by listing the voices before anything is repeated.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TypedDict, Unpack

from . import _file_checks
from . import _validation as check
from ._constants import GET_VOICE, VOICE_CLONE
from ._exceptions import (
    DuplicateVoiceError,
    MiniMaxError,
    MiniMaxValidationError,
    UnknownOutcomeError,
)
from ._files import FilesResource
from ._models import Voice, VoiceCloneRequest, VoiceCloneResult

log = logging.getLogger(__name__)

_VOICE_KINDS = {
    "system_voice": "system",
    "voice_cloning": "voice_cloning",
    "voice_generation": "voice_generation",
}
_VOICE_TYPES = ("all", "system", "voice_cloning", "voice_generation")


class CloneOptions(TypedDict, total=False):
    need_noise_reduction: bool
    need_volume_normalization: bool
    text: str | None
    model: str | None
    accuracy: float | None
    text_validation: str | None


class VoicesResource(FilesResource):
    """Needs files: a clone starts with uploading the sample."""

    async def voice_clone(
        self,
        file_id: str | int,
        voice_id: str,
        *,
        need_noise_reduction: bool = False,
        need_volume_normalization: bool = False,
        text: str | None = None,
        model: str | None = None,
        accuracy: float | None = None,
        text_validation: str | None = None,
    ) -> VoiceCloneResult:
        """``POST /v1/voice_clone`` from an uploaded sample (``file_id`` is sent as an int)."""
        check.validate_voice_id(voice_id)
        numeric_id = check.validate_file_id(file_id)
        resolved = check.validate_clone_options(
            text=text, model=model, accuracy=accuracy, text_validation=text_validation
        )
        request = VoiceCloneRequest(
            file_id=numeric_id,
            voice_id=voice_id,
            need_noise_reduction=need_noise_reduction,
            need_volume_normalization=need_volume_normalization,
            text=text,
            model=resolved,
            accuracy=accuracy,
            text_validation=text_validation,
        )
        body = await self._json("POST", VOICE_CLONE, json=request.body())
        result = self._parse(VoiceCloneResult, {**body, "voice_id": voice_id}, VOICE_CLONE)
        if result.input_sensitive:
            log.warning("voice_clone flagged the sample (type %s)", result.input_sensitive_type)
        return result

    async def clone_voice(
        self, sample: Path, voice_id: str, **clone_options: Unpack[CloneOptions]
    ) -> VoiceCloneResult:
        """Validate ``sample`` and ``voice_id``, upload, clone.

        Raises :class:`DuplicateVoiceError` (``already_exists``) when the account has the id.
        """
        check.validate_voice_id(voice_id)
        check.validate_clone_options(
            text=clone_options.get("text"),
            model=clone_options.get("model"),
            accuracy=clone_options.get("accuracy"),
            text_validation=clone_options.get("text_validation"),
        )
        await _file_checks.validate_clone_sample(Path(sample))
        uploaded = await self.upload_file(Path(sample), purpose="voice_clone")
        try:
            return await self.voice_clone(uploaded.file_id, voice_id, **clone_options)
        except UnknownOutcomeError:
            log.debug("voice_clone outcome unknown; checking whether %s exists", voice_id)
        if await self.has_voice(voice_id):
            return VoiceCloneResult(voice_id=voice_id)
        # Cloning the same voice_id twice cannot create two voices (the repeat gets 2039), and
        # the fee is charged on first use, so one repeat is safe here.
        try:
            return await self.voice_clone(uploaded.file_id, voice_id, **clone_options)
        except DuplicateVoiceError:
            log.debug("repeat got 'duplicate': the first voice_clone had worked")
            if not await self.has_voice(voice_id):
                log.debug("%s not listed yet; trusting the duplicate answer", voice_id)
            return VoiceCloneResult(voice_id=voice_id)

    async def has_voice(self, voice_id: str, voice_type: str = "voice_cloning") -> bool:
        """Whether the account lists ``voice_id`` (``get_voice``; free)."""
        voices = await self.list_voices(voice_type)
        return any(v.voice_id == voice_id for v in voices)

    async def ensure_voice(
        self, sample: Path, voice_id: str, **clone_options: Unpack[CloneOptions]
    ) -> bool:
        """Clone ``sample`` as ``voice_id`` once: True when this call cloned it, False when the
        account already had it (a listed voice costs no upload; "duplicate voice_id" from the
        service means an earlier run, or an earlier attempt of this one, made it)."""
        try:
            if await self.has_voice(voice_id):
                log.info("voice %s already exists on this account; no upload", voice_id)
                return False
        except MiniMaxError as exc:
            # Listing is only a shortcut: the clone's own answer still tells us.
            log.debug("could not list voices (%s); relying on the duplicate answer", exc)
        try:
            await self.clone_voice(sample, voice_id, **clone_options)
        except DuplicateVoiceError as exc:
            if exc.already_exists:
                return False
            raise
        return True

    async def list_voices(self, voice_type: str = "all") -> list[Voice]:
        """``POST /v1/get_voice``: system, cloned and designed voices."""
        if voice_type not in _VOICE_TYPES:
            raise MiniMaxValidationError(
                f"unknown voice type {voice_type!r}",
                field="voice_type",
                fix=f"use one of {', '.join(_VOICE_TYPES)}",
            )
        body = await self._json("POST", GET_VOICE, json={"voice_type": voice_type})
        voices: list[Voice] = []
        for key, kind in _VOICE_KINDS.items():
            for item in body.get(key) or []:
                if isinstance(item, dict):
                    voices.append(self._parse(Voice, {**item, "kind": kind}, GET_VOICE))
        return voices
