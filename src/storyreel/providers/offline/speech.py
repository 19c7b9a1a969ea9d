"""Offline narration: real synthesised speech from espeak-ng, locally, no system package.

The voice is robotic next to MiniMax's, but it is genuine speech at a natural pace, so
timing, loudness and subtitles behave exactly as they will with the real provider.
"""

from __future__ import annotations

import asyncio
import io
import wave
from pathlib import Path

from storyreel.assembly.ffmpeg import run_ffmpeg
from storyreel.errors import ProviderError, UsageError
from storyreel.files import partial_path, write_bytes_atomic_sync
from storyreel.language import ESPEAK_FALLBACK, espeak_voice
from storyreel.limits import strip_controls
from storyreel.providers.offline import _espeak
from storyreel.providers.offline._base import OfflineProvider

DEFAULT_VOICE = ESPEAK_FALLBACK
# espeak-ng speaks faster than its nominal rate (24 words took 6.5 s at 165): 135 gives about
# 2.8 words a second, a narrator's pace, the pace the offline planner groups sentences for.
DEFAULT_RATE_WPM = 135
# A short silence at each end so the first and last syllables are never clipped by a fade.
EDGE_SILENCE_S = 0.05
FORMATS = (".wav", ".mp3")


def _wav_bytes(pcm: bytes, rate: int) -> bytes:
    edge = b"\x00\x00" * round(rate * EDGE_SILENCE_S)
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(edge + pcm + edge)
    return buffer.getvalue()


class OfflineSpeechGen(OfflineProvider):
    """Narration with espeak-ng (``espeakng-loader`` wheel), as WAV or MP3.

    ``voice`` (an espeak-ng voice name such as "es") wins when given; otherwise each narration
    is spoken in the espeak-ng voice of its ``language`` (a Russian sentence spelled out by the
    English voice took three times as long and was not Russian).
    """

    audio_suffix = ".wav"

    def __init__(self, *, voice: str | None = None, rate_wpm: int = DEFAULT_RATE_WPM) -> None:
        self.voice = voice
        self.rate_wpm = rate_wpm

    def voice_for(self, language: str | None) -> str:
        """The espeak-ng voice a narration in ``language`` is spoken with."""
        return self.voice or espeak_voice(language)

    async def speak(self, text: str, *, out: Path, language: str | None = None) -> Path:
        # espeak reads a C string: a NUL ended the narration there, whatever followed it.
        spoken = " ".join(strip_controls(text).split())
        if not spoken:
            raise UsageError("there is nothing to say", field="text")
        suffix = out.suffix.lower()
        if suffix not in FORMATS:
            raise UsageError(
                f"cannot write speech as {out.suffix or 'a file without suffix'}",
                field="out",
                fix="use a .wav or .mp3 file name",
            )
        try:
            pcm, rate = await asyncio.to_thread(
                _espeak.synthesize, spoken, voice=self.voice_for(language), rate=self.rate_wpm
            )
        except _espeak.EspeakError as exc:
            raise ProviderError(str(exc), stage="speech", provider="offline") from exc
        if not pcm:
            raise ProviderError("espeak-ng produced no audio", stage="speech", provider="offline")
        wav = _wav_bytes(pcm, rate)
        if suffix == ".wav":
            return await asyncio.to_thread(write_bytes_atomic_sync, out, wav)
        return await _to_mp3(wav, out)


async def _to_mp3(wav: bytes, out: Path) -> Path:
    source = partial_path(out).with_suffix(".wav")
    target = partial_path(out)
    await asyncio.to_thread(write_bytes_atomic_sync, source, wav)
    try:
        await run_ffmpeg(
            ["-i", str(source), "-c:a", "libmp3lame", "-b:a", "128k", "-f", "mp3", str(target)]
        )
        target.replace(out)
    finally:
        source.unlink(missing_ok=True)
        target.unlink(missing_ok=True)
    return out
