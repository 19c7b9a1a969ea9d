"""A fake MiniMax HTTP API on a real local socket, answering in the real service's shapes
(``shared/reference/minimax_api.md``) or, with ``shape="seed"``, in the seed spec's shapes.

It makes real media: t2a answers carry a real MP3 (a tone whose length follows the text), and a
video task's file is a real H.264 clip of the requested duration that cross-fades from the first
frame to the last (both decoded from the request's data URLs).

Endpoints (counter names in brackets)::

    POST /v1/files/upload [files/upload]        POST /v1/voice_clone [voice_clone]
    POST /v1/get_voice [get_voice]              POST /v1/t2a_v2 [t2a_v2]
    POST /v1/video_generation [video_generation]
    POST /v1/music_generation [music_generation]
    GET  /v1/query/video_generation [query/video_generation]
    GET  /v1/files/retrieve [files/retrieve]    GET /_files/... (download URLs) [download]
    GET  /_media/... (t2a url mode, clone previews) [media]

Run standalone: ``python -m tests.fakes.fake_minimax --port 8765 --latency video=20``.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import binascii
import io
import itertools
import json
import logging
import re
import secrets
import time
import zlib
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import httpx
from fastapi import FastAPI, Request
from PIL import Image
from starlette.datastructures import UploadFile
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.types import Scope

from tests.fakes import media
from tests.fakes.harness import FakeService, Fault, parse_latency

log = logging.getLogger(__name__)

FAKE_MINIMAX_KEY = "fake-minimax-test-key"
Shape = Literal["real", "seed"]
Stage = Literal["Preparing", "Queueing", "Processing"]
STAGES: tuple[Stage, ...] = ("Preparing", "Queueing", "Processing")

MESSAGES: dict[int, str] = {
    0: "success",
    1000: "unknown error",
    1001: "request timeout",
    1002: "rate limit",
    1004: "login fail: Please carry the API secret key in the 'Authorization' field",
    1008: "insufficient balance",
    1013: "internal service error",
    1024: "internal error",
    1026: "input new_sensitive",
    1027: "output new_sensitive",
    1033: "system error",
    1039: "token limit",
    1041: "conn limit",
    1042: "invisible character ratio limit",
    1043: "The asr similarity check failed",
    1044: "clone prompt similarity check failed",
    2013: "invalid params",
    20132: "invalid samples or voice_id",
    2037: "voice duration too short or too long",
    2038: "no cloning permission: real-name verification required",
    2039: "voice clone voice id duplicate",
    2042: "You don't have access to this voice_id",
    2045: "rate growth limit",
    2048: "prompt audio too long",
    2049: "invalid api key",
    2056: "usage limit exceeded",
    # The seed's table.
    1005: "insufficient credits",
    2001: "content policy violation",
    3001: "invalid parameters",
    5001: "server error",
}
# The seed's codes for the real ones, used when the fake answers in the seed's shape.
SEED_CODES: dict[int, int] = {
    2039: 1001,
    1008: 1005,
    1026: 2001,
    1027: 2001,
    2013: 3001,
    20132: 3001,
    2037: 3001,
    1000: 5001,
    1013: 5001,
    1024: 5001,
    1033: 5001,
    2049: 1004,
}

TTS_MODELS = frozenset(
    f"speech-{v}-{k}" for v in ("2.8", "2.6", "02", "01") for k in ("hd", "turbo")
)
MUSIC_SECONDS = 12.0  # a generated track is shorter than most videos: it is looped
SEED_TTS_MODELS = TTS_MODELS | {"speech-01", "speech-02"}
TTS_FORMATS = frozenset({"mp3", "wav", "flac", "pcm", "opus"})
SYSTEM_VOICES: tuple[tuple[str, str], ...] = (
    ("English_expressive_narrator", "Expressive Narrator"),
    ("English_Graceful_Lady", "Graceful Lady"),
    ("Wise_Woman", "Wise Woman"),
    ("Deep_Voice_Man", "Deep Voice Man"),
    ("male-qn-qingse", "Qingse"),
    ("female-shaonv", "Shaonv"),
)
UPLOAD_PURPOSES = frozenset(
    {"voice_clone", "prompt_audio", "t2a_async_input", "video_understanding", "retrieval"}
)
VOICE_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{6,254}[A-Za-z0-9]$")
PAUSE = re.compile(r"<#(\d+(?:\.\d+)?)#>")
DATA_URL = re.compile(r"^data:(image/[A-Za-z0-9.+-]+);base64,(.*)$", re.DOTALL)

HAILUO_MODELS = frozenset({"MiniMax-Hailuo-02", "MiniMax-Hailuo-2.3", "MiniMax-Hailuo-2.3-Fast"})
LEGACY_MODELS = frozenset(
    {"T2V-01", "T2V-01-Director", "I2V-01", "I2V-01-Director", "I2V-01-live", "S2V-01"}
)
# Clips as Hailuo-02 delivers them: a fixed size per resolution (768P is 1366x768, 1080P is
# 1920x1080; the first frame decides only the orientation), H.264 yuv420p at 25 fps.
RESOLUTION_SIZES: dict[str, tuple[int, int]] = {
    "512P": (912, 512),
    "720P": (1280, 720),
    "768P": (1366, 768),
    "1080P": (1920, 1080),
}
CLIP_FPS = 25
NGINX_PAGE = "<html><head><title>{0}</title></head><body><center><h1>{0}</h1></center><hr><center>nginx</center></body></html>"  # noqa: E501


class _Rejected(Exception):
    """A request the real service would refuse with ``base_resp`` ``code``."""

    def __init__(self, code: int, detail: str = "") -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


@dataclass
class StoredFile:
    file_id: int
    bytes: int
    created_at: int
    filename: str
    purpose: str
    blob: str


@dataclass
class Voice:
    voice_id: str
    file_id: int
    created_time: str
    description: list[str] = field(default_factory=list)


@dataclass
class VideoTask:
    task_id: str
    model: str
    mode: Literal["t2v", "i2v", "fl2v", "s2v"]
    prompt: str
    duration: int
    resolution: str
    width: int
    height: int
    created: float
    callback_url: str | None = None
    fail_code: int | None = None
    polls: int = 0
    forced_done: bool = False
    file_id: int | None = None
    first_blob: str | None = None
    last_blob: str | None = None


@dataclass
class CallbackRecord:
    """One POST the fake made to a task's ``callback_url`` and what came back."""

    task_id: str
    url: str
    body: dict[str, Any]
    status_code: int | None
    response: Any
    time: float


