"""A minimal ctypes binding to the espeak-ng library shipped in the ``espeakng-loader`` wheel.

Only what speech synthesis needs: initialise once in synchronous mode, collect the 16-bit mono
samples through the synth callback, return them. The library keeps global state and is not
thread-safe, so every call holds one process-wide lock.
"""

from __future__ import annotations

import ctypes
import threading
from dataclasses import dataclass
from functools import cache

import espeakng_loader

AUDIO_OUTPUT_SYNCHRONOUS = 2
POS_CHARACTER = 1
ESPEAK_CHARS_UTF8 = 1
ESPEAK_RATE = 1
ESPEAK_VOLUME = 2
ESPEAK_PITCH = 3
EE_OK = 0

_SynthCallback = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p
)
_lock = threading.Lock()
_chunks: list[bytes] = []


@_SynthCallback  # type: ignore[untyped-decorator]  # ctypes types its decorators loosely
def _collect(wav: ctypes._Pointer[ctypes.c_short] | None, count: int, _events: int | None) -> int:
    # Called by espeak-ng (inside espeak_Synth, under _lock) with each block of samples.
    if wav and count > 0:
        _chunks.append(ctypes.string_at(wav, count * 2))
    return 0  # 0 = keep going


class EspeakError(RuntimeError):
    """The library could not be loaded or refused a call."""


@dataclass(frozen=True)
class _Engine:
    lib: ctypes.CDLL
    sample_rate: int


@cache
def _engine() -> _Engine:
    try:
        lib = ctypes.CDLL(espeakng_loader.get_library_path())
    except OSError as exc:
        raise EspeakError(f"cannot load espeak-ng: {exc}") from exc
    lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
    lib.espeak_Initialize.restype = ctypes.c_int
    lib.espeak_SetSynthCallback.argtypes = [_SynthCallback]
    lib.espeak_SetSynthCallback.restype = None
    lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
    lib.espeak_SetVoiceByName.restype = ctypes.c_int
    lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
    lib.espeak_SetParameter.restype = ctypes.c_int
    lib.espeak_Synth.argtypes = [
        ctypes.c_void_p,
        ctypes.c_size_t,
        ctypes.c_uint,
        ctypes.c_int,
        ctypes.c_uint,
        ctypes.c_uint,
        ctypes.POINTER(ctypes.c_uint),
        ctypes.c_void_p,
    ]
    lib.espeak_Synth.restype = ctypes.c_int
    lib.espeak_Synchronize.restype = ctypes.c_int
    data = str(espeakng_loader.get_data_path()).encode()
    rate = lib.espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 0, data, 0)
    if rate <= 0:
        raise EspeakError(f"espeak-ng failed to initialise with data at {data.decode()}")
    lib.espeak_SetSynthCallback(_collect)
    return _Engine(lib, rate)


def sample_rate() -> int:
    with _lock:
        return _engine().sample_rate


@cache
def has_voice(name: str) -> bool:
    """Whether espeak-ng knows the voice ``name`` (a language code such as "es", or "cmn")."""
    if not name or len(name) > 40 or not name.isascii():
        return False
    with _lock:
        return bool(_engine().lib.espeak_SetVoiceByName(name.encode()) == EE_OK)


def synthesize(text: str, *, voice: str, rate: int, pitch: int = 50) -> tuple[bytes, int]:
    """Speak ``text``; returns (16-bit little-endian mono PCM, sample rate). Blocking."""
    with _lock:
        engine = _engine()
        lib = engine.lib
        if lib.espeak_SetVoiceByName(voice.encode()) != EE_OK:
            raise EspeakError(f"espeak-ng has no voice {voice!r}")
        lib.espeak_SetParameter(ESPEAK_RATE, rate, 0)
        lib.espeak_SetParameter(ESPEAK_PITCH, pitch, 0)
        lib.espeak_SetParameter(ESPEAK_VOLUME, 100, 0)
        encoded = text.encode("utf-8")
        buffer = ctypes.create_string_buffer(encoded)
        _chunks.clear()
        try:
            status = lib.espeak_Synth(
                buffer, len(encoded) + 1, 0, POS_CHARACTER, 0, ESPEAK_CHARS_UTF8, None, None
            )
            if status != EE_OK:
                raise EspeakError(f"espeak_Synth failed (status {status})")
            lib.espeak_Synchronize()
            return b"".join(_chunks), engine.sample_rate
        finally:
            _chunks.clear()
