"""Every number the client's behaviour depends on, in one place.

Retry and timeout figures follow the openai/anthropic SDKs (few retries, 0.5-8 s backoff with
jitter); the limits are the real service's documented ones (see the reference notes).
"""

from __future__ import annotations

import re
from typing import Final

API_PREFIX: Final = "/v1"

# --- retries -------------------------------------------------------------------------------
INITIAL_RETRY_DELAY: Final = 0.5
MAX_RETRY_DELAY: Final = 8.0
RETRY_JITTER: Final = 0.5
# A Retry-After longer than this is not waited for: the caller gets the error instead.
MAX_RETRY_AFTER: Final = 60.0

# --- timeouts (seconds) --------------------------------------------------------------------
CONNECT_TIMEOUT: Final = 10.0
DOWNLOAD_READ_TIMEOUT: Final = 60.0
DOWNLOAD_CHUNK_BYTES: Final = 1 << 20
# Attempts at downloading one file, each after the first with a fresh URL from files/retrieve.
MAX_DOWNLOAD_ATTEMPTS: Final = 3
# The real download_url has no expires_at; it reportedly lasts ~9 h. We re-ask long before.
DOWNLOAD_URL_TTL: Final = 30 * 60.0

# --- rate-limit groups -----------------------------------------------------------------------
RATE_PERIOD: Final = 60.0
# A request reaches the service a little after its slot is granted (the job store's write-ahead
# record, the body's upload; more on a loaded machine). Counting each window this much longer
# keeps the service's own rolling-minute count, by arrival, under the limit too.
ARRIVAL_MARGIN: Final = 2.0

# --- endpoints -----------------------------------------------------------------------------
UPLOAD: Final = "files/upload"
VOICE_CLONE: Final = "voice_clone"
GET_VOICE: Final = "get_voice"
T2A: Final = "t2a_v2"
VIDEO_CREATE: Final = "video_generation"
VIDEO_QUERY: Final = "query/video_generation"
RETRIEVE: Final = "files/retrieve"
DOWNLOAD: Final = "download"
MUSIC: Final = "music_generation"

# Retries are priced by what a repeat costs:
# - A video create costs dollars and has no idempotency key: repeated only when it clearly was
#   not accepted (no connection, 429, 503, the rate-limit codes). Never on a dropped answer or on
#   502/504: a gateway can time out after the service took the task.
# - A voice clone is billed on first use and cannot make two voices of one id (the repeat gets
#   2039); ``clone_voice`` reconciles a lost answer, so the create itself is treated like video.
# - Speech (t2a_v2) answers at once and costs cents: retried on every transient failure,
#   dropped connections and code 1001 included, so one flaky call never fails a job. Music
#   (music_generation, one track a job) likewise.
NOT_REPEATED_BLINDLY: Final = frozenset({VIDEO_CREATE, VOICE_CLONE})
PAID_RETRY_HTTP_STATUSES: Final = frozenset({429, 503})
GATEWAY_TIMEOUTS: Final = frozenset({502, 504})
PAID_RETRY_CODES: Final = frozenset({1002, 1039, 2045})

# --- business codes (base_resp.status_code) ------------------------------------------------
AUTH_CODES: Final = frozenset({1004, 2049})
PERMISSION_CODES: Final = frozenset({2038, 2042})
RATE_LIMIT_CODES: Final = frozenset({1002, 1039, 1041, 2045})
BALANCE_CODES: Final = frozenset({1008, 1005})  # 1005 is the seed's "insufficient credits"
QUOTA_CODES: Final = frozenset({2056, 1028, 1030, 2061})
CONTENT_POLICY_CODES: Final = frozenset({1026, 1027, 2001})  # 2001 is the seed's
INVALID_REQUEST_CODES: Final = frozenset({2013, 3001, 1042, 1043, 1044, 20132, 2037, 2048})
DUPLICATE_VOICE_CODES: Final = frozenset({2039})
SERVER_CODES: Final = frozenset({1000, 1013, 1024, 1033, 5001})  # 5001 is the seed's
TIMEOUT_CODES: Final = frozenset({1001})

