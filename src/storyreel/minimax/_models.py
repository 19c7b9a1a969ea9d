"""Typed responses (and the request bodies) of the MiniMax API.

The real service is loose about types: ids arrive as numbers or strings (stored here as
strings), ``input_sensitive`` is a bool or ``{"type": n}``, and statuses vary in case.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

log = logging.getLogger(__name__)

VideoStatus = Literal["Preparing", "Queueing", "Processing", "Success", "Fail"]
CallbackStatus = Literal["Processing", "Success", "Fail"]

_STATUS_BY_LOWER: dict[str, VideoStatus] = {
    "preparing": "Preparing",
    "queueing": "Queueing",
    "queuing": "Queueing",
    "processing": "Processing",
    "success": "Success",
    "fail": "Fail",
    "failed": "Fail",
}


def normalize_status(raw: object) -> VideoStatus:
    """``"failed"``/``"Failed"``/``"Fail"`` -> ``"Fail"``; unknown values count as running."""
    status = _STATUS_BY_LOWER.get(str(raw or "").strip().lower())
    if status is None:
        log.debug("unknown video status %r: treated as still running", raw)
        return "Processing"
    return status


def int_or_none(value: object) -> int | None:
    """A numeric field of an answer (``status_code``, ``audio_length``...), None when absent or
    not a number: the service sends them as numbers or strings."""
    try:
        return int(value)  # type: ignore[call-overload, no-any-return]
    except (TypeError, ValueError):
        return None


def _id_to_str(value: object) -> object:
    # int64 ids come as JSON numbers from some endpoints and as strings from others.
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return str(value)
    return value


IdStr = Annotated[str, BeforeValidator(_id_to_str)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class BaseResp(_Model):
    status_code: int = 0
    status_msg: str = ""


class UploadedFile(_Model):
    """A file stored on MiniMax (``files/upload``)."""

    file_id: IdStr
    bytes: int | None = None
    created_at: int | None = None
    filename: str | None = None
    purpose: str | None = None


class RetrievedFile(_Model):
    """A generated file and where to download it (``files/retrieve``)."""

    file_id: IdStr
    download_url: str
    bytes: int | None = None
    created_at: int | None = None
    filename: str | None = None
    purpose: str | None = None


class VoiceCloneResult(_Model):
    """What ``voice_clone`` answered. ``demo_audio`` is a preview URL, only when text was sent."""

    voice_id: str
    demo_audio: str | None = None
    input_sensitive: bool = False
    input_sensitive_type: int | None = None
    extra_info: dict[str, Any] | None = None
    trace_id: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _sensitive_shapes(cls, data: Any) -> Any:
        # The schema says {"type": n}; real answers send a bool plus input_sensitive_type.
        if isinstance(data, dict):
            data = dict(data)
            sensitive = data.get("input_sensitive")
            if isinstance(sensitive, dict):
                kind = sensitive.get("type")
                data["input_sensitive_type"] = kind
                data["input_sensitive"] = bool(kind)
            elif sensitive is None:
                data["input_sensitive"] = False
            if not data.get("demo_audio"):
                data["demo_audio"] = None
        return data


class Voice(_Model):
    """A voice for ``text_to_audio``; ``kind`` is system, voice_cloning or voice_generation."""

    voice_id: str
    kind: str
    name: str | None = None
    description: list[str] = Field(default_factory=list)
    created_time: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _shapes(cls, data: Any) -> Any:
        if isinstance(data, dict):
            data = dict(data)
            data.setdefault("name", data.get("voice_name"))
            desc = data.get("description")
            if desc is None:
                data["description"] = []
            elif isinstance(desc, str):
                data["description"] = [desc]
        return data


class SpeechResult(_Model):
    """Audio from ``t2a_v2``. ``url`` is set in url mode (the audio was fetched from it)."""

    audio: bytes = Field(repr=False)
    format: str
    duration_ms: int | None = None
    sample_rate: int | None = None
    trace_id: str | None = None
    url: str | None = None
    extra_info: dict[str, Any] | None = Field(default=None, repr=False)


class MusicResult(_Model):
    """Audio from ``music_generation``."""

    audio: bytes = Field(repr=False)
    format: str
    duration_ms: int | None = None
    trace_id: str | None = None


class VideoTask(_Model):
    """One poll of a video task. ``raw_status`` keeps what the service said."""

    task_id: IdStr
    status: VideoStatus
    raw_status: str = ""
    file_id: IdStr | None = None
    video_width: int | None = None
    video_height: int | None = None
    # base_resp of a failed task (e.g. 1027 when the output failed moderation).
    code: int | None = None
    message: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _status(cls, data: Any) -> Any:
        if isinstance(data, dict):
            data = dict(data)
            raw = data.get("status")
            data.setdefault("raw_status", str(raw or ""))
            data["status"] = normalize_status(raw)
            if not data.get("file_id"):
                data["file_id"] = None
        return data

    @property
    def done(self) -> bool:
        return self.status == "Success"

    @property
    def failed(self) -> bool:
        return self.status == "Fail"

    @property
    def running(self) -> bool:
        return not (self.done or self.failed)


class CallbackEvent(_Model):
    """A webhook body. With ``challenge`` set, answer ``{"challenge": challenge}`` at once."""

    challenge: str | None = None
    task_id: IdStr | None = None
    status: CallbackStatus | None = None
    file_id: IdStr | None = None
    code: int | None = None
    message: str | None = None


# --- request bodies ------------------------------------------------------------------------


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")

    def body(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True)


class VoiceCloneRequest(_Request):
    file_id: int
    voice_id: str
    need_noise_reduction: bool = False
    need_volume_normalization: bool = False
    text: str | None = None
    model: str | None = None
    accuracy: float | None = None
    text_validation: str | None = None


class VoiceSetting(_Request):
    voice_id: str
    speed: float = 1.0
    vol: float = 1.0
    pitch: int = 0
    emotion: str | None = None


class AudioSetting(_Request):
    format: str = "mp3"
    sample_rate: int | None = None
    bitrate: int | None = None
    channel: int | None = None


class StreamOptions(_Request):
    exclude_aggregated_audio: bool = True


class T2ARequest(_Request):
    model: str
    text: str
    stream: bool = False
    voice_setting: VoiceSetting
    audio_setting: AudioSetting
    language_boost: str | None = None
    output_format: str | None = None
    stream_options: StreamOptions | None = None


class VideoRequest(_Request):
    model: str
    prompt: str | None = None
    first_frame_image: str | None = None
    last_frame_image: str | None = None
    duration: int | None = None
    resolution: str | None = None
    prompt_optimizer: bool = True
    callback_url: str | None = None