class FakeMiniMax(FakeService):
    """The fake service. Start it (``with FakeMiniMax() as fake:``), point ``MINIMAX_BASE_URL``
    at ``fake.url``, then assert on ``fake.calls`` / ``fake.accepted`` / ``fake.requests``.

    Task progression: the k-th query of a task reports Preparing, Queueing, Processing as set by
    ``polls_per_stage`` (default one poll each), then Success; with ``task_seconds`` the task also
    needs that much wall-clock time (stages spread over it). A task with a ``callback_url``
    finishes by itself after ``task_seconds`` and is announced by callback.
    """

    name = "fake-minimax"
    latency_aliases: Mapping[str, tuple[str, ...]] = {
        "speech": ("t2a_v2",),
        "tts": ("t2a_v2",),
        "clone": ("voice_clone",),
        "upload": ("files/upload",),
        "query": ("query/video_generation",),
        "retrieve": ("files/retrieve",),
    }

    def __init__(
        self,
        *,
        api_key: str = FAKE_MINIMAX_KEY,
        shape: Shape = "real",
        polls_per_stage: Mapping[Stage, int] | None = None,
        task_seconds: float = 0.0,
        check_clone_audio: bool = True,
        state_path: Path | str | None = None,
    ) -> None:
        self.shape: Shape = shape
        self.polls_per_stage: dict[Stage, int] = {s: 1 for s in STAGES}
        self.polls_per_stage.update(polls_per_stage or {})
        self.task_seconds = task_seconds
        #: Shortest time a callback task takes (so "processing" arrives before "success").
        self.callback_min_seconds = 0.05
        self.check_clone_audio = check_clone_audio
        #: Spelling of a failed task's status in queries ("Fail" per docs; CLI expects "Failed").
        self.fail_status = "Fail"
        #: Seconds a download URL stays valid (``None``: forever).
        self.download_ttl: float | None = None
        #: Render one clip per (duration, size) and serve it for every task of that shape. For
        #: benchmarks: MiniMax renders on its own machines, so the fake's rendering must not take
        #: the CPU of the machine it measures. (Tests keep it off: each clip shows its frames.)
        self.reuse_clips = False
        self._shared_clips: dict[tuple[int, int, int], asyncio.Task[bytes]] = {}
        self.files: dict[int, StoredFile] = {}
        self.voices: dict[str, Voice] = {}
        self.tasks: dict[str, VideoTask] = {}
        self.callbacks: list[CallbackRecord] = []
        self._reject_markers: dict[str, int] = {}
        self._fail_markers: dict[str, int] = {}
        self._fail_tasks: list[int] = []
        self._expire_downloads = 0
        self._download_tokens: dict[str, tuple[int, float]] = {}
        self._file_ids = itertools.count(362069085524212)
        self._task_ids = itertools.count(106916112212032)
        self._clips: dict[str, asyncio.Task[bytes]] = {}
        super().__init__(api_key=api_key, state_path=state_path)

    # ------------------------------------------------------------------ test controls
    def reject_prompts_containing(self, marker: str, code: int = 1026) -> None:
        """Creates whose prompt contains ``marker`` are refused at once (input moderation)."""
        self._reject_markers[marker.lower()] = code

    def fail_tasks_containing(self, marker: str, code: int = 1027) -> None:
        """Tasks whose prompt contains ``marker`` are created, then end in Fail with ``code``."""
        self._fail_markers[marker.lower()] = code

    def fail_next_tasks(self, times: int = 1, code: int = 1027) -> None:
        """The next ``times`` created tasks end in Fail with ``code`` (output moderation)."""
        self._fail_tasks.extend([code] * times)

    def expire_next_downloads(self, times: int = 1) -> None:
        """The next ``times`` GETs of a download URL answer 403, as an expired CDN link does;
        a new ``files/retrieve`` hands out a fresh URL."""
        self._expire_downloads += times

    def set_latency(self, endpoint: str, seconds: float) -> None:
        """``video`` sets how long a video task takes (wall clock); other names delay answers."""
        if endpoint == "video":
            self.task_seconds = seconds
        else:
            super().set_latency(endpoint, seconds)

    def control_methods(self) -> dict[str, Callable[..., Any]]:
        return {
            "reject_prompts_containing": self.reject_prompts_containing,
            "fail_tasks_containing": self.fail_tasks_containing,
            "fail_next_tasks": self.fail_next_tasks,
            "expire_next_downloads": self.expire_next_downloads,
            "set_shape": self._set_shape,
        }

    def _set_shape(self, shape: Shape) -> None:
        self.shape = shape

    def video_requests(self) -> list[dict[str, Any]]:
        """JSON bodies of every video_generation request received."""
        return [r.json for r in self.requests_for("video_generation")]

    # ------------------------------------------------------------------ harness hooks
    def endpoint_for(self, method: str, path: str) -> str | None:
        if path.startswith("/v1/"):
            return path[len("/v1/") :].strip("/")
        if path.startswith("/_files/"):
            return "download"
        if path.startswith("/_media/"):
            return "media"
        return None

    def auth_failure(self, authorization: str | None) -> Response | None:
        scheme, _, token = (authorization or "").partition(" ")
        if not token or scheme.lower() != "bearer":
            return self._error(1004)
        if not secrets.compare_digest(token.strip(), self.api_key):
            # The real service answers a bad key with HTTP 200 and base_resp 2049.
            return self._error(2049)
        return None

    def fault_response(self, endpoint: str, fault: Fault) -> Response:
        headers = {"Retry-After": f"{fault.retry_after:g}"} if fault.retry_after else None
        if fault.kind == "code":
            return self._error(fault.code, fault.message, map_seed=False, headers=headers)
        if fault.body is not None:
            return Response(fault.body, fault.status, headers=headers, media_type="text/plain")
        if fault.status == 429:
            return JSONResponse(_base(1002, fault.message), 429, headers=headers)
        if fault.status >= 500:
            phrase = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}
            page = NGINX_PAGE.format(f"{fault.status} {phrase.get(fault.status, 'Error')}")
            return Response(page, fault.status, headers=headers, media_type="text/html")
        return JSONResponse(_base(1004, fault.message), fault.status, headers=headers)

    def rate_limited_response(self, endpoint: str) -> Response:
        return self._error(1002)

    def response_headers(self, endpoint: str, scope: Scope) -> list[tuple[bytes, bytes]]:
        trace = secrets.token_hex(16)
        scope["fake.trace_id"] = trace
        return [(b"trace-id", trace.encode())]

    # ------------------------------------------------------------------ answers
    def _error(
        self,
        code: int,
        detail: str | None = None,
        *,
        map_seed: bool = True,
        headers: Mapping[str, str] | None = None,
    ) -> JSONResponse:
        if map_seed and self.shape == "seed":
            code = SEED_CODES.get(code, code)
        return JSONResponse(_base(code, detail), headers=headers)

    def _ok(self, body: dict[str, Any]) -> JSONResponse:
        return JSONResponse({**body, "base_resp": _base(0)["base_resp"]})

    # ------------------------------------------------------------------ routes
    def add_routes(self, app: FastAPI) -> None:
        def guarded(
            handler: Callable[[Request], Any],
        ) -> Callable[[Request], Any]:
            async def route(request: Request) -> Response:
                try:
                    result: Response = await handler(request)
                except _Rejected as rejected:
                    return self._error(rejected.code, rejected.detail or None)
                return result

            return route

        app.add_api_route("/v1/files/upload", guarded(self._upload), methods=["POST"])
        app.add_api_route("/v1/voice_clone", guarded(self._voice_clone), methods=["POST"])
        app.add_api_route("/v1/get_voice", guarded(self._get_voice), methods=["POST"])
        app.add_api_route("/v1/t2a_v2", guarded(self._t2a), methods=["POST"])
        app.add_api_route("/v1/music_generation", guarded(self._music), methods=["POST"])
        app.add_api_route("/v1/video_generation", guarded(self._create_video), methods=["POST"])
        app.add_api_route("/v1/query/video_generation", guarded(self._query_video), methods=["GET"])
        app.add_api_route("/v1/files/retrieve", guarded(self._retrieve), methods=["GET"])
        app.add_api_route("/_files/{file_id}/{token}/{filename}", self._download, methods=["GET"])
        app.add_api_route("/_media/{key}", self._media, methods=["GET"])

    async def _json(self, request: Request) -> dict[str, Any]:
        try:
            body = await request.json()
        except ValueError as exc:
            raise _Rejected(2013, "invalid params, body is not JSON") from exc
        if not isinstance(body, dict):
            raise _Rejected(2013, "invalid params, body must be an object")
        return body

    # files/upload ----------------------------------------------------------
    async def _upload(self, request: Request) -> Response:
        async with request.form() as form:
            purpose = form.get("purpose")
            upload = form.get("file")
            if not isinstance(purpose, str) or purpose not in UPLOAD_PURPOSES:
                raise _Rejected(
                    2013, f"invalid params, purpose must be one of {sorted(UPLOAD_PURPOSES)}"
                )
            if not isinstance(upload, UploadFile):
                raise _Rejected(2013, "invalid params, file is required")
            data = await upload.read()
            filename = upload.filename or "file"
        stored = self._store_file(data, filename, purpose)
        self.accepted["files/upload"] += 1
        if self.shape == "seed":
            return self._ok({"file": {"file_id": str(stored.file_id)}})
        return self._ok({"file": _file_json(stored)})

    def _store_file(self, data: bytes, filename: str, purpose: str) -> StoredFile:
        file_id = next(self._file_ids)
        blob = f"file-{file_id}"
        self.blobs.put(blob, data)
        stored = StoredFile(file_id, len(data), int(time.time()), filename, purpose, blob)
        self.files[file_id] = stored
        return stored

    # voice_clone -------------------------------------------------------------
    async def _voice_clone(self, request: Request) -> Response:
        body = await self._json(request)
        file_id = body.get("file_id")
        # The real schema: file_id is an int64 (a string, even of digits, is refused); the seed
        # shows it as a string, so the seed shape takes that.
        if self.shape == "seed":
            file_id = _as_int(file_id)
        elif not isinstance(file_id, int) or isinstance(file_id, bool):
            raise _Rejected(2013, "invalid params, file_id must be an int64")
        stored = self.files.get(file_id)
        if stored is None:
            raise _Rejected(20132, "invalid samples or voice_id: file_id not found")
        if stored.purpose != "voice_clone":
            raise _Rejected(2013, "invalid params, file was not uploaded for voice_clone")
        voice_id = body.get("voice_id")
        if not isinstance(voice_id, str) or not VOICE_ID.match(voice_id):
            raise _Rejected(
                2013,
                "invalid params, voice_id: 8-256 chars, starts with a letter, letters/digits/-/_, "
                "not ending in - or _",
            )
        if voice_id in self.voices or voice_id in dict(SYSTEM_VOICES):
            raise _Rejected(2039)
        if body.get("text") and not body.get("model"):
            raise _Rejected(2013, "invalid params, model is required with text")
        if self.check_clone_audio:
            seconds = await asyncio.to_thread(_audio_seconds, self.blobs.get(stored.blob) or b"")
            if seconds is None:
                raise _Rejected(1000)  # what the real service says about an undecodable sample
            if not 10.0 <= seconds <= 300.0:
                raise _Rejected(2037, f"voice duration {seconds:.1f}s is outside 10 s to 5 min")
        self.voices[voice_id] = Voice(
            voice_id, stored.file_id, datetime.now(UTC).strftime("%Y-%m-%d")
        )
        self.accepted["voice_clone"] += 1
        if self.shape == "seed":
            return self._ok({})
        demo = ""
        if body.get("text"):
            audio = await asyncio.to_thread(
                media.make_tone, _speech_seconds(str(body["text"]), 1.0), frequency=_pitch(voice_id)
            )
            demo = self._media_url(request, audio, "mp3")
        return self._ok({"input_sensitive": False, "input_sensitive_type": 0, "demo_audio": demo})

    # get_voice --------------------------------------------------------------
    async def _get_voice(self, request: Request) -> Response:
        body = await self._json(request)
        kind = body.get("voice_type", "all")
        if kind not in {"system", "voice_cloning", "voice_generation", "all"}:
            raise _Rejected(2013, "invalid params, voice_type")
        answer: dict[str, Any] = {}
        if kind in {"system", "all"}:
            answer["system_voice"] = [
                {"voice_id": vid, "voice_name": name, "description": []}
                for vid, name in SYSTEM_VOICES
            ]
        if kind in {"voice_cloning", "all"}:
            answer["voice_cloning"] = [
                {
                    "voice_id": v.voice_id,
                    "description": v.description,
                    "created_time": v.created_time,
                }
                for v in self.voices.values()
            ]
        if kind in {"voice_generation", "all"}:
            answer["voice_generation"] = []
        return self._ok(answer)

    # t2a_v2 ------------------------------------------------------------------
    async def _t2a(self, request: Request) -> Response:
        body = await self._json(request)
        text = body.get("text")
        if not isinstance(text, str) or not text.strip() or len(text) >= 10_000:
            raise _Rejected(2013, "invalid params, text must be 1-9999 characters")
        models = SEED_TTS_MODELS if self.shape == "seed" else TTS_MODELS
        if body.get("model") not in models:
            raise _Rejected(2013, f"invalid params, model must be one of {sorted(models)}")
        voice = body.get("voice_setting") or {}
        voice_id = voice.get("voice_id")
        if voice_id not in self.voices and voice_id not in dict(SYSTEM_VOICES):
            raise _Rejected(20132)
        speed = float(voice.get("speed", 1.0))
        if not 0.5 <= speed <= 2.0:
            raise _Rejected(2013, "invalid params, speed must be in [0.5, 2]")
        audio_setting = body.get("audio_setting") or {}
        fmt = str(audio_setting.get("format", "mp3"))
        stream = bool(body.get("stream", False))
        if fmt not in TTS_FORMATS or (stream and fmt == "wav"):
            raise _Rejected(2013, f"invalid params, format {fmt!r}")
        sample_rate = int(audio_setting.get("sample_rate", 32000))
        bitrate = int(audio_setting.get("bitrate", 128000))
        channels = int(audio_setting.get("channel", 1))
        seconds = _speech_seconds(text, speed)
        audio = await asyncio.to_thread(
            media.make_tone,
            seconds,
            fmt=fmt,
            sample_rate=sample_rate,
            frequency=_pitch(str(voice_id)),
            bitrate=bitrate,
            channels=channels,
        )
        self.accepted["t2a_v2"] += 1
        trace_id = str(request.scope.get("fake.trace_id", secrets.token_hex(16)))
        if self.shape == "seed":
            if stream:
                return Response(audio, media_type="audio/mpeg")
            return JSONResponse({"data": {"audio": base64.b64encode(audio).decode()}})
        extra = {
            "audio_length": round(seconds * 1000),
            "audio_sample_rate": 48000 if fmt == "opus" else sample_rate,
            "audio_size": len(audio),
            "bitrate": bitrate,
            "word_count": len(text.split()),
            "invisible_character_ratio": 0,
            "usage_characters": len(text),
            "audio_format": fmt,
            "audio_channel": channels,
        }
        if stream:
            exclude = bool((body.get("stream_options") or {}).get("exclude_aggregated_audio"))
            return StreamingResponse(
                _sse_chunks(audio, extra, trace_id, aggregate=not exclude),
                media_type="text/event-stream",
            )
        if body.get("output_format") == "url":
            payload = self._media_url(request, audio, fmt)
        else:
            payload = audio.hex()
        return self._ok(
            {"data": {"audio": payload, "status": 2}, "extra_info": extra, "trace_id": trace_id}
        )

    # music_generation ----------------------------------------------------------
    async def _music(self, request: Request) -> Response:
        body = await self._json(request)
        if body.get("model") != "music-2.0":
            raise _Rejected(2013, "invalid params, model must be music-2.0")
        prompt, lyrics = body.get("prompt"), body.get("lyrics")
        if not isinstance(prompt, str) or not 10 <= len(prompt) <= 300:
            raise _Rejected(2013, "invalid params, prompt must be 10-300 characters")
        if not isinstance(lyrics, str) or not 10 <= len(lyrics) <= 3000:
            raise _Rejected(2013, "invalid params, lyrics must be 10-3000 characters")
        setting = body.get("audio_setting") or {}
        fmt = str(setting.get("format", "mp3"))
        audio = await asyncio.to_thread(
            media.make_tone,
            MUSIC_SECONDS,
            fmt=fmt,
            sample_rate=int(setting.get("sample_rate", 44100)),
            frequency=330,
            bitrate=int(setting.get("bitrate", 256000)),
            channels=2,
        )
        self.accepted["music_generation"] += 1
        trace_id = str(request.scope.get("fake.trace_id", secrets.token_hex(16)))
        extra = {"music_duration": round(MUSIC_SECONDS * 1000), "music_sample_rate": 44100,
                 "music_channel": 2, "bitrate": 256000, "music_size": len(audio)}  # fmt: skip
        return self._ok(
            {"data": {"audio": audio.hex(), "status": 2}, "extra_info": extra, "trace_id": trace_id}
        )

    def _media_url(self, request: Request, data: bytes, ext: str) -> str:
        key = f"media-{secrets.token_hex(8)}.{ext}"
        self.blobs.put(key, data)
        return f"{str(request.base_url).rstrip('/')}/_media/{key}"

    async def _media(self, key: str) -> Response:
        data = self.blobs.get(key) if key.startswith("media-") and "/" not in key else None
        if data is None:
            return Response(status_code=404)
        kind = {"mp3": "audio/mpeg", "wav": "audio/wav", "flac": "audio/flac", "opus": "audio/ogg"}
        return Response(
            data, media_type=kind.get(key.rsplit(".", 1)[-1], "application/octet-stream")
        )

    # video_generation ----------------------------------------------------------
    async def _create_video(self, request: Request) -> Response:
        body = await self._json(request)
        task = await self._validated_task(body)
        task.fail_code = next(
            (code for word, code in self._fail_markers.items() if word in task.prompt.lower()),
            None,
        )
        if task.fail_code is None and self._fail_tasks:
            task.fail_code = self._fail_tasks.pop(0)
        self.tasks[task.task_id] = task
        self.accepted["video_generation"] += 1
        if self.task_seconds > 0 or task.callback_url:
            # Render while the task "runs"; with instant tasks, rendering waits for the first
            # Success so tests that never download do not pay for an encode.
            self._start_clip(task)
        if task.callback_url:
            self.spawn(self._drive_callbacks(task))
        return self._ok({"task_id": task.task_id})

    async def _validated_task(self, body: dict[str, Any]) -> VideoTask:
        model = body.get("model")
        if model not in HAILUO_MODELS | LEGACY_MODELS:
            raise _Rejected(2013, f"invalid params, unknown model {model!r}")
        prompt = body.get("prompt") or ""
        if not isinstance(prompt, str) or len(prompt) > 2000:
            raise _Rejected(2013, "invalid params, prompt must be at most 2000 characters")
        first_src, last_src = body.get("first_frame_image"), body.get("last_frame_image")
        mode: Literal["t2v", "i2v", "fl2v", "s2v"] = (
            "fl2v" if last_src else "i2v" if first_src else "s2v" if model == "S2V-01" else "t2v"
        )
        if mode == "fl2v" and model != "MiniMax-Hailuo-02":
            raise _Rejected(2013, "invalid params, last_frame_image needs MiniMax-Hailuo-02")
        if mode == "t2v" and not prompt:
            raise _Rejected(2013, "invalid params, prompt is required")
        if model == "MiniMax-Hailuo-2.3-Fast" and mode != "i2v":
            raise _Rejected(2013, "invalid params, MiniMax-Hailuo-2.3-Fast needs first_frame_image")
        duration, resolution = _duration_resolution(model, mode, body)
        for word, code in self._reject_markers.items():
            if word in prompt.lower():
                raise _Rejected(code)
        first = await self._frame(first_src, "first_frame_image")
        last = await self._frame(last_src, "last_frame_image")
        width, height = RESOLUTION_SIZES[resolution]
        if first is not None and _portrait(*media.image_size(first)):
            width, height = height, width
        task = VideoTask(
            task_id=str(next(self._task_ids)),
            model=str(model),
            mode=mode,
            prompt=prompt,
            duration=duration,
            resolution=resolution,
            width=width,
            height=height,
            created=time.time(),
            callback_url=body.get("callback_url") or None,
        )
        for which, data in (("first", first), ("last", last)):
            if data is not None:
                key = f"frame-{task.task_id}-{which}"
                self.blobs.put(key, data)
                setattr(task, f"{which}_blob", key)
        return task

    async def _frame(self, source: object, field_name: str) -> bytes | None:
        if source is None or source == "":
            return None
        if not isinstance(source, str):
            raise _Rejected(2013, f"invalid params, {field_name} must be a string")
        if source.startswith("data:"):
            match = DATA_URL.match(source)
            if not match:
                raise _Rejected(
                    2013, f"invalid params, {field_name} is not a base64 image data URL"
                )
            try:
                data = base64.b64decode(match.group(2), validate=True)
            except binascii.Error as exc:
                raise _Rejected(2013, f"invalid params, {field_name} is not valid base64") from exc
        elif source.startswith(("http://", "https://")):
            if urlsplit(source).hostname not in {"127.0.0.1", "localhost"}:
                return None  # a public URL: accepted, but the fake cannot fetch it
            async with httpx.AsyncClient(timeout=10) as client:
                got = await client.get(source)
            if got.status_code != 200:
                raise _Rejected(
                    2013, f"invalid params, {field_name} URL answered {got.status_code}"
                )
            data = got.content
        else:
            raise _Rejected(2013, f"invalid params, {field_name} must be a URL or a data URL")
        problem = _image_problem(data)
        if problem:
            raise _Rejected(2013, f"invalid params, {field_name}: {problem}")
        return data

    def _start_clip(self, task: VideoTask) -> None:
        first = self.blobs.get(task.first_blob) if task.first_blob else None
        last = self.blobs.get(task.last_blob) if task.last_blob else None

        async def render() -> bytes:
            return await asyncio.to_thread(
                media.make_clip,
                first,
                last,
                float(task.duration),
                width=task.width,
                height=task.height,
                fps=CLIP_FPS,
                label=task.prompt[:60],
            )

        loop = asyncio.get_running_loop()
        if not self.reuse_clips:
            self._clips[task.task_id] = loop.create_task(render())
            return
        shape = (task.duration, task.width, task.height)
        if shape not in self._shared_clips:
            self._shared_clips[shape] = loop.create_task(render())
        self._clips[task.task_id] = self._shared_clips[shape]  # a done task gives its bytes again

    async def _clip(self, task: VideoTask) -> bytes:
        key = f"clip-{task.task_id}.mp4"
        cached = self.blobs.get(key)
        if cached is not None:
            return cached
        if task.task_id not in self._clips:  # e.g. a fake restarted from its state file
            self._start_clip(task)
        clip = await self._clips.pop(task.task_id)
        self.blobs.put(key, clip)
        return clip

    # query/video_generation ----------------------------------------------------
    def status_of(self, task: VideoTask) -> str:
        """Where ``task`` stands now ("Preparing" ... "Success"/fail status), without polling."""
        if task.forced_done:
            return self.fail_status if task.fail_code else "Success"
        elapsed = time.time() - task.created
        by_polls = len(STAGES)
        seen = 0
        for index, stage in enumerate(STAGES):
            seen += self.polls_per_stage.get(stage, 0)
            if task.polls <= seen:
                by_polls = index
                break
        by_time = len(STAGES)
        if self.task_seconds > 0 and elapsed < self.task_seconds:
            share = elapsed / self.task_seconds
            by_time = 0 if share < 0.1 else 1 if share < 0.3 else 2
        stage_index = min(by_polls, by_time)
        if stage_index < len(STAGES):
            return STAGES[stage_index]
        return self.fail_status if task.fail_code else "Success"

    async def _query_video(self, request: Request) -> Response:
        task = self.tasks.get(request.query_params.get("task_id", ""))
        if task is None:
            raise _Rejected(2013, "invalid params, task_id not found")
        task.polls += 1
        status = self.status_of(task)
        answer: dict[str, Any] = {"task_id": task.task_id, "status": status}
        if status == "Success":
            if task.file_id is None:
                task.file_id = self._clip_file(task).file_id
            if task.task_id not in self._clips and f"clip-{task.task_id}.mp4" not in self.blobs:
                self._start_clip(task)
            answer |= {
                "file_id": str(task.file_id),
                "video_width": task.width,
                "video_height": task.height,
            }
        elif status == self.fail_status:
            code = task.fail_code or 1027
            if self.shape == "seed":
                return self._ok(
                    {**answer, "status": "Fail", "error_msg": "Content policy violation"}
                )
            return JSONResponse({**answer, **_base(code)})
        if self.shape == "seed":
            answer.pop("video_width", None)
            answer.pop("video_height", None)
            if status in {"Preparing", "Queueing"}:
                answer["status"] = "Processing"
        return self._ok(answer)

    def _clip_file(self, task: VideoTask) -> StoredFile:
        file_id = next(self._file_ids)
        stored = StoredFile(
            file_id,
            0,
            int(time.time()),
            "output_aigc.mp4",
            "video_generation",
            f"clip-{task.task_id}.mp4",
        )
        self.files[file_id] = stored
        return stored

    def _task_of_file(self, file_id: int) -> VideoTask | None:
        return next((t for t in self.tasks.values() if t.file_id == file_id), None)

    # files/retrieve and downloads ------------------------------------------------
    async def _retrieve(self, request: Request) -> Response:
        stored = self.files.get(_as_int(request.query_params.get("file_id")))
        if stored is None:
            raise _Rejected(2013, "invalid params, file_id not found")
        task = self._task_of_file(stored.file_id)
        if task is not None and not stored.bytes:
            try:
                stored.bytes = len(await self._clip(task))
            except RuntimeError:
                log.exception("fake clip for task %s failed", task.task_id)
                raise _Rejected(1000) from None
        token = secrets.token_urlsafe(12)
        self._download_tokens[token] = (stored.file_id, time.time())
        url = (
            f"{str(request.base_url).rstrip('/')}/_files/{stored.file_id}/{token}/{stored.filename}"
        )
        self.accepted["files/retrieve"] += 1
        if self.shape == "seed":
            expires = datetime.now(UTC) + timedelta(hours=9)
            return self._ok(
                {
                    "file": {
                        "file_id": str(stored.file_id),
                        "download_url": url,
                        "expires_at": expires.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    }
                }
            )
        return self._ok({"file": {**_file_json(stored), "download_url": url}})

    async def _download(self, file_id: str, token: str, filename: str) -> Response:
        issued = self._download_tokens.get(token)
        expired = issued is None or issued[0] != _as_int(file_id)
        if issued is not None and self.download_ttl is not None:
            expired = expired or time.time() - issued[1] > self.download_ttl
        if self._expire_downloads > 0:
            self._expire_downloads -= 1
            expired = True
        if expired:
            return Response(
                "<?xml version='1.0'?><Error><Code>AccessDenied</Code>"
                "<Message>Request has expired</Message></Error>",
                403,
                media_type="application/xml",
            )
        stored = self.files[int(file_id)]
        data = self.blobs.get(stored.blob)
        if data is None:
            return Response(status_code=404)
        self.accepted["download"] += 1
        kind = "video/mp4" if stored.filename.endswith(".mp4") else "application/octet-stream"
        return Response(data, media_type=kind)

    # callbacks ---------------------------------------------------------------------
    async def _drive_callbacks(self, task: VideoTask) -> None:
        """Verify the callback URL with a challenge, then announce the task's progress in the
        lowercase statuses the real callbacks use."""
        assert task.callback_url
        challenge = secrets.token_urlsafe(16)
        async with httpx.AsyncClient(timeout=3.0) as client:
            answer = await self._post_callback(client, task, {"challenge": challenge})
            if not isinstance(answer, dict) or answer.get("challenge") != challenge:
                log.warning("callback challenge for task %s not echoed", task.task_id)
                return
            await self._post_callback(
                client,
                task,
                {"task_id": task.task_id, "status": "processing", **_base(0)},
            )
            left = max(self.task_seconds, self.callback_min_seconds) - (time.time() - task.created)
            await asyncio.sleep(max(0.0, left))
            task.forced_done = True
            if task.fail_code:
                final = {"task_id": task.task_id, "status": "failed", **_base(task.fail_code)}
            else:
                if task.file_id is None:
                    task.file_id = self._clip_file(task).file_id
                final = {
                    "task_id": task.task_id,
                    "status": "success",
                    "file_id": str(task.file_id),
                    **_base(0),
                }
            await self._post_callback(client, task, final)

    async def _post_callback(
        self, client: httpx.AsyncClient, task: VideoTask, body: dict[str, Any]
    ) -> Any:
        assert task.callback_url
        status: int | None = None
        answer: Any = None
        try:
            reply = await client.post(task.callback_url, json=body)
            status = reply.status_code
            try:
                answer = reply.json()
            except ValueError:
                answer = reply.text
        except httpx.HTTPError as exc:
            answer = f"{type(exc).__name__}: {exc}"
        self.callbacks.append(
            CallbackRecord(task.task_id, task.callback_url, body, status, answer, time.time())
        )
        return answer

    # persistence ----------------------------------------------------------------------
    def dump_state(self) -> dict[str, Any]:
        return {
            "files": [asdict(f) for f in self.files.values()],
            "voices": [asdict(v) for v in self.voices.values()],
            "tasks": [asdict(t) for t in self.tasks.values()],
            "next_file_id": next(self._file_ids),
            "next_task_id": next(self._task_ids),
        }

    def load_state(self, state: Mapping[str, Any]) -> None:
        self.files = {f["file_id"]: StoredFile(**f) for f in state.get("files", [])}
        self.voices = {v["voice_id"]: Voice(**v) for v in state.get("voices", [])}
        self.tasks = {t["task_id"]: VideoTask(**t) for t in state.get("tasks", [])}
        self._file_ids = itertools.count(state.get("next_file_id", 362069085524212))
        self._task_ids = itertools.count(state.get("next_task_id", 106916112212032))


