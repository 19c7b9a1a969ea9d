"""Music: ``music_generation``, a background track from a style prompt (and lyrics)."""

from __future__ import annotations

from . import _validation as check
from ._audio import answer_audio, decode_answer_audio, is_url
from ._base_client import BeforeSend
from ._constants import MUSIC
from ._exceptions import ServerError, safe_trace_id
from ._files import FilesResource
from ._models import MusicResult, int_or_none

# music-2.0 requires lyrics; section tags with no words ask for a track without a voice (the
# bed must not sing over the narrator). [unverified: newer models take is_instrumental instead]
INSTRUMENTAL_LYRICS = "[Intro]\n[Inst]\n[Inst]\n[Outro]"


class MusicResource(FilesResource):
    """Needs files: a track may come as a URL, fetched without the key."""

    async def music_generation(
        self,
        prompt: str,
        *,
        lyrics: str = INSTRUMENTAL_LYRICS,
        model: str = "music-2.0",
        format: str = "mp3",
        sample_rate: int = 44100,
        bitrate: int = 256000,
        before_send: BeforeSend | None = None,
    ) -> MusicResult:
        """``POST /v1/music_generation``: a track from a style ``prompt`` and ``lyrics`` (the
        default, section tags only, asks for an instrumental). It answers at once and costs
        cents, so it is retried like speech; ``before_send`` runs right before the request
        leaves, for the caller's write-ahead record. The audio comes as hex, or as a URL that
        is fetched without the key."""
        check.validate_music(prompt=prompt, lyrics=lyrics, model=model, format=format)
        request = {
            "model": model,
            "prompt": prompt.strip(),
            "lyrics": lyrics.strip(),
            "audio_setting": {"sample_rate": sample_rate, "bitrate": bitrate, "format": format},
        }
        body = await self._json("POST", MUSIC, json=request, before_send=before_send)
        value = answer_audio(body)
        extra = body.get("extra_info")
        extra = extra if isinstance(extra, dict) else {}
        trace_id = safe_trace_id(str(body["trace_id"])) if body.get("trace_id") else None
        if not value:
            raise ServerError("the answer holds no audio", endpoint=MUSIC, trace_id=trace_id)
        if is_url(value):
            audio = await self._fetch_url(value)
        else:
            audio = decode_answer_audio(value, MUSIC, trace_id)
        return MusicResult(
            audio=audio,
            format=str(extra.get("music_format") or format),
            duration_ms=int_or_none(extra.get("music_duration")),
            trace_id=trace_id,
        )
