"""Before a job is accepted: will its story plan into at most ``MAX_SEGMENTS`` segments?

The service answers ``POST /jobs`` with 202 and plans later; without this check a story of 365
segments was accepted and then failed as a job. A job without a plan is priced from the offline
planner's plan of its story, whatever its planner (:meth:`JobRunner.estimate`: the real plan has
about as many segments), and that plan refuses more than ``MAX_SEGMENTS``: so the same plan, made
now, refuses the story at submit with the error the job would fail with. It is free and exact for
the offline planner, and a conservative bound for the model's plan (the offline split never puts
more than a 10 s clip's words in a segment); the model's own answer is checked against the cap
again when it comes.
"""

from __future__ import annotations

import asyncio

from storyreel.providers.offline.planner import build_plan


async def check_plan_size(story: str, *, segments: int | None) -> None:
    """Raise the one-line ``UsageError`` (the 60-segment cap, or a count the story cannot give)
    that the job would fail with, now. In a worker thread: plain string work, but a long story's
    is too long for the event loop."""
    await asyncio.to_thread(build_plan, story, segments=segments)


__all__ = ["check_plan_size"]