# ---------------------------------------------------------------------- helpers
def _base(code: int, detail: str | None = None) -> dict[str, Any]:
    message = MESSAGES.get(code, "error")
    if detail and detail != message:
        message = detail if detail.startswith(message) else f"{message}: {detail}"
    return {"base_resp": {"status_code": code, "status_msg": message}}


def _file_json(stored: StoredFile) -> dict[str, Any]:
    return {
        "file_id": stored.file_id,
        "bytes": stored.bytes,
        "created_at": stored.created_at,
        "filename": stored.filename,
        "purpose": stored.purpose,
    }


def _as_int(value: object) -> int:
    try:
        return int(str(value))
    except ValueError:
        return -1


def _speech_seconds(text: str, speed: float) -> float:
    """About 2.5 words a second at speed 1, plus the ``<#x#>`` pauses."""
    pauses = sum(float(p) for p in PAUSE.findall(text))
    words = len(PAUSE.sub(" ", text).split())
    return round(max(1.0, words / 2.5 / speed + pauses), 3)


def _pitch(voice_id: str) -> int:
    """Each voice gets its own tone, so outputs of different voices differ."""
    return 180 + zlib.crc32(voice_id.encode()) % 400


def _audio_seconds(data: bytes) -> float | None:
    import av  # PyAV; imported here so the fake's import stays cheap

    try:
        with av.open(io.BytesIO(data), "r") as container:
            if container.duration:
                return float(container.duration / 1_000_000)
            stream = container.streams.audio[0]
            if stream.duration and stream.time_base:
                return float(stream.duration * stream.time_base)
    except (av.FFmpegError, IndexError, ValueError):
        return None
    return None


