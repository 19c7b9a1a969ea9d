"""The storyboard is drawn while the clips render (issue 15): it needs only the keyframes and the
narrations' durations, and drawing it after the final join added 0.4 s to every job's end."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from storyreel.pipeline import orchestrator
from storyreel.pipeline.final_assembly import draw_storyboard
from storyreel.pipeline.orchestrator import Pipeline, RenderOptions
from tests.pipeline._cli import STORY
from tests.pipeline.test_video_in_flight import SEGMENTS, Providers, SlowVideo

# What the test waits for at most: the board to appear while no clip has come back yet.
DEADLINE = 120.0


async def test_the_storyboard_is_drawn_before_any_clip_arrives(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    drawn = asyncio.Event()

    async def draw_and_tell(*args: Any) -> Path:
        path = await draw_storyboard(*args)
        drawn.set()
        return path

    monkeypatch.setattr(orchestrator, "draw_storyboard", draw_and_tell)
    video = SlowVideo()  # no clip ever arrives: the board can only come from before the join
    providers = Providers(video=video)
    pipeline = Pipeline(providers, tmp_path / "out", options=RenderOptions(concurrency=SEGMENTS))
    plan = await providers.planner.plan(STORY * 3, segments=SEGMENTS)
    board = pipeline.layout.storyboard
    job = asyncio.create_task(pipeline.render(plan))
    try:
        done, _ = await asyncio.wait(
            [job, asyncio.create_task(drawn.wait())],
            timeout=DEADLINE,
            return_when=asyncio.FIRST_COMPLETED,
        )
        assert done, "no storyboard.png while the clips rendered"
        assert job not in done, job.exception()
        assert video.finished == 0
        with Image.open(board) as picture:  # written atomically: a whole picture
            assert picture.format == "PNG"
            picture.verify()
    finally:
        job.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await job
