"""Before a job is accepted: will its story plan into at most ``MAX_SEGMENTS`` segments?

The service answers ``POST /jobs`` with 202 and plans later; without this check a story of 365
segments was accepted and then failed as a job. So the check runs at submit, as far as it can
without paying: the offline planner's plan is free and exact (it is the plan the job will make),
and for the model's plan a bound from the story's length stands in (the model's own answer is
checked against the cap again when it comes).
"""

from __future__ import annotations

import asyncio

from storyreel.errors import UsageError
from storyreel.limits import MAX_SEGMENTS
from storyreel.providers.offline.planner import build_plan, word_count


async def check_plan_size(story: str, *, segments: int | None, planner: str) -> None:
    """Raise the one-line ``UsageError`` the job would fail with, now. ``planner`` is the
    resolved planner (``offline`` or ``openai``)."""
    if planner == "offline":
        # In a worker thread: plain string work, but a long story's is too long for the loop.
        # It raises the planner's own error (the 60-segment cap, or an impossible count).
        await asyncio.to_thread(build_plan, story, segments=segments)
        return
    if segments is not None:
        return  # the model is asked for exactly that many, and the schema caps it at 60
    # The model splits the story and narrates it: a 10 s clip holds at most WORDS_FOR[10]
    # words, so fewer segments than this cannot carry the story.
    from storyreel.providers.openai_planner import WORDS_FOR

    per_segment = WORDS_FOR[10]
    least = -(-word_count(story) // per_segment)
    if least > MAX_SEGMENTS:
        raise UsageError(
            f"the story needs at least {least} segments of {per_segment} words; "
            f"at most {MAX_SEGMENTS}",
            field="story",
            fix=f"split it into stories of at most {MAX_SEGMENTS * per_segment} words",
        )


__all__ = ["check_plan_size"]