def _image_problem(data: bytes) -> str | None:
    """Why MiniMax would refuse this frame, or ``None`` (JPG/PNG/WebP, <20 MB, short side
    >300 px, aspect between 2:5 and 5:2)."""
    if len(data) >= 20 * 1024 * 1024:
        return "image must be smaller than 20 MB"
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.verify()
            fmt, (width, height) = image.format, image.size
    except Exception as exc:  # Pillow raises many types for undecodable input
        return f"not a decodable image ({type(exc).__name__})"
    if fmt not in {"JPEG", "PNG", "WEBP"}:
        return f"format {fmt} not supported (JPG, PNG, WebP)"
    if min(width, height) <= 300:
        return f"short side must be > 300 px, got {width}x{height}"
    if not 0.4 <= width / height <= 2.5:
        return f"aspect ratio must be between 2:5 and 5:2, got {width}x{height}"
    return None


def _portrait(width: int, height: int) -> bool:
    return height > width


def _duration_resolution(model: object, mode: str, body: Mapping[str, Any]) -> tuple[int, str]:
    duration, resolution = body.get("duration"), body.get("resolution")
    if model in LEGACY_MODELS:
        # The 01 series is fixed at 6 s / 720P and refuses other values.
        if duration not in (None, 6) or resolution not in (None, "720P"):
            raise _Rejected(2013, f"invalid params, {model} is 6 s at 720P only")
        return 6, "720P"
    duration = 6 if duration is None else duration
    resolution = "768P" if resolution is None else resolution
    if duration not in (6, 10):
        raise _Rejected(2013, "invalid params, duration must be 6 or 10")
    allowed = {"768P", "1080P"} | (
        {"512P"} if model == "MiniMax-Hailuo-02" and mode == "i2v" else set()
    )
    if resolution not in allowed:
        raise _Rejected(2013, f"invalid params, resolution must be one of {sorted(allowed)}")
    if resolution == "1080P" and duration != 6:
        raise _Rejected(2013, "invalid params, 1080P allows 6 s only")
    return int(duration), str(resolution)