# --- validation limits ---------------------------------------------------------------------
PROMPT_MAX_CHARS: Final = 2000
# music_generation (music-2.0): a style prompt and lyrics, both required, as documented for the
# model (10-300 and 10-3000 characters). An instrumental bed sends section tags as its lyrics.
MUSIC_MODELS: Final = frozenset({"music-2.0"})
MUSIC_PROMPT_CHARS: Final = (10, 300)
MUSIC_LYRICS_CHARS: Final = (10, 3000)
MUSIC_FORMATS: Final = frozenset({"mp3", "wav"})
IMAGE_MAX_BYTES: Final = 20 * 1024 * 1024
IMAGE_MIN_SHORT_SIDE: Final = 300
IMAGE_MIN_ASPECT: Final = 2 / 5
IMAGE_MAX_ASPECT: Final = 5 / 2
IMAGE_FORMATS: Final = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}

VOICE_ID_RE: Final = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{6,254}[A-Za-z0-9]$")
CLONE_AUDIO_FORMATS: Final = {"mp3": "audio/mpeg", "m4a": "audio/mp4", "wav": "audio/wav"}
CLONE_MIN_SECONDS: Final = 10.0
CLONE_MAX_SECONDS: Final = 300.0
CLONE_MAX_BYTES: Final = 20 * 1024 * 1024
CLONE_PREVIEW_MAX_CHARS: Final = 1000
CLONE_TEXT_VALIDATION_MAX_CHARS: Final = 200
UPLOAD_PURPOSES: Final = (
    "voice_clone",
    "prompt_audio",
    "t2a_async_input",
    "video_understanding",
    "retrieval",
)

TTS_MODELS: Final = (
    "speech-2.8-hd",
    "speech-2.8-turbo",
    "speech-2.6-hd",
    "speech-2.6-turbo",
    "speech-02-hd",
    "speech-02-turbo",
    "speech-01-hd",
    "speech-01-turbo",
)
# The seed's bare names no longer exist on the service; they map to their turbo successors.
TTS_MODEL_ALIASES: Final = {"speech-01": "speech-01-turbo", "speech-02": "speech-02-turbo"}
TTS_MAX_CHARS: Final = 10_000
TTS_SPEED_RANGE: Final = (0.5, 2.0)
TTS_VOL_MAX: Final = 10.0
TTS_PITCH_RANGE: Final = (-12, 12)
TTS_FORMATS: Final = ("mp3", "pcm", "flac", "wav", "pcmu_raw", "pcmu_wav", "opus")
TTS_SAMPLE_RATES: Final = (8000, 16000, 22050, 24000, 32000, 44100)
TTS_BITRATES: Final = (32000, 64000, 128000, 256000)
# T2A ``language_boost``: the documented enum ("auto" lets the model guess).
TTS_LANGUAGE_BOOSTS: Final = frozenset(
    ("auto", "Chinese", "Chinese,Yue", "English", "Arabic", "Russian", "Spanish", "French",
     "Portuguese", "German", "Turkish", "Dutch", "Ukrainian", "Vietnamese", "Indonesian",
     "Japanese", "Italian", "Korean", "Thai", "Polish", "Romanian", "Greek", "Czech", "Finnish",
     "Hindi", "Bulgarian", "Danish", "Hebrew", "Malay", "Persian", "Slovak", "Swedish",
     "Croatian", "Filipino", "Hungarian", "Norwegian", "Slovenian", "Catalan", "Nynorsk",
     "Tamil", "Afrikaans")
)  # fmt: skip
TTS_EMOTIONS: Final = (
    "happy",
    "sad",
    "angry",
    "fearful",
    "disgusted",
    "surprised",
    "calm",
    "fluent",
    "whisper",
)
TTS_OUTPUT_FORMATS: Final = ("hex", "url")

VIDEO_DURATIONS: Final = (6, 10)
VIDEO_RESOLUTIONS: Final = ("512P", "720P", "768P", "1080P")
