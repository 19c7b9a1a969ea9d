"""Speech: ``t2a_v2``, and reading its answers (hex or base64 JSON, a URL, an SSE stream, or a
raw audio body). Turning those payloads into bytes is ``_audio``'s job.
"""

from __future__ import annotations

import functools

import httpx

from . import _validation as check
from ._audio import (
    AudioDecodeError,
    StreamAssembler,
    answer_audio,
    decode_answer_audio,
    format_from_content_type,
    is_url,
    speech_fields,
    sse_events,
)
from ._constants import T2A, TTS_LANGUAGE_BOOSTS
from ._exceptions import MiniMaxValidationError, ServerError
from ._files import FilesResource
from ._models import AudioSetting, SpeechResult, StreamOptions, T2ARequest, VoiceSetting


class SpeechResource(FilesResource):
    """Needs files: a url-mode answer is fetched through the key-less client."""

    async def text_to_audio(
        self,
        text: str,
        voice_id: str,
        *,
        model: str = "speech-02-hd",
        speed: float = 1.0,
        vol: float = 1.0,
        pitch: int = 0,
        emotion: str | None = None,
        format: str = "mp3",
        sample_rate: int | None = None,
        bitrate: int | None = None,
        channel: int | None = None,
        stream: bool = False,
        output_format: str = "hex",
        language_boost: str | None = None,
    ) -> SpeechResult:
        """``POST /v1/t2a_v2``. Handles hex, base64, url mode, SSE streams and binary bodies.

        ``language_boost`` names the text's language ("Chinese", "Arabic"...; see
        ``TTS_LANGUAGE_BOOSTS``) so the model reads it as that language."""
        params = check.validate_speech(
            text=text,
            voice_id=voice_id,
            model=model,
            speed=speed,
            vol=vol,
            pitch=pitch,
            emotion=emotion,
            format=format,
            sample_rate=sample_rate,
            bitrate=bitrate,
            channel=channel,
            stream=stream,
            output_format=output_format,
        )
        if language_boost is not None and language_boost not in TTS_LANGUAGE_BOOSTS:
            raise MiniMaxValidationError(
                f"unknown language_boost {language_boost!r}",
                field="language_boost",
                fix="use a language name such as Chinese, English or Spanish, or auto",
            )
        request = T2ARequest(
            model=params.model,
            text=params.text,
            stream=stream,
            voice_setting=VoiceSetting(
                voice_id=voice_id, speed=speed, vol=vol, pitch=pitch, emotion=emotion
            ),
            audio_setting=AudioSetting(
                format=format, sample_rate=sample_rate, bitrate=bitrate, channel=channel
            ),
            language_boost=language_boost,
            # hex is the default; sending it anyway would break servers that follow the seed.
            output_format="url" if output_format == "url" else None,
            stream_options=StreamOptions() if stream else None,
        )
        result = await self._call(
            "POST", T2A, json=request.body(), read=functools.partial(self._read_speech, fmt=format)
        )
        if result.url is not None and not result.audio:
            audio = await self._fetch_url(result.url)
            result = result.model_copy(update={"audio": audio})
        return result

    async def _read_speech(
        self, endpoint: str, response: httpx.Response, *, fmt: str
    ) -> SpeechResult:
        content_type = response.headers.get("content-type", "").lower()
        trace_id = self._trace_id(response)
        if response.status_code < 400 and content_type.startswith("text/event-stream"):
            return await self._read_speech_stream(endpoint, response, fmt=fmt)
        if response.status_code < 400 and content_type.startswith(
            ("audio/", "application/octet-stream")
        ):
            audio = await response.aread()
            if not audio:
                raise ServerError("empty audio body", endpoint=endpoint, trace_id=trace_id)
            return SpeechResult(
                audio=audio, format=format_from_content_type(content_type, fmt), trace_id=trace_id
            )
        body = await self._read_json(endpoint, response)
        trace_id = self._trace_id(response, body)
        value = answer_audio(body)
        if not value:
            raise ServerError(
                "the answer holds no audio (data is empty)", endpoint=endpoint, trace_id=trace_id
            )
        extra = body.get("extra_info") if isinstance(body.get("extra_info"), dict) else None
        fields = speech_fields(extra, fmt, trace_id)
        if is_url(value):
            return SpeechResult(audio=b"", url=value, **fields)
        return SpeechResult(audio=decode_answer_audio(value, endpoint, trace_id), **fields)

    async def _read_speech_stream(
        self, endpoint: str, response: httpx.Response, *, fmt: str
    ) -> SpeechResult:
        assembler = StreamAssembler()
        try:
            async for chunk in sse_events(response.aiter_lines()):
                if chunk:
                    # Errors can arrive inside the stream, after HTTP 200.
                    self._raise_for_body(endpoint, response, chunk)
                    assembler.add(chunk)
        except (ValueError, AudioDecodeError) as exc:
            raise ServerError(f"bad stream chunk: {exc}", endpoint=endpoint) from exc
        trace_id = self._trace_id(response, {"trace_id": assembler.trace_id})
        if not assembler.audio:
            raise ServerError(
                "the stream ended without audio", endpoint=endpoint, trace_id=trace_id
            )
        return SpeechResult(
            audio=assembler.audio, **speech_fields(assembler.extra_info, fmt, trace_id)
        )
