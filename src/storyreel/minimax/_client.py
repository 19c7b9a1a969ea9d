"""``AsyncMiniMax``: one async client for the MiniMax endpoints the seed describes.

Every request goes through :meth:`AsyncMiniMax._call`: client-side rate limit, one attempt,
translation of transport failures and ``base_resp`` codes into named errors, and the tenacity
policy of ``_retry`` around it. In mock mode the transport is an in-process fake
(``_mock.MockMiniMax``), so exactly the same code runs without a request leaving the process.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import ssl
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any, Self, TypedDict, TypeVar, Unpack

import certifi
import httpx
import pydantic
from pydantic import SecretStr

from . import _validation as check
from ._audio import (
    AudioDecodeError,
    StreamAssembler,
    decode_audio,
    format_from_content_type,
    is_url,
    sse_events,
)
from ._config import MiniMaxSettings
from ._constants import (
    API_PREFIX,
    CLONE_AUDIO_FORMATS,
    CONNECT_TIMEOUT,
    DOWNLOAD,
    DOWNLOAD_READ_TIMEOUT,
    GATEWAY_TIMEOUTS,
    GET_VOICE,
    MUSIC,
    NOT_REPEATED_BLINDLY,
    RETRIEVE,
    T2A,
    TTS_LANGUAGE_BOOSTS,
    UPLOAD,
    VIDEO_CREATE,
    VIDEO_QUERY,
    VOICE_CLONE,
)
from ._download import Downloader, Progress
from ._exceptions import (
    APIConnectionError,
    APITimeoutError,
    ContentPolicyError,
    DuplicateVoiceError,
    MiniMaxError,
    MiniMaxValidationError,
    ServerError,
    UnknownOutcomeError,
    make_error,
    safe_trace_id,
)
from ._models import (
    AudioSetting,
    MusicResult,
    RetrievedFile,
    SpeechResult,
    StreamOptions,
    T2ARequest,
    UploadedFile,
    VideoRequest,
    VideoTask,
    Voice,
    VoiceCloneRequest,
    VoiceCloneResult,
    VoiceSetting,
    normalize_status,
)
from ._polling import wait_for_task
from ._ratelimit import RateLimiter, RateLimits
from ._retry import build_retrying, parse_retry_after

log = logging.getLogger(__name__)

T = TypeVar("T")
M = TypeVar("M", bound=pydantic.BaseModel)
Reader = Callable[[str, httpx.Response], Awaitable[T]]
# Awaited right before a request leaves (after validation and the rate-limit wait).
BeforeSend = Callable[[], Awaitable[None]]

_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
_VOICE_KINDS = {
    "system_voice": "system",
    "voice_cloning": "voice_cloning",
    "voice_generation": "voice_generation",
}
_VOICE_TYPES = ("all", "system", "voice_cloning", "voice_generation")


@functools.cache
def _tls_context() -> ssl.SSLContext:
    # Building a CA bundle costs ~40 ms; one shared context keeps client creation cheap.
    return ssl.create_default_context(cafile=certifi.where())


class CloneOptions(TypedDict, total=False):
    need_noise_reduction: bool
    need_volume_normalization: bool
    text: str | None
    model: str | None
    accuracy: float | None
    text_validation: str | None


# music-2.0 requires lyrics; section tags with no words ask for a track without a voice (the
# bed must not sing over the narrator). [unverified: newer models take is_instrumental instead]
INSTRUMENTAL_LYRICS = "[Intro]\n[Inst]\n[Inst]\n[Outro]"


def _int_or_none(value: object) -> int | None:
    try:
        return int(value)  # type: ignore[call-overload, no-any-return]
    except (TypeError, ValueError):
        return None


class AsyncMiniMax:
    """Async MiniMax client. Use as ``async with AsyncMiniMax() as mm: ...``.

    With no key or ``MINIMAX_MOCK_MODE=true`` it is ``mocked``: answers come from packaged
    real-shaped fixtures and media are made locally with ffmpeg; nothing leaves the process.
    """

    def __init__(
        self,
        settings: MiniMaxSettings | None = None,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        rate_limits: RateLimiter | None = None,
    ) -> None:
        """``rate_limits``: where request slots come from; by default this process's own
        buckets at the settings' RPM (none in mock mode)."""
        settings = settings if settings is not None else MiniMaxSettings()
        overrides: dict[str, object] = {}
        if api_key is not None:
            overrides["api_key"] = SecretStr(api_key)
        if base_url is not None:
            overrides["base_url"] = base_url
        if overrides:
            settings = MiniMaxSettings.model_validate({**settings.model_dump(), **overrides})
        self.settings = settings
        self.mocked: bool = settings.mocked
        self._sleep = sleep
        self._secret = settings.api_key.get_secret_value() if settings.api_key else ""
        if self.mocked:
            from ._mock import MockMiniMax  # deferred: only mock mode needs it

            self._mock: MockMiniMax | None = MockMiniMax()
            transport = httpx.MockTransport(self._mock.handle)
        else:
            self._mock = None
        headers = {"User-Agent": "storyreel-minimax"}
        if self._secret and not self.mocked:
            headers["Authorization"] = f"Bearer {self._secret}"
        self._http = httpx.AsyncClient(
            base_url=f"{settings.base_url}{API_PREFIX}/",
            transport=transport,
            headers=headers,
            timeout=httpx.Timeout(settings.request_timeout, connect=CONNECT_TIMEOUT),
            verify=_tls_context(),
        )
        # Download links point at a CDN: never send the API key there.
        self._files_http = httpx.AsyncClient(
            transport=transport,
            headers={"User-Agent": "storyreel-minimax"},
            timeout=httpx.Timeout(DOWNLOAD_READ_TIMEOUT, connect=CONNECT_TIMEOUT),
            follow_redirects=True,
            verify=_tls_context(),
        )
        self._limits: RateLimiter = rate_limits or RateLimits(
            video_rpm=settings.video_rpm,
            tts_rpm=settings.tts_rpm,
            clone_rpm=settings.clone_rpm,
            enabled=not self.mocked,
        )
        self._downloads = Downloader(self._files_http, self.retrieve_file, sleep)

    def __repr__(self) -> str:
        return f"AsyncMiniMax(base_url={self.settings.base_url!r}, mocked={self.mocked})"

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()
        await self._files_http.aclose()

    # --- plumbing --------------------------------------------------------------------------

    def _redact(self, text: str) -> str:
        return text.replace(self._secret, "***") if self._secret else text

    def _trace_id(self, response: httpx.Response, body: Any = None) -> str | None:
        """The answer's trace id (header first, then body), as a string safe to log and store.

        It comes from the network: a misbehaving server or proxy could echo the key in it, or
        send megabytes. So the key is redacted and anything but a short token is dropped.
        """
        value = response.headers.get("Trace-Id")
        if not value and isinstance(body, dict) and body.get("trace_id"):
            value = str(body["trace_id"])
        return safe_trace_id(self._redact(value)) if value else None

    async def _call(
        self,
        method: str,
        endpoint: str,
        *,
        read: Reader[T],
        before_send: BeforeSend | None = None,
        **request: Any,
    ) -> T:
        """One API call with rate limit, retries and error translation.

        ``before_send`` is awaited inside the rate-limit slot, right before each attempt's
        request leaves: the moment a paid create may start to cost (see ``generate_video``)."""
        # 'paid' here means costly to repeat (see _constants): video creates and voice clones.
        paid = endpoint in NOT_REPEATED_BLINDLY
        reader = read
        retrying = build_retrying(
            max_retries=self.settings.max_retries, paid=paid, sleep=self._sleep
        )
        async for attempt in retrying:
            with attempt:
                result: T = await self._attempt(
                    method, endpoint, reader, paid, request, before_send
                )
                return result
        raise AssertionError("unreachable: tenacity reraises")  # pragma: no cover

    async def _json(
        self, method: str, endpoint: str, *, before_send: BeforeSend | None = None, **request: Any
    ) -> dict[str, Any]:
        return await self._call(
            method, endpoint, read=self._read_json, before_send=before_send, **request
        )

    async def _attempt(
        self,
        method: str,
        endpoint: str,
        reader: Reader[T],
        paid: bool,
        request: Mapping[str, Any],
        before_send: BeforeSend | None,
    ) -> T:
        async with self._limits.slot(endpoint):
            if before_send is not None:
                await before_send()
            log.debug("%s %s", method, endpoint)
            try:
                response = await self._http.send(
                    self._http.build_request(method, endpoint, **request), stream=True
                )
                try:
                    return await reader(endpoint, response)
                finally:
                    await response.aclose()
            except httpx.HTTPError as exc:
                raise self._transport_error(endpoint, exc, paid=paid) from exc

    def _transport_error(self, endpoint: str, exc: httpx.HTTPError, *, paid: bool) -> MiniMaxError:
        kind = type(exc).__name__
        sent = not isinstance(exc, _NOT_SENT)
        if paid and sent:
            return UnknownOutcomeError(
                f"no answer after the request was sent ({kind}); it may have been accepted and "
                "billed, so it is not repeated automatically",
                endpoint=endpoint,
            )
        cls = APITimeoutError if isinstance(exc, httpx.TimeoutException) else APIConnectionError
        error = cls(self._redact(f"{kind}: {exc}".rstrip(": ")), endpoint=endpoint)
        error.request_sent = sent
        return error

    def _raise_for_body(
        self, endpoint: str, response: httpx.Response, body: object
    ) -> dict[str, Any]:
        """Return the JSON body, or raise the named error (HTTP status, base_resp, non-JSON)."""
        trace_id = self._trace_id(response, body)
        code: int | None = None
        message = ""
        if isinstance(body, dict):
            base = body.get("base_resp")
            if isinstance(base, dict):
                code = _int_or_none(base.get("status_code"))
                message = str(base.get("status_msg") or "")
        failed = response.status_code >= 400 or not isinstance(body, dict) or code not in (None, 0)
        if not failed:
            assert isinstance(body, dict)
            return body
        if not message:
            if isinstance(body, dict):
                message = f"HTTP {response.status_code} {response.reason_phrase}"
            else:
                snippet = " ".join(response.text[:120].split())
                message = (
                    f"non-JSON answer (HTTP {response.status_code}, a gateway page?): {snippet!r}"
                )
        if endpoint in NOT_REPEATED_BLINDLY and response.status_code in GATEWAY_TIMEOUTS:
            # The gateway gave up waiting, not the service: the create may have gone through.
            raise UnknownOutcomeError(
                f"HTTP {response.status_code} from the gateway after the request was sent; it "
                "may have been accepted and billed, so it is not repeated automatically",
                endpoint=endpoint,
                http_status=response.status_code,
                trace_id=trace_id,
            )
        raise make_error(
            endpoint,
            http_status=response.status_code,
            code=code if code else None,
            message=self._redact(message),
            trace_id=trace_id,
            retry_after=parse_retry_after(response.headers.get("Retry-After")),
        )

    async def _read_json(self, endpoint: str, response: httpx.Response) -> dict[str, Any]:
        await response.aread()
        try:
            body: object = response.json()
        except ValueError:
            body = None
        return self._raise_for_body(endpoint, response, body)

    async def _read_query(self, endpoint: str, response: httpx.Response) -> dict[str, Any]:
        # A failed task may carry its reason as a non-zero base_resp: that is a result, not
        # an error of the query itself.
        await response.aread()
        try:
            body: object = response.json()
        except ValueError:
            body = None
        if (
            response.status_code < 400
            and isinstance(body, dict)
            and body.get("status")
            and normalize_status(body["status"]) == "Fail"
        ):
            return body
        return self._raise_for_body(endpoint, response, body)

    def _parse(self, model: type[M], data: object, endpoint: str) -> M:
        try:
            return model.model_validate(data)
        except pydantic.ValidationError as exc:
            raise ServerError(
                f"unexpected answer shape: {exc.error_count()} problem(s), first: "
                f"{exc.errors()[0]['loc']} {exc.errors()[0]['msg']}",
                endpoint=endpoint,
            ) from exc

    # --- files -----------------------------------------------------------------------------

    async def upload_file(
        self, file: Path | bytes, *, purpose: str = "voice_clone", filename: str | None = None
    ) -> UploadedFile:
        """``POST /v1/files/upload`` (multipart). Returns the new file's id."""
        if isinstance(file, bytes):
            data = file
            name = filename or "audio.mp3"
        else:
            path = Path(file)
            if not await asyncio.to_thread(path.is_file):
                raise MiniMaxValidationError(
                    f"{str(path)!r} is not a file", field="file", fix="give an existing file"
                )
            data = await asyncio.to_thread(path.read_bytes)
            name = filename or path.name
        check.validate_upload(purpose, len(data))
        mime = CLONE_AUDIO_FORMATS.get(
            Path(name).suffix.lower().lstrip("."), "application/octet-stream"
        )
        body = await self._json(
            "POST", UPLOAD, files={"file": (name, data, mime)}, data={"purpose": purpose}
        )
        return self._parse(UploadedFile, body.get("file"), UPLOAD)

    async def retrieve_file(self, file_id: str) -> RetrievedFile:
        """``GET /v1/files/retrieve``: metadata and a (temporary) download URL."""
        if not str(file_id).strip():
            raise MiniMaxValidationError("is empty", field="file_id", fix="pass the task's file_id")
        body = await self._json("GET", RETRIEVE, params={"file_id": str(file_id)})
        info = self._parse(RetrievedFile, body.get("file"), RETRIEVE)
        self._downloads.remember(info)
        return info

    async def download_file(
        self, file_id: str, dest: Path, on_progress: Progress | None = None
    ) -> Path:
        """Stream a generated file to ``dest`` (atomic), asking for a fresh URL when needed."""
        return await self._downloads.download(str(file_id), Path(dest), on_progress)

    # --- voices ----------------------------------------------------------------------------

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
        await check.validate_clone_sample(Path(sample))
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

    # --- speech ----------------------------------------------------------------------------

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
        data = body.get("data") or {}
        value = str(data.get("audio") or "") if isinstance(data, dict) else ""
        if not value:
            raise ServerError(
                "the answer holds no audio (data is empty)", endpoint=endpoint, trace_id=trace_id
            )
        extra = body.get("extra_info") if isinstance(body.get("extra_info"), dict) else None
        fields = self._speech_fields(extra, fmt, trace_id)
        if is_url(value):
            return SpeechResult(audio=b"", url=value, **fields)
        try:
            audio = decode_audio(value)
        except AudioDecodeError as exc:
            raise ServerError(str(exc), endpoint=endpoint, trace_id=trace_id) from exc
        return SpeechResult(audio=audio, **fields)

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
            audio=assembler.audio, **self._speech_fields(assembler.extra_info, fmt, trace_id)
        )

    @staticmethod
    def _speech_fields(
        extra: dict[str, Any] | None, fmt: str, trace_id: str | None
    ) -> dict[str, Any]:
        extra = extra or {}
        return {
            "format": str(extra.get("audio_format") or fmt),
            "duration_ms": _int_or_none(extra.get("audio_length")),
            "sample_rate": _int_or_none(extra.get("audio_sample_rate")),
            "trace_id": trace_id,
            "extra_info": extra or None,
        }

    async def _fetch_url(self, url: str) -> bytes:
        """GET a media URL the service handed out (no API key sent), with free-call retries."""
        retrying = build_retrying(
            max_retries=self.settings.max_retries, paid=False, sleep=self._sleep
        )
        async for attempt in retrying:
            with attempt:
                try:
                    response = await self._files_http.get(url)
                except httpx.HTTPError as exc:
                    raise self._transport_error(DOWNLOAD, exc, paid=False) from exc
                if response.status_code >= 400:
                    raise make_error(
                        DOWNLOAD,
                        http_status=response.status_code,
                        code=None,
                        message="audio URL refused",
                        trace_id=self._trace_id(response),
                        retry_after=parse_retry_after(response.headers.get("Retry-After")),
                    )
                return response.content
        raise AssertionError("unreachable: tenacity reraises")  # pragma: no cover

    # --- music -----------------------------------------------------------------------------

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
        data = body.get("data")
        value = str(data.get("audio") or "") if isinstance(data, dict) else ""
        extra = body.get("extra_info")
        extra = extra if isinstance(extra, dict) else {}
        trace_id = safe_trace_id(str(body["trace_id"])) if body.get("trace_id") else None
        if not value:
            raise ServerError("the answer holds no audio", endpoint=MUSIC, trace_id=trace_id)
        if is_url(value):
            audio = await self._fetch_url(value)
        else:
            try:
                audio = decode_audio(value)
            except AudioDecodeError as exc:
                raise ServerError(str(exc), endpoint=MUSIC, trace_id=trace_id) from exc
        return MusicResult(
            audio=audio,
            format=str(extra.get("music_format") or format),
            duration_ms=_int_or_none(extra.get("music_duration")),
            trace_id=trace_id,
        )

    # --- video -----------------------------------------------------------------------------

    async def generate_video(
        self,
        prompt: str | None = None,
        *,
        model: str = "MiniMax-Hailuo-02",
        first_frame_image: str | Path | None = None,
        last_frame_image: str | Path | None = None,
        duration: int = 6,
        resolution: str = "768P",
        prompt_optimizer: bool = True,
        callback_url: str | None = None,
        before_send: BeforeSend | None = None,
    ) -> str:
        """``POST /v1/video_generation`` (T2V, I2V or FL2V by the frames given). Returns task_id.

        ``before_send``: awaited after validation and the rate-limit wait, right before the
        request leaves. A caller that must record "this may now be billed" (a write-ahead log)
        does it there, so an interruption while waiting for a slot is not mistaken for a
        request that may have been accepted. An exception from it cancels the request."""
        mode: check.Mode = (
            "fl2v"
            if last_frame_image is not None
            else "i2v"
            if first_frame_image is not None
            else "t2v"
        )
        text = check.validate_prompt(prompt, required=mode == "t2v")
        params = check.validate_video(
            model=model, mode=mode, duration=duration, resolution=resolution
        )
        callback = check.validate_callback_url(callback_url)
        first = await check.prepare_image(first_frame_image, "first_frame_image")
        last = await check.prepare_image(last_frame_image, "last_frame_image")
        request = VideoRequest(
            model=model,
            prompt=text,
            first_frame_image=first,
            last_frame_image=last,
            duration=params.duration,
            resolution=params.resolution,
            prompt_optimizer=prompt_optimizer,
            callback_url=callback,
        )
        body = await self._json("POST", VIDEO_CREATE, json=request.body(), before_send=before_send)
        task_id = body.get("task_id")
        if task_id in (None, ""):
            raise ServerError("the answer has no task_id", endpoint=VIDEO_CREATE)
        log.debug("video task %s created (%s, %s)", task_id, model, mode)
        return str(task_id)

    async def generate_video_fl2v(
        self,
        prompt: str | None = None,
        first_frame_image: str | Path | None = None,
        last_frame_image: str | Path | None = None,
        *,
        model: str = "MiniMax-Hailuo-02",
        duration: int = 6,
        resolution: str = "768P",
        prompt_optimizer: bool = True,
        callback_url: str | None = None,
        before_send: BeforeSend | None = None,
    ) -> str:
        """First-and-last-frame video (Hailuo-02 only). Returns task_id.

        The first frame is optional (the seed says so, and the API requires only ``model`` and
        ``last_frame_image``); the last frame is not."""
        if last_frame_image is None:
            raise MiniMaxValidationError(
                "is missing",
                field="last_frame_image",
                fix="first-last-frame video needs at least the last frame",
            )
        return await self.generate_video(
            prompt,
            model=model,
            first_frame_image=first_frame_image,
            last_frame_image=last_frame_image,
            duration=duration,
            resolution=resolution,
            prompt_optimizer=prompt_optimizer,
            callback_url=callback_url,
            before_send=before_send,
        )

    async def query_video_status(self, task_id: str) -> VideoTask:
        """``GET /v1/query/video_generation``. A moderation code (1026/1027) means ``Fail``."""
        if not str(task_id).strip():
            raise MiniMaxValidationError(
                "is empty", field="task_id", fix="pass the id from generate_video"
            )
        try:
            body = await self._call(
                "GET", VIDEO_QUERY, params={"task_id": str(task_id)}, read=self._read_query
            )
        except ContentPolicyError as exc:
            return VideoTask(
                task_id=str(task_id),
                status="Fail",
                raw_status="Fail",
                code=exc.code,
                message=exc.message,
            )
        task = self._parse(
            VideoTask, {**body, "task_id": body.get("task_id") or task_id}, VIDEO_QUERY
        )
        if task.failed and task.message is None:
            reason = body.get("error_msg") or body.get("error_message")
            base = body.get("base_resp")
            base = base if isinstance(base, dict) else {}
            code = _int_or_none(base.get("status_code"))
            message = reason or (base.get("status_msg") if code else None)
            task = task.model_copy(
                update={"message": str(message) if message else None, "code": code or task.code}
            )
        if task.done and not task.file_id:
            raise ServerError(
                f"task {task_id} succeeded but the answer has no file_id", endpoint=VIDEO_QUERY
            )
        return task

    async def wait_for_video(
        self,
        task_id: str,
        *,
        on_status: Callable[[VideoTask], None] | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 -- part of the public contract
        wake: asyncio.Event | None = None,
    ) -> VideoTask:
        """Poll until the task succeeds (returned), fails or times out (raised)."""
        initial, interval = self.settings.poll_initial_delay, self.settings.poll_interval
        if self.mocked:
            # Mock tasks advance one stage per poll: waiting real seconds would prove nothing.
            initial, interval = 0.0, 0.0
        return await wait_for_task(
            self.query_video_status,
            str(task_id),
            sleep=self._sleep,
            initial_delay=initial,
            interval=interval,
            timeout=timeout if timeout is not None else self.settings.poll_timeout,
            on_status=on_status,
            wake=wake,
        )
