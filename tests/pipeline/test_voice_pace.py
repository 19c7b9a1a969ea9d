"""The voice's pace, measured before planning (issue 16): a free voice speaks the story's first
sentences and the planner groups by what it measured; a paid voice is never called for it."""

from __future__ import annotations

from pathlib import Path

import pytest

from storyreel.errors import ProviderError
from storyreel.language import spoken_letters
from storyreel.pipeline.voice_pace import SAMPLE_LETTERS, measured_pace, pace_sample
from storyreel.providers.offline import OfflineSpeechGen

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


class PaidVoice(OfflineSpeechGen):
    paid = True

    async def speak(self, text: str, *, out: Path, language: str | None = None) -> Path:
        raise AssertionError("a paid voice is not called before the plan is accepted")


class BrokenVoice(OfflineSpeechGen):
    async def speak(self, text: str, *, out: Path, language: str | None = None) -> Path:
        raise ProviderError("no voice today", stage="speech", provider="offline")


def test_the_sample_is_the_first_sentences_without_the_title() -> None:
    story = (EXAMPLES / "lighthouse.txt").read_text(encoding="utf-8")
    sample = pace_sample(story)
    assert sample[0].startswith("On a rocky island")  # the title is not narrated
    assert sum(spoken_letters(s) for s in sample) >= SAMPLE_LETTERS
    assert len(sample) < 6  # bounded: not the whole story


@pytest.mark.slow
@pytest.mark.parametrize(
    ("example", "language", "low", "high"),
    [
        ("lighthouse.txt", "en", 9.0, 15.0),
        ("lighthouse.es.txt", "es", 9.0, 16.0),
        # espeak-ng's Chinese voice says about 3 characters a second, its Arabic one about 6.6
        # letters: what the planner's usual pace (4.5 and 10) would misjudge.
        ("lighthouse.zh.txt", "zh", 2.0, 4.0),
        ("lighthouse.ar.txt", "ar", 5.0, 8.5),
    ],
)
async def test_a_free_voice_is_measured_in_the_storys_language(
    example: str, language: str, low: float, high: float
) -> None:
    story = (EXAMPLES / example).read_text(encoding="utf-8")
    pace = await measured_pace(OfflineSpeechGen(), story, language)
    assert pace is not None and low <= pace <= high, pace


async def test_a_paid_voice_is_not_called_and_a_failing_one_is_not_fatal() -> None:
    story = (EXAMPLES / "lighthouse.txt").read_text(encoding="utf-8")
    assert await measured_pace(PaidVoice(), story, "en") is None
    assert await measured_pace(BrokenVoice(), story, "en") is None


async def test_a_story_too_short_to_measure_keeps_the_usual_pace() -> None:
    assert await measured_pace(OfflineSpeechGen(), "Hi.", "en") is None
