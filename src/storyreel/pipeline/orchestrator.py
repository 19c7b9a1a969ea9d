"""The pipeline: story -> plan -> narration -> keyframes -> clips -> segments -> final video.

Narration comes first: each segment's spoken length decides its clip duration (6 or 10 s), so the
video never runs out before the narrator does. After that every segment moves on its own as soon as
its inputs exist (its two keyframes, its narration), bounded per stage, so the wall time approaches
the slowest segment rather than the sum.

Every step goes through a :class:`~storyreel.pipeline.ledger.Ledger` keyed by a content hash of
its inputs: with a job store, a finished artefact is never made again, a submitted video task is
resumed rather than paid twice, and an edited ``plan.json`` re-makes only what it changed.

:class:`Pipeline` holds the public steps; the work is done by its parts:

- :mod:`~storyreel.pipeline.steps`: each unit of work under its stage's limit, via the ledger;
- :mod:`~storyreel.pipeline.segments`: a segment's narration (paced), clip and mux;
- :mod:`~storyreel.pipeline.keyframes`: the N+1 keyframes, each shared by two segments;
- :mod:`~storyreel.pipeline.music_bed`: the bed under the narration;
- :mod:`~storyreel.pipeline.final_assembly` and :mod:`~storyreel.pipeline.manifest`: the join;
- :mod:`~storyreel.pipeline.output_format`: the output's format.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Sequence
from pathlib import Path
from typing import Literal

from storyreel.assembly.pacing import Fit
from storyreel.cast import draws_portraits
from storyreel.errors import ProviderError, UsageError
from storyreel.language import detect_language
from storyreel.pipeline.events import EventSink, PlanReady, ignore
from storyreel.pipeline.final_assembly import FinalAssembly, draw_storyboard
from storyreel.pipeline.keyframes import Keyframes, frame_place
from storyreel.pipeline.layout import OutputLayout
from storyreel.pipeline.ledger import Ledger, NullLedger
from storyreel.pipeline.music_bed import MusicBed
from storyreel.pipeline.output_format import output_spec
from storyreel.pipeline.render_types import (
    ProviderSet,
    RenderOptions,
    RenderResult,
    SegmentOutcome,
)
from storyreel.pipeline.segments import SegmentWork, six_seconds_only
from storyreel.pipeline.steps import VIDEO_IN_FLIGHT, RenderContext, Steps, gather
from storyreel.pipeline.voice_pace import measured_pace
from storyreel.plan import Plan

# A held frame shorter than this (two frames at 24 fps) is not seen, so not reported.
HOLD_WORTH_SAYING = 0.1


def _spoken(outcome: SegmentOutcome) -> str:
    """How long the narration takes, as spoken and, when its tempo changed, as fitted."""
    paced, spoken = outcome.speech_seconds, outcome.spoken_seconds
    if spoken is None or abs(spoken - paced) < 0.05:
        return f"{paced:.1f} s"
    return f"{spoken:.1f} s, {paced:.1f} s at {spoken / paced:.2f}x"


class Pipeline:
    """Runs one job into one output folder."""

    def __init__(
        self,
        providers: ProviderSet,
        out_dir: Path,
        *,
        options: RenderOptions | None = None,
        events: EventSink = ignore,
        ledger: Ledger | None = None,
    ) -> None:
        self.providers = providers
        self.options = options or RenderOptions()
        self.layout = OutputLayout(out_dir)
        self.spec = output_spec(self.options.resolution, providers.video, self.options.aspect)
        self.emit = events
        self.ledger: Ledger = ledger or NullLedger()
        self._steps = Steps(
            events,
            self.ledger,
            concurrency=self.options.concurrency,
            remote_video=providers.video.paid,
        )
        self._frames = Keyframes(self._steps, providers.images, self.layout, self.spec.size)
        self._music = MusicBed(self._steps, self.options.music, providers.minimax, self.layout)
        job = RenderContext(self._steps, providers, self.options, self.layout, self.spec)
        self._segments = SegmentWork(job, self._frames)
        self._final = FinalAssembly(job, self._music)
        # What rendering changed in the plan (a clip's duration), one line each, for the user.
        self.changes: list[str] = []
        # Segments whose narration has set their clip's duration (the storyboard shows it).
        self._narrated: set[int] = set()
        self._all_narrated = asyncio.Event()

    async def plan(
        self, story: str, *, segments: int | None = None, language: str | None = None
    ) -> Plan:
        """Ask the planner for a plan and save it as ``plan.json``. The plan carries the story's
        ``language`` (given, else the planner's, else detected): speech is spoken in it."""
        if not story.strip():
            raise UsageError("the story is empty", field="story", fix="write a few sentences")

        async def make_plan() -> tuple[Plan, bool]:
            spoken_in = language or await asyncio.to_thread(detect_language, story)
            # A free voice is measured first, so sentences are grouped by how it speaks.
            pace = await measured_pace(self.providers.speech, story, spoken_in)
            plan = await self.providers.planner.plan(
                story, segments=segments, aspect=self.options.aspect, pace=pace
            )
            if self.options.cast is not None:  # the user's cast, as given
                plan.cast = [c.model_copy() for c in self.options.cast]
                await asyncio.to_thread(self._check_pictures, plan)
            plan.language = language or plan.language or spoken_in
            return plan, False

        plan = await self._steps.run("plan", None, make_plan)
        self.layout.root.mkdir(parents=True, exist_ok=True)
        await asyncio.to_thread(plan.save, self.layout.plan)  # fsync: not on the event loop
        return plan

    def _check_pictures(self, plan: Plan) -> None:
        """Every reference picture of the cast is a file in the job folder (the CLI copies them
        there), so no frame fails for want of one after others were paid."""
        for character in plan.cast:
            if character.picture and not (self.layout.root / character.picture).is_file():
                raise UsageError(
                    f"{character.name}'s reference picture {character.picture} is missing",
                    field="cast",
                    fix="upload it again, or drop the picture to have a portrait drawn",
                )

    async def make(self, story: str, *, segments: int | None = None) -> RenderResult:
        """Plan the story, then render it."""
        return await self.render(await self.plan(story, segments=segments))

    async def render(self, plan: Plan) -> RenderResult:
        """Render a plan into ``final_video.mp4`` and its companions, every segment at once."""
        self.begin(plan)
        self._music.start(plan)  # a generated bed is made while the segments are
        board = asyncio.create_task(self._storyboard_while_clips_render(plan))
        # Retrieved here so a board that fails with a frame is not reported a second time:
        # the frame's own failure already fails the render.
        board.add_done_callback(lambda task: task.cancelled() or task.exception())
        try:
            outcomes = await gather(
                [self.render_segment(plan, i) for i in range(len(plan.segments))]
            )
            await self._frames.cast_pictures(plan)  # a character no frame shows, too
            # Now with the narration-first durations.
            await asyncio.to_thread(plan.save, self.layout.plan)
            return await self.assemble(plan, outcomes, storyboard=board)
        finally:
            board.cancel()
            await self.drop_frames()

    async def _storyboard_while_clips_render(self, plan: Plan) -> Path:
        """``storyboard.png`` as soon as every keyframe is drawn and every narration has set
        its clip's duration: drawn while the clips render (the CPU is idle then), it no longer
        stands between the final join and the job's end (0.4 s of an 8-segment job)."""
        n = len(plan.segments)
        frames = await asyncio.gather(*(self._frames.frame(plan, k) for k in range(n + 1)))
        await self._all_narrated.wait()
        await self._frames.cast_pictures(plan)
        return await draw_storyboard(plan, frames, self.layout.storyboard)

    def begin(self, plan: Plan) -> None:
        """Lay out the output folder and announce the plan (once per job and process)."""
        n = len(plan.segments)
        self.layout.prepare(n)
        portraits = len(draws_portraits(plan, self.providers.images.max_references))
        self.emit(PlanReady(title=plan.title, segments=n, frames=n + 1, cast=portraits))

    async def render_segment(self, plan: Plan, i: int) -> SegmentOutcome:
        """Everything of segment ``i`` up to its muxed ``segment.mp4``: its narration (its
        length picks the clip's duration) and its two keyframes at once, then the clip, the mux.

        Safe to run for different segments in different processes on one store: shared
        keyframes are made once (the ledger claims them) and reused by the neighbour.
        """
        # Both keyframes are drawn while the narration is spoken: neither depends on it (only
        # the clip's duration does), so the clip waits for the slower of the two, not their sum.
        self._segments.start_frames(plan, i)
        outcome = await self._segments.narrate(plan, i)
        before, after = plan.segments[i].duration, self.clip_duration(outcome.speech_seconds)
        if after != before:
            why = (
                f"{self.options.resolution} clips are 6 s"
                if six_seconds_only(self.options.resolution)
                else f"the narration takes {_spoken(outcome)}"
            )
            self.changes.append(f"plan.json segments[{i}].duration: {before} -> {after} s ({why})")
        plan.segments[i].duration = after
        self._narrated.add(i)
        if len(self._narrated) == len(plan.segments):
            self._all_narrated.set()
        self._report_overrun(i, outcome)
        await self._segments.clip_and_mux(plan, i, outcome)
        return outcome

    def _report_overrun(self, i: int, outcome: SegmentOutcome) -> None:
        """A narration longer than a 10 s clip holds even at the fastest tempo holds the
        clip's last frame: said, with the fix, never left to be noticed in the video."""
        spoken = outcome.spoken_seconds
        if spoken is None:
            return
        fitted = self.fit(spoken)
        hold = fitted.hold(spoken)
        if hold >= HOLD_WORTH_SAYING:
            self.changes.append(
                f"segment {i + 1}: the narration takes {spoken:.1f} s, {fitted.seconds(spoken):.1f}"
                f" s at {fitted.tempo:g}x, longer than its {fitted.clip} s clip: the last frame"
                f" is held {hold:.1f} s (split its narration in plan.json, then render)"
            )

    def fit(self, speech_seconds: float) -> Fit:
        """The clip a narration of ``speech_seconds`` needs, and the tempo that fills it."""
        return self._segments.fit(speech_seconds)

    def clip_duration(self, speech_seconds: float) -> Literal[6, 10]:
        return self.fit(speech_seconds).clip

    async def assemble(
        self,
        plan: Plan,
        outcomes: Sequence[SegmentOutcome] | None = None,
        *,
        storyboard: Awaitable[Path] | None = None,
    ) -> RenderResult:
        """Join the segments into the final video. Without ``outcomes`` (another process made
        the segments) they are read back from the output folder; without ``storyboard`` (the
        board being drawn already) it is drawn after the join."""
        if outcomes is None:
            outcomes = [await self._segments.on_disk(plan, i) for i in range(len(plan.segments))]
        frames = [self.layout.frame(k) for k in range(len(plan.segments) + 1)]
        return await self._final.assemble(
            plan, list(outcomes), frames, self.changes, storyboard=storyboard
        )

    async def review(self, plan: Plan) -> Path:
        """The cheap pass before paying for video: every narration (its spoken length sets the
        clip's duration, saved in ``plan.json``), every keyframe and ``storyboard.png``."""
        self.begin(plan)

        async def narrate(i: int) -> None:
            outcome = await self._segments.narrate(plan, i)
            plan.segments[i].duration = self.clip_duration(outcome.speech_seconds)

        n = len(plan.segments)
        try:
            # The keyframes are drawn while the narration is spoken (each is its own task).
            drawing: list[Awaitable[Path]] = [self._frames.frame(plan, k) for k in range(n + 1)]
            await gather([narrate(i) for i in range(n)])
            frames = await gather(drawing)
        finally:
            await self.drop_frames()
        await asyncio.to_thread(plan.save, self.layout.plan)
        return await draw_storyboard(plan, frames, self.layout.storyboard)

    async def preview(self, plan: Plan) -> Path:
        """Keyframes and ``storyboard.png`` only: a look at the plan before paying for clips."""
        self.layout.prepare(len(plan.segments))
        try:
            frames = [await self._frames.frame(plan, k) for k in range(len(plan.segments) + 1)]
            await self._frames.cast_pictures(plan)
        finally:
            await self.drop_frames()
        return await draw_storyboard(plan, frames, self.layout.storyboard)

    async def drop_frames(self) -> None:
        """Cancel the keyframe tasks this pipeline started and no one awaits any more. A worker
        calls it when its unit of work ends, so nothing of that unit runs on behind it."""
        tasks: list[asyncio.Task[object]] = [*self._frames.take_tasks()]
        bed = self._music.take_unfinished()
        if bed is not None:
            tasks.append(bed)  # a bed no one will mix: stop paying for it
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


# The pipeline's public face: what callers import from here, wherever it is defined.
__all__ = [
    "VIDEO_IN_FLIGHT",
    "Pipeline",
    "ProviderError",
    "ProviderSet",
    "RenderOptions",
    "RenderResult",
    "SegmentOutcome",
    "frame_place",
    "output_spec",
]
