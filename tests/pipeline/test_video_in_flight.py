"""Waiting for a remote clip holds no concurrency slot (issue 15): with ``--concurrency 2`` and
six segments, every create is sent while the first clip is still being made; the concurrency
bounds the creates themselves."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from pathlib import Path

from storyreel.pipeline.orchestrator import Pipeline, RenderOptions
from storyreel.providers.base import ClipRequest, ImageGen, Planner, ProgressFn, SpeechGen
from storyreel.providers.hooks import BeforeSend, BeforeWait
from storyreel.providers.offline import OfflineImageGen, OfflinePlanner, OfflineSpeechGen
from tests.pipeline._cli import STORY

SEGMENTS = 6
CONCURRENCY = 2
# What the test waits for at most; it ends as soon as the creates are in (events, not time).
DEADLINE = 120.0


class SlowVideo:
    """A paid-looking provider whose clips take until the test says so."""

    name = "slow-fake"
    paid = True

    def describe(self) -> str:
        return self.name

    async def aclose(self) -> None:
        return None

    def check(self, resolution: str) -> None:
        return None

    def native_clip(self, resolution: str, aspect: str = "16:9") -> tuple[int, int, int] | None:
        return None

    def __init__(self) -> None:
        self.created = 0
        self.creating = 0
        self.max_creating = 0
        self.finished = 0
        self.all_created = asyncio.Event()
        self.release = asyncio.Event()

    async def submit(
        self,
        request: ClipRequest,
        *,
        before_send: BeforeSend | None = None,
        before_wait: BeforeWait | None = None,
    ) -> str:
        self.creating += 1
        self.max_creating = max(self.max_creating, self.creating)
        try:
            # Let the other segments' tasks run while this create is "on the wire".
            for _ in range(20):
                await asyncio.sleep(0)
            if before_send is not None:
                await before_send()
        finally:
            self.creating -= 1
        self.created += 1
        if self.created == SEGMENTS:
            self.all_created.set()
        return f"task-{request.segment}"

    async def fetch(
        self, job_id: str, request: ClipRequest, out: Path, progress: ProgressFn | None = None
    ) -> Path:
        await self.release.wait()  # the clip is "rendering" until then
        self.finished += 1
        raise AssertionError("the test stops the job before any clip arrives")


@dataclass
class Providers:
    video: SlowVideo
    planner: Planner = field(default_factory=OfflinePlanner)
    images: ImageGen = field(default_factory=OfflineImageGen)
    speech: SpeechGen = field(default_factory=OfflineSpeechGen)
    minimax: None = None


async def test_every_create_is_in_flight_before_the_first_clip_arrives(tmp_path: Path) -> None:
    video = SlowVideo()
    providers = Providers(video=video)
    pipeline = Pipeline(providers, tmp_path / "out", options=RenderOptions(concurrency=CONCURRENCY))
    plan = await providers.planner.plan(STORY * 3, segments=SEGMENTS)
    job = asyncio.create_task(pipeline.render(plan))
    try:
        # Either all six creates go out, or the job ends early (a failure to show), or the
        # creates stall behind the clips being waited for (the bug) until the deadline.
        done, _ = await asyncio.wait(
            [job, asyncio.create_task(video.all_created.wait())],
            timeout=DEADLINE,
            return_when=asyncio.FIRST_COMPLETED,
        )
        assert done, f"only {video.created} of {SEGMENTS} creates were sent while clips waited"
        assert job not in done, job.exception()
        assert video.created == SEGMENTS
        assert video.finished == 0  # no clip had come back: the waits held no create slot
        assert 1 <= video.max_creating <= CONCURRENCY
    finally:
        job.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await job