async def _sse_chunks(
    audio: bytes, extra: dict[str, Any], trace_id: str, *, aggregate: bool
) -> AsyncIterator[bytes]:
    ok = _base(0)
    step = max(1, len(audio) // 4 + 1)
    for start in range(0, len(audio), step):
        chunk = {
            "data": {"audio": audio[start : start + step].hex(), "status": 1},
            "trace_id": trace_id,
            **ok,
        }
        yield f"data: {json.dumps(chunk)}\n\n".encode()
        await asyncio.sleep(0)
    final = {
        "data": {"audio": audio.hex() if aggregate else "", "status": 2},
        "extra_info": extra,
        "trace_id": trace_id,
        **ok,
    }
    yield f"data: {json.dumps(final)}\n\n".encode()


def decode_data_url(url: str) -> tuple[str, bytes]:
    """``data:image/png;base64,...`` -> ``("image/png", bytes)``; raises ``ValueError``."""
    match = DATA_URL.match(url)
    if not match:
        raise ValueError("not a base64 image data URL")
    return match.group(1), base64.b64decode(match.group(2), validate=True)


def main(argv: list[str] | None = None) -> None:
    from tests.fakes.server import serve_forever

    parser = argparse.ArgumentParser(
        prog="python -m tests.fakes.fake_minimax", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    parser.add_argument("--api-key", default=FAKE_MINIMAX_KEY)
    parser.add_argument("--shape", choices=["real", "seed"], default="real")
    parser.add_argument(
        "--latency",
        action="append",
        default=[],
        metavar="NAME=SECONDS",
        help="video=20 (task wall time), speech=1, query=0.1, or any endpoint name",
    )
    parser.add_argument(
        "--polls", default="1,1,1", help="polls reporting Preparing,Queueing,Processing"
    )
    parser.add_argument(
        "--rpm", action="append", default=[], metavar="ENDPOINT=N", help="emulate a rate limit"
    )
    parser.add_argument(
        "--state", type=Path, help="keep counters, files, voices and tasks in this JSON file"
    )
    parser.add_argument(
        "--reuse-clips",
        action="store_true",
        help="render one clip per shape and serve it to every task (benchmarks: MiniMax renders "
        "on its own machines, here rendering would take the CPU being measured)",
    )
    args = parser.parse_args(argv)
    polls = [int(p) for p in args.polls.split(",")]
    fake = FakeMiniMax(
        api_key=args.api_key,
        shape=args.shape,
        polls_per_stage=dict(zip(STAGES, polls, strict=True)),
        state_path=args.state,
    )
    fake.reuse_clips = args.reuse_clips
    for name, seconds in parse_latency(args.latency).items():
        fake.set_latency(name, seconds)
    fake.rpm_limits.update({k: int(v) for k, v in parse_latency(args.rpm).items()})
    serve_forever(fake, host=args.host, port=args.port)


if __name__ == "__main__":
    main()
