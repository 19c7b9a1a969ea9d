"""Offline planner: turns a story into a plan with plain rules, no model.

Sentences are grouped so each segment's narration fills a 6 s or 10 s clip at the voice's
pace (measured, else a narrator's usual pace for the language); the camera follows the words
where they are obvious ("climbed" looks up, "far away" pulls out) and otherwise rotates
through a varied sequence; the frame prompts are drawn from the narration itself.
Deterministic: the same story (and voice) always gives the same plan.

One job a module, in the order a story goes through them:

- :mod:`.sentences`: the story's text as sentences (every script), its title, spoken length.
- :mod:`.grouping`: sentences into segments that fill their clips (automatic or exactly N).
- :mod:`.shots`: each segment's camera move and its frame and video prompts.
- :mod:`.plan`: :func:`build_plan` and :class:`OfflinePlanner`, which put them together.
"""

from __future__ import annotations

from storyreel.providers.offline.planner.grouping import (
    LONG_WORDS,
    Pace,
    duration_for,
)
from storyreel.providers.offline.planner.plan import STYLE, OfflinePlanner, build_plan
from storyreel.providers.offline.planner.sentences import (
    paragraphs,
    split_sentences,
    split_title,
    word_count,
)
from storyreel.providers.offline.planner.shots import choose_cameras

__all__ = [
    "LONG_WORDS",
    "STYLE",
    "OfflinePlanner",
    "Pace",
    "build_plan",
    "choose_cameras",
    "duration_for",
    "paragraphs",
    "split_sentences",
    "split_title",
    "word_count",
]
