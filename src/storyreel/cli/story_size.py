"""Before a story is planned: ``-n`` that does not fit the story gets a warning naming what
does, and a long story says how big it is and is made only once the user agrees."""

from __future__ import annotations

import asyncio
import sys

import typer

from storyreel.cli.common import err_console
from storyreel.errors import UsageError
from storyreel.pipeline.cost import format_usd
from storyreel.pipeline.jobs import JobOptions, JobRunner
from storyreel.providers.offline.planner import build_plan
from storyreel.providers.offline.planner.plan import segments_that_fit

# Every segment is a clip to make (and, with real providers, to pay for): past this many the
# user is asked first.
ASK_ABOVE_SEGMENTS = 40


def fit_warning(story: str, segments: int | None) -> str | None:
    """The warning for a ``-n`` the story cannot fill well, or None."""
    if segments is None:
        return None
    fits = segments_that_fit(story)
    if segments in fits:
        return None
    why = (
        "cuts sentences and leaves long silence"
        if segments > fits.stop - 1
        else "overflows 10 s clips, holding the last frame in silence"
    )
    span = str(fits.start) if len(fits) == 1 else f"{fits.start} to {fits.stop - 1}"
    return f"-n {segments} {why}: this story fits {span} segments"


async def check_story_size(
    runner: JobRunner, story: str, options: JobOptions, *, yes: bool
) -> None:
    """Warn about ``-n``; show a long story's size and ask (``--yes`` accepts; without a
    terminal to ask, it is one line and exit 2, before anything is planned or paid)."""
    warning = await asyncio.to_thread(fit_warning, story, options.segments)
    if warning:
        err_console.print(f"warning: {warning}", style="yellow", highlight=False)
    draft = await asyncio.to_thread(build_plan, story, segments=options.segments)
    count = len(draft.segments)
    if count <= ASK_ABOVE_SEGMENTS:
        return
    minutes = sum(s.duration for s in draft.segments) / 60
    cost = (await runner.estimate_story(story, options)).total
    size = (
        f"this story makes {count} segments, about {minutes:.0f} min of video, {format_usd(cost)}"
    )
    err_console.print(size, highlight=False)
    if yes:
        return
    if not sys.stdin.isatty():
        raise UsageError(
            size,
            field="--yes",
            fix=f"pass --yes to make it, or -n {ASK_ABOVE_SEGMENTS} or fewer, or split the story",
        )
    if not typer.confirm(f"Plan {count} segments?", default=False, err=True):
        err_console.print("not planned: nothing was spent", style="dim")
        raise typer.Exit(1)
