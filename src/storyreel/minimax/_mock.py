"""Mock mode: an in-process MiniMax behind an ``httpx.MockTransport``.

The whole client code path runs (validation, rate limits aside, retries, parsing); only the
network is replaced. Answers are the packaged real-shaped fixtures
(``minimax_real_responses.json``) with ids and sizes filled in, and the media are real files
made locally with ffmpeg (see ``_mock_media``). Tasks advance one stage per poll:
Preparing -> Queueing -> Processing -> Success.
"""

from __future__ import annotations

import copy
import email.parser
import email.policy
import io
import itertools
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import cache, partial
from importlib import resources
from typing import Any

import httpx
from PIL import Image, UnidentifiedImageError

from ._audio import decode_audio
from ._mock_media import make_clip, make_speech, speech_seconds

log = logging.getLogger(__name__)

CDN_HOST = "mock-cdn.minimax.invalid"
_STAGES = ("Preparing", "Queueing", "Processing", "Success")
# Clips the shape Hailuo-02 delivers them in (third-party API pages; the query's
# video_width/video_height agree): a fixed size per resolution, 768P as 1366x768 and 1080P as
# 1920x1080, the first frame deciding only the orientation; H.264 yuv420p at 25 fps (see
# ``_mock_media``). So a mock clip takes the same path through storyreel as a real one: copied
# into its segment, not re-encoded.
_SIZES = {"512P": (912, 512), "720P": (1280, 720), "768P": (1366, 768), "1080P": (1920, 1080)}
_MIME = {
    "mp3": "audio/mpeg",
    "wav": "audio/wav",
    "flac": "audio/flac",
    "opus": "audio/ogg",
    "mp4": "video/mp4",
}


