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


def pace_sample(story: str) -> list[str]:
    """The story's first sentences, about ``SAMPLE_LETTERS`` letters of them (title left out)."""
    _title, body = split_title(story)
    chosen: list[str] = []
    letters = 0
    for paragraph in paragraphs(body or story):
        for sentence in split_sentences(paragraph):
            chosen.append(sentence[:MAX_SAMPLE_CHARS])
            letters += spoken_letters(chosen[-1])
            if letters >= SAMPLE_LETTERS or sum(map(len, chosen)) >= MAX_SAMPLE_CHARS:
                return chosen
    return chosen


async def measured_pace(speech: SpeechGen, story: str, language: str | None) -> float | None:
    """Letters a second ``speech`` speaks ``story``'s language at; None when it was not
    measured (a paid voice, a story too short, or the voice failed: the plan does not depend
    on it, the narrations are fitted once spoken anyway).

    Each sample sentence is spoken on its own, as the planner adds up sentences: spoken
    together, the pauses between them made the pace 10 % slow for one-sentence narrations."""
    if speech.paid:
        return None
    sample = pace_sample(story)
    letters = sum(spoken_letters(sentence) for sentence in sample)
    if letters < MIN_SAMPLE_LETTERS:
        return None
    seconds = 0.0
    with tempfile.TemporaryDirectory(prefix="storyreel-pace-") as work:
        for k, sentence in enumerate(sample):
            out = Path(work) / f"sample-{k}{speech.audio_suffix}"
            try:
                await speech.speak(sentence, out=out, language=language)
                spoken = await speech_edges(out, (await asyncio.to_thread(probe, out)).duration)
            except StoryreelError as error:
                log.info("the voice's pace was not measured: %s", error)
                return None
            seconds += spoken.seconds
    if seconds < MIN_SAMPLE_SECONDS:
        return None
    pace = letters / seconds
    log.debug("the voice speaks %.1f letters a second (%d in %.2f s)", pace, letters, seconds)
    return pace
