"""Narration from MiniMax text-to-audio, in a cloned voice or a stock one.

:func:`ensure_cloned_voice` clones a voice once: a second run finds it (in the account's voice
list, or through the service's "duplicate voice_id" answer) and reuses it without uploading the
sample again.
"""

from __future__ import annotations

import logging
from pathlib import Path

from storyreel.config import Settings
from storyreel.errors import ProviderError
from storyreel.files import write_bytes_atomic
from storyreel.language import language_boost
from storyreel.minimax import AsyncMiniMax, MiniMaxError
from storyreel.providers._minimax_common import PROVIDER, provider_error

log = logging.getLogger(__name__)

STAGE = "speech"
# A MiniMax system voice suited to storytelling; used when no voice is configured.
DEFAULT_VOICE = "English_expressive_narrator"
FORMATS = {".mp3": "mp3", ".wav": "wav", ".flac": "flac"}


def audio_format(out: Path) -> str:
    """The T2A format for an output file, from its suffix."""
    try:
        return FORMATS[out.suffix.lower()]
    except KeyError:
        raise ProviderError(
            f"cannot write speech as {out.suffix or 'a file without suffix'!r}; "
            f"use one of {', '.join(FORMATS)}",
            stage=STAGE,
            provider=PROVIDER,
            code="format",
        ) from None


class MiniMaxSpeechGen:
    """Speaks with ``settings.tts_model`` at ``settings.speech_speed``."""

    name = "minimax"
    paid = True
    # What the pipeline names narration files; MP3 is T2A's native and smallest format.
    audio_suffix = ".mp3"

    def __init__(
        self,
        settings: Settings,
        *,
        client: AsyncMiniMax | None = None,
        voice_id: str | None = None,
    ) -> None:
        self.model = settings.tts_model
        self.speed = settings.speech_speed
        # Public so the CLI can switch to a freshly cloned voice after building the providers.
        self.voice_id = voice_id or settings.voice_id or DEFAULT_VOICE
        self._owns_client = client is None
        self._client = client if client is not None else AsyncMiniMax(settings.minimax)

    def __repr__(self) -> str:
        return f"MiniMaxSpeechGen(model={self.model!r}, voice_id={self.voice_id!r})"

    def voice_for(self, language: str | None) -> str | None:
        # One voice whatever the language: MiniMax's voices speak many (language_boost helps).
        return self.voice_id

    def describe(self) -> str:
        # Read at call time: the CLI switches to a cloned voice after building the providers.
        mock = ", mock" if self._client.mocked else ""
        return f"minimax ({self.model}, voice {self.voice_id}{mock})"

    async def aclose(self) -> None:
        if self._owns_client:
            await self._client.aclose()

    async def speak(self, text: str, *, out: Path, language: str | None = None) -> Path:
        fmt = audio_format(out)
        if not text.strip():
            raise ProviderError(
                "there is no text to speak", stage=STAGE, provider=PROVIDER, code="empty_text"
            )
        try:
            result = await self._client.text_to_audio(
                text.strip(),
                self.voice_id,
                model=self.model,
                speed=self.speed,
                format=fmt,
                # The story's language, so a Chinese story is read as Chinese, not guessed.
                language_boost=language_boost(language),
            )
        except MiniMaxError as exc:
            raise provider_error(exc, stage=STAGE) from exc
        if not result.audio:
            raise ProviderError(
                "MiniMax returned no audio",
                stage=STAGE,
                provider=PROVIDER,
                trace_id=result.trace_id,
                retryable=True,
            )
        return await write_bytes_atomic(out, result.audio)


async def ensure_cloned_voice(client: AsyncMiniMax, sample: Path, voice_id: str) -> str:
    """Clone ``sample`` as ``voice_id`` unless the account already has that voice; return its id.

    The rule (look first, clone once, a lost answer reconciled) is the client's own:
    :meth:`AsyncMiniMax.ensure_voice`. This is the provider boundary around it."""
    try:
        cloned = await client.ensure_voice(sample, voice_id)
    except MiniMaxError as exc:
        raise provider_error(exc, stage="voice") from exc
    if cloned:
        log.info("cloned voice %s from %s", voice_id, sample.name)
    else:
        log.info("voice %s was already on the account; reusing it", voice_id)
    return voice_id
