"""How fast the narrating voice speaks, measured before the story is planned.

The planner groups sentences so each narration fills a 6 or 10 s clip; how long a sentence
takes depends on the voice (espeak-ng's Arabic voice speaks 8 letters a second, its Spanish one
15). So a free voice speaks the story's first sentences once, and its measured pace (letters a
second, its own silence at the ends not counted) is what the planner groups by. A paid voice is
not called before the plan is accepted: the planner then assumes a narrator's usual pace for
the language, and each narration is fitted to its clip once spoken (``assembly.pacing``).
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
from pathlib import Path

from storyreel.assembly.pacing import speech_edges
from storyreel.assembly.probe import probe
from storyreel.errors import StoryreelError
from storyreel.language import spoken_letters
from storyreel.providers.base import SpeechGen
from storyreel.providers.offline.planner.sentences import paragraphs, split_sentences, split_title

log = logging.getLogger(__name__)

# Enough sentences for a pace (a few seconds of speech), bounded whatever the story's length.
SAMPLE_LETTERS = 240
MAX_SAMPLE_CHARS = 600
MIN_SAMPLE_LETTERS = 20  # fewer: too little to measure, the language's usual pace is used
MIN_SAMPLE_SECONDS = 1.0


def pace_sample(story: str) -> str:
    """The story's first sentences, about ``SAMPLE_LETTERS`` letters of them (title left out)."""
    _title, body = split_title(story)
    chosen: list[str] = []
    letters = 0
    for paragraph in paragraphs(body or story):
        for sentence in split_sentences(paragraph):
            chosen.append(sentence)
            letters += spoken_letters(sentence)
            if letters >= SAMPLE_LETTERS:
                return " ".join(chosen)[:MAX_SAMPLE_CHARS]
    return " ".join(chosen)[:MAX_SAMPLE_CHARS]


async def measured_pace(speech: SpeechGen, story: str, language: str | None) -> float | None:
    """Letters a second ``speech`` speaks ``story``'s language at; None when it was not
    measured (a paid voice, a story too short, or the voice failed: the plan does not depend
    on it, the narrations are fitted once spoken anyway)."""
    if speech.paid:
        return None
    sample = pace_sample(story)
    letters = spoken_letters(sample)
    if letters < MIN_SAMPLE_LETTERS:
        return None
    with tempfile.TemporaryDirectory(prefix="storyreel-pace-") as work:
        out = Path(work) / f"sample{speech.audio_suffix}"
        try:
            await speech.speak(sample, out=out, language=language)
            spoken = await speech_edges(out, (await asyncio.to_thread(probe, out)).duration)
        except StoryreelError as error:
            log.info("the voice's pace was not measured: %s", error)
            return None
    if spoken.seconds < MIN_SAMPLE_SECONDS:
        return None
    pace = letters / spoken.seconds
    log.debug(
        "the voice speaks %.1f letters a second (%d in %.2f s)", pace, letters, spoken.seconds
    )
    return pace
