"""The offline planner itself: a story in, a :class:`~storyreel.plan.Plan` out."""

from __future__ import annotations

import asyncio
import math

from storyreel.assembly.spec import COMPOSITIONS, DEFAULT_ASPECT
from storyreel.errors import UsageError
from storyreel.language import detect_language
from storyreel.limits import MAX_SEGMENTS
from storyreel.plan import Plan, Segment
from storyreel.providers.offline._base import OfflineProvider
from storyreel.providers.offline.planner.grouping import (
    DEFAULT_PACE,
    LONG_WORDS,
    Pace,
    Unit,
    duration_for,
    group_auto,
    group_exact,
    split_further,
    split_units,
)
from storyreel.providers.offline.planner.sentences import (
    fallback_title,
    join_pieces,
    split_title,
)
from storyreel.providers.offline.planner.shots import choose_cameras, shot_prompts

STYLE_PREFIX = (
    "Hand-drawn storybook illustration, soft cinematic light, muted warm palette, "
    "consistent characters and setting from frame to frame"
)


def style_for(aspect: str = DEFAULT_ASPECT) -> str:
    """The style sentence every frame prompt ends with, naming the frame's shape."""
    return f"{STYLE_PREFIX}, {COMPOSITIONS[aspect]} composition"


STYLE = style_for()


class OfflinePlanner(OfflineProvider):
    """Rule-based planner: no key, no network, same story in, same plan out."""

    async def plan(
        self,
        story: str,
        *,
        segments: int | None = None,
        aspect: str = DEFAULT_ASPECT,
        pace: float | None = None,
    ) -> Plan:
        # In a thread: detecting the language loads its model (about a second) the first time.
        return await asyncio.to_thread(
            build_plan, story, segments=segments, aspect=aspect, pace=pace
        )


def _story_units(story: str, pace: Pace = DEFAULT_PACE) -> tuple[str | None, str, list[Unit]]:
    """The title, the body and its sentences (long ones cut to fit a long clip)."""
    if not story or not story.strip():
        raise UsageError(
            "the story is empty", field="story", fix="pass a text file or the text itself"
        )
    title, body = split_title(story)
    if not body:  # a single short line: it is the story, not a title
        title, body = None, story.strip()
    units = split_units(body, pace)
    if not units:
        raise UsageError("the story has no words to narrate", field="story")
    return title, body, units


def segments_that_fit(story: str) -> range:
    """The segment counts that narrate ``story`` without cutting a sentence (at most one a
    segment) or overflowing a 10 s clip (which holds the last frame in silence)."""
    _title, _body, units = _story_units(story)
    words = sum(u.words for u in units)
    return range(min(len(units), math.ceil(words / LONG_WORDS)), len(units) + 1)


def build_plan(
    story: str,
    *,
    segments: int | None = None,
    language: str | None = None,
    aspect: str = DEFAULT_ASPECT,
    pace: float | None = None,
) -> Plan:
    """The synchronous core of :class:`OfflinePlanner` (plain string work, and the language
    detected from the story unless given). ``pace``: the narrating voice's letters a second,
    measured (else a narrator's usual pace for the language)."""
    title, body = split_title(story) if story and story.strip() else (None, "")
    language = language or detect_language(body or story)
    speed = Pace.of(language, pace)
    title, body, units = _story_units(story, speed)
    if segments is None:
        groups = group_auto(units)
        if len(groups) > MAX_SEGMENTS:
            # Every segment is a paid clip: a story this long is refused, not planned silently.
            raise UsageError(
                f"the story makes {len(groups)} segments; at most {MAX_SEGMENTS}",
                field="story",
                fix="split it into shorter stories, or pass --segments up to "
                f"{MAX_SEGMENTS} for longer narration per segment",
            )
    else:
        words = sum(u.words for u in units)
        if segments < 1 or segments > words:
            raise UsageError(
                f"cannot make {segments} segments from a story of {words} words",
                field="segments",
                fix=f"choose between 1 and {words}",
            )
        groups = group_exact(split_further(units, segments), segments)
    narrations = [join_pieces([u.text for u in group]) for group in groups]
    cameras = choose_cameras(narrations)
    built = []
    for group, narration, camera in zip(groups, narrations, cameras, strict=True):
        video, first, last = shot_prompts(narration, [u.text for u in group], camera)
        built.append(
            Segment(
                narration=narration,
                video_prompt=video,
                first_frame_prompt=first,
                last_frame_prompt=last,
                camera=camera,
                duration=duration_for(narration, speed),
            )
        )
    return Plan(
        title=title or fallback_title(body),
        style=style_for(aspect),
        language=language,
        segments=built,
    )
