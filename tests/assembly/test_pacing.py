"""Narration that fills the picture (issue 16): the fit of a narration to its clip, the paced
audio it gives (probed), silence measured with FFmpeg's silencedetect, and the demo story's video
at most 15 % silence."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from storyreel.assembly.ffmpeg import run_ffmpeg
from storyreel.assembly.pacing import (
    MAX_TEMPO,
    MIN_TEMPO,
    fit,
    measure_silence,
    paced,
    paced_on_disk,
)
from storyreel.assembly.probe import probe
from storyreel.assembly.timing import needed_seconds

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.mark.parametrize(
    ("speech", "clip", "filled"),
    [
        (4.9, 6, True),  # nearly full already: left alone
        (3.6, 6, False),  # short: slowed, as far as a listener accepts
        (4.6, 6, True),  # slowed to fill the 6 s clip
        (5.8, 6, True),  # a little fast fits 6 s instead of leaving a 10 s clip half empty
        (6.5, 10, False),  # too long for 6 even faster: 10 s, slowed as far as accepted
        (7.8, 10, True),  # slowed into the gap
        (8.9, 10, True),
        (12.0, 10, True),  # too long for 10: faster, then the last frame is held if need be
    ],
)
def test_the_fit_of_a_narration_to_its_clip(speech: float, clip: int, filled: bool) -> None:
    chosen = fit(speech)
    assert chosen.clip == clip
    assert MIN_TEMPO <= chosen.tempo <= MAX_TEMPO
    paced_seconds = chosen.seconds(speech)
    if speech <= 10:
        assert needed_seconds(paced_seconds) <= clip + 0.06
    gap = clip - needed_seconds(paced_seconds)
    if filled and speech <= 10:
        assert gap <= 0.5, (speech, chosen)  # about a second between narrations at most


def test_the_clip_chosen_again_from_the_paced_narration_is_the_same() -> None:
    for tenth in range(5, 130):
        speech = tenth / 10
        first = fit(speech)
        assert fit(first.seconds(speech)).clip == first.clip, speech


def test_1080p_is_six_seconds_only() -> None:
    assert fit(8.0, six_only=True).clip == 6


async def _tone(out: Path, *, sound: float, quiet: float) -> Path:
    # sound, then silence: a real file whose silence is known
    await run_ffmpeg(
        ["-f", "lavfi", "-i", f"sine=frequency=440:duration={sound}:sample_rate=22050",
         "-f", "lavfi", "-i", f"anullsrc=r=22050:cl=mono:d={quiet}",
         "-filter_complex", "[0:a][1:a]concat=n=2:v=0:a=1", "-c:a", "pcm_s16le", str(out)]
    )  # fmt: skip
    return out


@pytest.mark.slow
async def test_paced_audio_lasts_what_the_tempo_says(tmp_path: Path) -> None:
    source = await _tone(tmp_path / "narration.wav", sound=4.0, quiet=0.01)
    slower = await paced(source, 0.9)
    assert slower != source and slower.name == "paced-0.900.wav"
    assert probe(slower).duration == pytest.approx(4.01 / 0.9, abs=0.05)
    assert paced_on_disk(source, 0.9) == slower
    # A new tempo replaces the old file; tempo 1 uses the narration as it is.
    assert await paced(source, 1.0) == source
    assert not slower.exists()


@pytest.mark.slow
async def test_silence_is_measured_with_silencedetect(tmp_path: Path) -> None:
    media = await _tone(tmp_path / "t.wav", sound=3.0, quiet=2.0)
    silence = await measure_silence(media, probe(media).duration)
    assert silence.seconds == pytest.approx(2.0, abs=0.1)
    assert silence.ratio == pytest.approx(0.4, abs=0.02)


@pytest.mark.slow
async def test_the_demo_story_is_at_most_15_percent_silence(tmp_path: Path) -> None:
    from storyreel.config import Settings
    from storyreel.pipeline.orchestrator import Pipeline, RenderOptions
    from storyreel.providers.factory import STAGES, build_providers

    story = (EXAMPLES / "lighthouse.txt").read_text(encoding="utf-8")
    offline = dict.fromkeys(STAGES, "offline")
    async with build_providers(Settings(), overrides=offline) as providers:
        pipeline = Pipeline(providers, tmp_path, options=RenderOptions(resolution="720P"))
        result = await pipeline.make(story)

    # Measured again here on the file itself, and as the manifest reports it.
    silence = await measure_silence(result.video, probe(result.video).duration)
    assert silence.ratio <= 0.15, silence
    assert silence.longest <= 2.0, silence
    manifest = json.loads(result.manifest.read_text(encoding="utf-8"))
    assert manifest["silence"]["ratio"] == pytest.approx(silence.ratio, abs=0.01)
