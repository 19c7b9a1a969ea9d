"""Async client for the MiniMax API (video, speech, voice cloning, files).

Imports nothing from the rest of storyreel. See ``_client.AsyncMiniMax`` for the entry point and
``_exceptions`` for the error tree. The rest of storyreel imports only what is exported here.
"""

from ._base_client import BeforeSend, BeforeWait
from ._callbacks import parse_callback
from ._camera import (
    CAMERA_COMMANDS,
    OFFICIAL_CAMERA_COMMANDS,
    SEED_TO_DOCUMENTED,
    canonical_camera,
)
from ._camera import unknown_commands as unknown_camera_commands
from ._client import AsyncMiniMax
from ._config import MiniMaxSettings

# The endpoint groups MiniMax rate-limits, and the window: for limiters shared between
# processes (``AsyncMiniMax(rate_limits=...)``).
from ._constants import (
    ARRIVAL_MARGIN,
    CLONE_MAX_BYTES,
    MUSIC_PROMPT_CHARS,
    PROMPT_MAX_CHARS,
    RATE_PERIOD,
    T2A,
    TTS_SPEED_RANGE,
    VIDEO_CREATE,
    VOICE_CLONE,
)
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
from ._file_checks import check_image_bytes, validate_clone_sample
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

# Checks the CLI and the service run before a job (a bad voice id or sample, a model that
# cannot make the clips) so that they fail before anything is paid.
from ._validation import validate_tts_model, validate_video, validate_voice_id

__all__ = [
    "ARRIVAL_MARGIN",
    "CAMERA_COMMANDS",
    "CLONE_MAX_BYTES",
    "MUSIC_PROMPT_CHARS",
    "OFFICIAL_CAMERA_COMMANDS",
    "PROMPT_MAX_CHARS",
    "RATE_PERIOD",
    "SEED_TO_DOCUMENTED",
    "T2A",
    "TTS_SPEED_RANGE",
    "VIDEO_CREATE",
    "VOICE_CLONE",
    "APIConnectionError",
    "APITimeoutError",
    "AsyncMiniMax",
    "AuthenticationError",
    "BeforeSend",
    "BeforeWait",
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
    "canonical_camera",
    "check_image_bytes",
    "parse_callback",
    "unknown_camera_commands",
    "validate_clone_sample",
    "validate_tts_model",
    "validate_video",
    "validate_voice_id",
]
