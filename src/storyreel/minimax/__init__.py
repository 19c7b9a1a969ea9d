"""Async client for the MiniMax API (video, speech, voice cloning, files).

Imports nothing from the rest of storyreel. See ``_client.AsyncMiniMax`` for the entry point and
``_exceptions`` for the error tree.
"""

from ._callbacks import parse_callback
from ._camera import CAMERA_COMMANDS, OFFICIAL_CAMERA_COMMANDS, SEED_TO_DOCUMENTED
from ._camera import unknown_commands as unknown_camera_commands
from ._client import AsyncMiniMax, BeforeSend
from ._config import MiniMaxSettings
from ._exceptions import (
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    ContentPolicyError,
    DuplicateVoiceError,
    InsufficientBalanceError,
    InvalidRequestError,
    MiniMaxError,
    MiniMaxValidationError,
    PermissionDeniedError,
    QuotaExceededError,
    RateLimitError,
    ServerError,
    TaskFailedError,
    TaskTimeoutError,
    UnknownOutcomeError,
)
from ._models import (
    CallbackEvent,
    MusicResult,
    RetrievedFile,
    SpeechResult,
    UploadedFile,
    VideoTask,
    Voice,
    VoiceCloneResult,
)

__all__ = [
    "CAMERA_COMMANDS",
    "OFFICIAL_CAMERA_COMMANDS",
    "SEED_TO_DOCUMENTED",
    "APIConnectionError",
    "APITimeoutError",
    "AsyncMiniMax",
    "AuthenticationError",
    "BeforeSend",
    "CallbackEvent",
    "ContentPolicyError",
    "DuplicateVoiceError",
    "InsufficientBalanceError",
    "InvalidRequestError",
    "MiniMaxError",
    "MiniMaxSettings",
    "MiniMaxValidationError",
    "MusicResult",
    "PermissionDeniedError",
    "QuotaExceededError",
    "RateLimitError",
    "RetrievedFile",
    "ServerError",
    "SpeechResult",
    "TaskFailedError",
    "TaskTimeoutError",
    "UnknownOutcomeError",
    "UploadedFile",
    "VideoTask",
    "Voice",
    "VoiceCloneResult",
    "parse_callback",
    "unknown_camera_commands",
]
