"""Offline speech: real espeak-ng audio, non-silent, paced like speech, WAV and MP3."""

from __future__ import annotations

import array
import wave
from pathlib import Path

import av
import pytest

from storyreel.errors import UsageError
from storyreel.providers.base import SpeechGen
from storyreel.providers.offline import OfflineSpeechGen


def leftovers(folder: Path) -> list[Path]:
    """Work-in-progress files an atomic write must not leave behind."""
    return list(folder.glob(".*part*"))


def rms(path: Path) -> tuple[float, float, int]:
    """(rms of 16-bit samples, duration in s, sample rate) of a mono WAV."""
    with wave.open(str(path)) as wav:
        assert wav.getnchannels() == 1
        assert wav.getsampwidth() == 2
        samples = array.array("h", wav.readframes(wav.getnframes()))
        rate = wav.getframerate()
    power = sum(s * s for s in samples[::4]) / max(1, len(samples[::4]))
    return power**0.5, len(samples) / rate, rate


def test_is_a_speech_gen() -> None:
    assert isinstance(OfflineSpeechGen(), SpeechGen)
    assert OfflineSpeechGen.audio_suffix == ".wav"


async def test_wav_is_real_speech_paced_by_words(tmp_path: Path) -> None:
    gen = OfflineSpeechGen()
    short = await gen.speak("The lamp was lit.", out=tmp_path / "short.wav")
    long = await gen.speak(
        "Every evening she climbed the hundred and twelve steps to light the great lamp, "
        "and every morning she walked back down to the sea.",
        out=tmp_path / "long.wav",
    )
    loud_s, short_s, rate = rms(short)
    loud_l, long_s, _ = rms(long)
    assert rate == 22050
    assert loud_s > 500 and loud_l > 500  # not silence
    # 4 words vs 24 words at about 165 wpm.
    assert 0.8 < short_s < 3.0
    assert 6.0 < long_s < 12.0
    assert long_s > 3 * short_s


async def test_concurrent_calls_do_not_mix(tmp_path: Path) -> None:
    import asyncio

    gen = OfflineSpeechGen()
    texts = ["One two three.", "One two three four five six seven eight nine ten eleven twelve."]
    alone = [
        rms(await gen.speak(t, out=tmp_path / f"alone{i}.wav"))[1] for i, t in enumerate(texts)
    ]
    together = await asyncio.gather(
        *(gen.speak(texts[i % 2], out=tmp_path / f"{i}.wav") for i in range(6))
    )
    for i, path in enumerate(together):
        loudness, seconds, _ = rms(path)
        # espeak-ng varies a few samples between runs; a mix-up would double or empty a file.
        assert seconds == pytest.approx(alone[i % 2], rel=0.1)
        assert loudness > 500


async def test_mp3_out(tmp_path: Path) -> None:
    out = await OfflineSpeechGen().speak("Hello from the lighthouse.", out=tmp_path / "n.mp3")
    with av.open(str(out)) as container:
        stream = container.streams.audio[0]
        assert stream.codec_context.name.startswith("mp3")
        frames = list(container.decode(stream))
    seconds = sum(f.samples for f in frames) / frames[0].sample_rate
    assert 1.0 < seconds < 4.0
    assert not leftovers(tmp_path)


@pytest.mark.parametrize(("text", "name"), [("", "x.wav"), ("hi", "x.ogg")])
async def test_bad_input_is_a_usage_error(tmp_path: Path, text: str, name: str) -> None:
    with pytest.raises(UsageError):
        await OfflineSpeechGen().speak(text, out=tmp_path / name)


async def test_control_characters_do_not_cut_the_narration(tmp_path: Path) -> None:
    """Issue 14, finding 9: espeak reads a C string, so a NUL ended the narration there (a
    fifth of it was spoken). The text with control characters sounds as the text without."""
    gen = OfflineSpeechGen()
    plain = "A keeper wakes at dawn and climbs the stair."
    clean = await gen.speak(plain, out=tmp_path / "clean.wav")
    dirty = await gen.speak(
        "A keeper\x00 wakes\x07 at dawn\x1b and\x7f climbs\x85 the stair.",
        out=tmp_path / "dirty.wav",
    )
    # espeak's samples vary from run to run; the length is the words'.
    assert rms(dirty)[1] == pytest.approx(rms(clean)[1], rel=0.02)
    with pytest.raises(UsageError):
        await gen.speak("\x00\x01\x02", out=tmp_path / "none.wav")