@cache
def fixtures() -> dict[str, Any]:
    """The packaged real-shaped answers (read once)."""
    text = resources.files(__package__).joinpath("minimax_real_responses.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def _fixture(name: str) -> dict[str, Any]:
    data: dict[str, Any] = copy.deepcopy(fixtures()[name])
    return data


def _error(name: str) -> httpx.Response:
    return httpx.Response(200, json=copy.deepcopy(fixtures()["errors"][name]))


@dataclass
class _File:
    filename: str
    purpose: str
    make: Callable[[], Awaitable[bytes]] | None = None
    data: bytes | None = None
    created_at: int = field(default_factory=lambda: int(time.time()))


@dataclass
class _Task:
    seconds: int
    width: int
    height: int
    first: bytes | None
    last: bytes | None
    polls: int = 0
    file_id: str | None = None


def _frame(value: object) -> bytes | None:
    # Only data URLs can be used offline; a remote image cannot be fetched in mock mode.
    if isinstance(value, str) and value.startswith("data:"):
        return decode_audio(value.partition(",")[2])
    return None


def _size(resolution: str, frame: bytes | None) -> tuple[int, int]:
    width, height = _SIZES.get(resolution, _SIZES["720P"])
    if frame:
        try:
            with Image.open(io.BytesIO(frame)) as img:
                if img.size[1] > img.size[0]:  # a portrait first frame makes a portrait clip
                    return height, width
        except (UnidentifiedImageError, OSError):
            pass
    return width, height


MOCK_MUSIC_SECONDS = 20.0


class MockMiniMax:
    """Answers the six endpoints plus get_voice and a fake CDN, keeping state per client."""

    def __init__(self) -> None:
        self._ids = itertools.count(362069085524212)
        self._files: dict[str, _File] = {}
        self._tasks: dict[str, _Task] = {}
        self._voices: dict[str, str] = {}
        self._routes: dict[
            tuple[str, str], Callable[[httpx.Request], Awaitable[httpx.Response]]
        ] = {
            ("POST", "files/upload"): self._upload,
            ("POST", "voice_clone"): self._voice_clone,
            ("POST", "get_voice"): self._get_voice,
            ("POST", "t2a_v2"): self._t2a,
            ("POST", "music_generation"): self._music,
            ("POST", "video_generation"): self._video_create,
            ("GET", "query/video_generation"): self._video_query,
            ("GET", "files/retrieve"): self._retrieve,
        }

    def _new_id(self) -> str:
        return str(next(self._ids))

    def _url(self, file_id: str) -> str:
        return f"https://{CDN_HOST}/files/{file_id}/{self._files[file_id].filename}"

    async def handle(self, request: httpx.Request) -> httpx.Response:
        if request.url.host == CDN_HOST:
            return await self._cdn(request)
        route = self._routes.get((request.method, request.url.path.removeprefix("/v1/")))
        if route is None:
            return httpx.Response(404, text="404 page not found")
        response = await route(request)
        response.headers["Trace-Id"] = f"mock-{time.monotonic_ns():x}"
        return response

    async def _data(self, file_id: str) -> bytes:
        stored = self._files[file_id]
        if stored.data is None:
            assert stored.make is not None
            stored.data = await stored.make()
        return stored.data

    # --- endpoints -------------------------------------------------------------------------

    async def _upload(self, request: httpx.Request) -> httpx.Response:
        head = f"Content-Type: {request.headers['content-type']}\r\n\r\n".encode()
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            head + request.content
        )
        purpose, filename, data = "", "upload.bin", b""
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True)
            if name == "purpose" and isinstance(payload, bytes):
                purpose = payload.decode()
            elif name == "file" and isinstance(payload, bytes):
                filename = part.get_filename() or filename
                data = payload
        if not data or not purpose:
            return _error("invalid_params")
        file_id = self._new_id()
        self._files[file_id] = _File(filename, purpose, data=data)
        body = _fixture("files_upload")
        body["file"].update(
            file_id=int(file_id),
            bytes=len(data),
            filename=filename,
            purpose=purpose,
            created_at=self._files[file_id].created_at,
        )
        return httpx.Response(200, json=body)

    async def _voice_clone(self, request: httpx.Request) -> httpx.Response:
        payload = json.loads(request.content)
        file_id, voice_id = str(payload.get("file_id", "")), str(payload.get("voice_id", ""))
        stored = self._files.get(file_id)
        if stored is None or stored.purpose != "voice_clone":
            return _error("invalid_samples")
        if voice_id in self._voices:
            return _error("duplicate_voice")
        self._voices[voice_id] = time.strftime("%Y-%m-%d")
        body = _fixture("voice_clone")
        if payload.get("text"):
            demo_id = self._new_id()
            seconds = speech_seconds(str(payload["text"]))
            self._files[demo_id] = _File(
                "demo.mp3", "voice_clone_demo", partial(make_speech, seconds)
            )
            body["demo_audio"] = self._url(demo_id)
        return httpx.Response(200, json=body)

    async def _get_voice(self, request: httpx.Request) -> httpx.Response:
        kind = json.loads(request.content or b"{}").get("voice_type", "all")
        body = _fixture("get_voice")
        body["voice_cloning"] = [
            {"voice_id": v, "description": [], "created_time": day}
            for v, day in self._voices.items()
        ]
        keep = {
            "system": "system_voice",
            "voice_cloning": "voice_cloning",
            "voice_generation": "voice_generation",
        }
        if kind in keep:
            for key in keep.values():
                if key != keep[kind]:
                    body[key] = []
        return httpx.Response(200, json=body)

    async def _t2a(self, request: httpx.Request) -> httpx.Response:
        payload = json.loads(request.content)
        text = str(payload.get("text") or "")
        voice = payload.get("voice_setting") or {}
        audio_setting = payload.get("audio_setting") or {}
        if not text.strip() or not voice.get("voice_id"):
            return _error("invalid_params")
        fmt = str(audio_setting.get("format") or "mp3")
        rate = int(audio_setting.get("sample_rate") or 32000)
        seconds = speech_seconds(text) / float(voice.get("speed") or 1.0)
        audio = await make_speech(seconds, fmt, rate)
        body = _fixture("t2a_v2")
        body["extra_info"].update(
            audio_length=int(seconds * 1000),
            audio_sample_rate=rate,
            audio_size=len(audio),
            word_count=len(text.split()),
            usage_characters=len(text),
            audio_format=fmt,
        )
        if payload.get("stream"):
            return self._t2a_stream(body, audio, payload)
        if payload.get("output_format") == "url":
            file_id = self._new_id()
            self._files[file_id] = _File(f"speech.{fmt}", "t2a", data=audio)
            body["data"]["audio"] = self._url(file_id)
        else:
            body["data"]["audio"] = audio.hex()
        return httpx.Response(200, json=body)

    async def _music(self, request: httpx.Request) -> httpx.Response:
        payload = json.loads(request.content)
        if not str(payload.get("prompt") or "").strip() or not payload.get("lyrics"):
            return _error("invalid_params")
        audio = await make_speech(MOCK_MUSIC_SECONDS, "mp3", 44100)  # a tone stands in
        body = {
            "data": {"audio": audio.hex(), "status": 2},
            "extra_info": {"music_duration": int(MOCK_MUSIC_SECONDS * 1000), "music_format": "mp3"},
            "trace_id": f"mock-{time.monotonic_ns():x}",
            "base_resp": {"status_code": 0, "status_msg": "success"},
        }
        return httpx.Response(200, json=body)

    def _t2a_stream(
        self, final: dict[str, Any], audio: bytes, payload: dict[str, Any]
    ) -> httpx.Response:
        events = []
        step = max(1, len(audio) // 4 + 1)
        for start in range(0, len(audio), step):
            chunk = _fixture("t2a_v2_stream_chunk")
            chunk["data"]["audio"] = audio[start : start + step].hex()
            events.append(chunk)
        exclude = bool((payload.get("stream_options") or {}).get("exclude_aggregated_audio"))
        final["data"]["audio"] = "" if exclude else audio.hex()
        events.append(final)
        text = "".join(f"data: {json.dumps(e)}\n\n" for e in events)
        return httpx.Response(200, text=text, headers={"content-type": "text/event-stream"})

    async def _video_create(self, request: httpx.Request) -> httpx.Response:
        payload = json.loads(request.content)
        if not payload.get("model"):
            return _error("invalid_params")
        first, last = (
            _frame(payload.get("first_frame_image")),
            _frame(payload.get("last_frame_image")),
        )
        width, height = _size(str(payload.get("resolution") or "720P"), first or last)
        task_id = self._new_id()
        self._tasks[task_id] = _Task(int(payload.get("duration") or 6), width, height, first, last)
        body = _fixture("video_generation")
        body["task_id"] = task_id
        return httpx.Response(200, json=body)

    async def _video_query(self, request: httpx.Request) -> httpx.Response:
        task_id = request.url.params.get("task_id", "")
        task = self._tasks.get(task_id)
        if task is None:
            return _error("not_found")
        stage = _STAGES[min(task.polls, len(_STAGES) - 1)]
        task.polls += 1
        if stage != "Success":
            body = _fixture("query_video_generation")
            body.update(task_id=task_id, status=stage)
            return httpx.Response(200, json=body)
        if task.file_id is None:
            task.file_id = self._new_id()
            make = partial(make_clip, task.seconds, task.width, task.height, task.first, task.last)
            self._files[task.file_id] = _File("output_aigc.mp4", "video_generation", make)
        body = _fixture("query_video_generation_success")
        body.update(
            task_id=task_id, file_id=task.file_id, video_width=task.width, video_height=task.height
        )
        return httpx.Response(200, json=body)

    async def _retrieve(self, request: httpx.Request) -> httpx.Response:
        file_id = request.url.params.get("file_id", "")
        stored = self._files.get(file_id)
        if stored is None:
            return _error("not_found")
        data = await self._data(file_id)
        body = _fixture("files_retrieve")
        body["file"].update(
            file_id=int(file_id),
            bytes=len(data),
            created_at=stored.created_at,
            filename=stored.filename,
            purpose=stored.purpose,
            download_url=self._url(file_id),
        )
        return httpx.Response(200, json=body)

    async def _cdn(self, request: httpx.Request) -> httpx.Response:
        parts = request.url.path.strip("/").split("/")
        file_id = parts[1] if len(parts) >= 2 else ""
        if file_id not in self._files:
            return httpx.Response(404, text="<Error><Code>NoSuchKey</Code></Error>")
        data = await self._data(file_id)
        ext = self._files[file_id].filename.rsplit(".", 1)[-1]
        return httpx.Response(
            200, content=data, headers={"content-type": _MIME.get(ext, "application/octet-stream")}
        )
