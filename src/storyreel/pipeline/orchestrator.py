"""The pipeline: story -> plan -> narration -> keyframes -> clips -> segments -> final video.

Narration comes first: each segment's spoken length decides its clip duration (6 or 10 s), so the
video never runs out before the narrator does. After that every segment moves on its own as soon as
its inputs exist (its two keyframes, its narration), bounded per stage, so the wall time approaches
the slowest segment rather than the sum.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, TypeVar

from storyreel.assembly.concat import concat_segments
from storyreel.assembly.probe import MediaInfo, probe
from storyreel.assembly.segment import mux_segment
from storyreel.assembly.spec import OutputSpec
from storyreel.assembly.storyboard import render_storyboard
from storyreel.assembly.subtitles import narration_cues, write_srt
from storyreel.assembly.timing import choose_duration, plan_timing
from storyreel.errors import MediaError, StoryreelError, UsageError
from storyreel.pipeline.events import (
    EventSink,
    JobFinished,
    PlanReady,
    Stage,
    StepFailed,
    StepFinished,
    StepProgress,
    StepStarted,
    ignore,
)
from storyreel.pipeline.layout import OutputLayout
from storyreel.pipeline.plan import Plan
from storyreel.providers.base import ClipRequest, ImageGen, Planner, SpeechGen, VideoGen

log = logging.getLogger(__name__)

SubtitleMode = Literal["burn", "srt", "none"]
T = TypeVar("T")

# A clip may come back a little short or long (the provider's frame rounding); beyond this it is
# not the clip we asked for and is reported instead of being assembled.
CLIP_DURATION_TOLERANCE = 0.6


@dataclass(frozen=True)
class RenderOptions:
    resolution: str = "768P"
    subtitles: SubtitleMode = "srt"
    concurrency: int = 4


@dataclass
class Providers:
    planner: Planner
    images: ImageGen
    video: VideoGen
    speech: SpeechGen


@dataclass
class SegmentOutcome:
    narration: Path
    speech_seconds: float
    clip: Path | None = None
    segment: Path | None = None
    info: MediaInfo | None = None


@dataclass
class RenderResult:
    video: Path
    subtitles: Path | None
    storyboard: Path
    manifest: Path
    duration: float
    segments: int
    warnings: list[str] = field(default_factory=list)


def _stage_limits(providers: Providers, concurrency: int) -> dict[Stage, asyncio.Semaphore]:
    # Local work (offline clips, muxing) competes for the same CPU cores; remote providers are
    # bounded by the user's concurrency (and by the client's own RPM limits underneath).
    cpu = asyncio.Semaphore(2)
    remote = concurrency
    return {
        "plan": asyncio.Semaphore(1),
        "speech": asyncio.Semaphore(remote),
        "frame": asyncio.Semaphore(remote),
        "video": cpu if providers.video.name == "offline" else asyncio.Semaphore(remote),
        "mux": cpu,
        "assemble": asyncio.Semaphore(1),
    }


class Pipeline:
    """Runs one job into one output folder."""

    def __init__(
        self,
        providers: Providers,
        out_dir: Path,
        *,
        options: RenderOptions | None = None,
        events: EventSink = ignore,
    ) -> None:
        self.providers = providers
        self.options = options or RenderOptions()
        self.layout = OutputLayout(out_dir)
        self.spec = OutputSpec.for_resolution(self.options.resolution)
        self.emit = events
        self._limits = _stage_limits(providers, self.options.concurrency)

    # -- public steps ----------------------------------------------------------------------------

    async def plan(self, story: str, *, segments: int | None = None) -> Plan:
        """Ask the planner for a plan and save it as ``plan.json``."""
        if not story.strip():
            raise UsageError("the story is empty", field="story", fix="pass a text file or the text itself")
        plan = await self._step("plan", None, lambda: self.providers.planner.plan(story, segments=segments))
        self.layout.root.mkdir(parents=True, exist_ok=True)
        plan.save(self.layout.plan)
        return plan

    async def make(self, story: str, *, segments: int | None = None) -> RenderResult:
        """Plan the story, then render it."""
        return await self.render(await self.plan(story, segments=segments))

    async def render(self, plan: Plan) -> RenderResult:
        """Render a plan into ``final_video.mp4`` and its companions."""
        n = len(plan.segments)
        self.layout.prepare(n)
        self.emit(PlanReady(title=plan.title, segments=n, frames=n + 1))

        outcomes = await self._gather([self._narrate(plan, i) for i in range(n)])
        # Narration first: the spoken length decides each clip's duration.
        for seg, outcome in zip(plan.segments, outcomes, strict=True):
            seg.duration = choose_duration(outcome.speech_seconds)
        plan.save(self.layout.plan)

        frames = self._frame_tasks(plan)
        await self._gather([self._segment(plan, i, frames, outcomes[i]) for i in range(n)])
        return await self._assemble(plan, outcomes, frames)

    # -- per-stage work --------------------------------------------------------------------------

    async def _narrate(self, plan: Plan, i: int) -> SegmentOutcome:
        speech = self.providers.speech
        out = self.layout.narration(i, getattr(speech, "audio_suffix", ".mp3"))
        path = await self._step("speech", i, lambda: speech.speak(plan.segments[i].narration, out=out))
        seconds = (await asyncio.to_thread(probe, path)).duration
        if seconds <= 0:
            raise MediaError(f"segment {i + 1}: the narration {path} has no audio")
        return SegmentOutcome(narration=path, speech_seconds=seconds)

    def _frame_tasks(self, plan: Plan) -> list[asyncio.Task[Path]]:
        """N+1 keyframes: frame k is the last frame of segment k-1 and the first of segment k.

        Frame 0 is drawn first and handed to every later frame as the reference, so characters
        and style carry over while frames 1..N are still drawn in parallel.
        """
        prompts = [plan.segments[0].first_frame_prompt] + [s.last_frame_prompt for s in plan.segments]
        size = self.spec.size

        def draw(k: int, reference: Path | None) -> Awaitable[Path]:
            return self.providers.images.draw(
                prompts[k], out=self.layout.frame(k), size=size, style=plan.style, reference=reference
            )

        async def first() -> Path:
            return await self._step("frame", 0, lambda: draw(0, None), label=0)

        anchor = asyncio.create_task(first())

        async def later(k: int) -> Path:
            reference = await anchor
            return await self._step("frame", k, lambda: draw(k, reference), label=k)

        return [anchor] + [asyncio.create_task(later(k)) for k in range(1, len(prompts))]

    async def _segment(
        self, plan: Plan, i: int, frames: list[asyncio.Task[Path]], outcome: SegmentOutcome
    ) -> None:
        seg = plan.segments[i]
        first, last = await frames[i], await frames[i + 1]
        request = ClipRequest(
            segment=i + 1,
            prompt=seg.video_prompt,
            camera=seg.camera,
            first_frame=first,
            last_frame=last,
            duration=seg.duration,
            resolution=self.options.resolution,
        )
        outcome.clip = await self._step("video", i, lambda: self._make_clip(request, self.layout.clip(i)))
        await self._check_clip(outcome.clip, request)
        clip = outcome.clip
        out = self.layout.segment(i)

        async def mux() -> MediaInfo:
            return await mux_segment(
                clip, outcome.narration, out, self.spec, on_progress=self._progress("mux", i)
            )

        outcome.info = await self._step("mux", i, mux)
        outcome.segment = out

    async def _make_clip(self, request: ClipRequest, out: Path) -> Path:
        video = self.providers.video
        job_id = await video.submit(request)
        progress = self._progress("video", request.segment - 1)
        return await video.fetch(job_id, request, out, lambda f, s: progress(f, s))

    async def _check_clip(self, clip: Path, request: ClipRequest) -> None:
        info = await asyncio.to_thread(probe, clip)
        if info.video is None:
            raise MediaError(f"segment {request.segment}: the clip {clip} has no video stream")
        if abs(info.duration - request.duration) > CLIP_DURATION_TOLERANCE:
            raise MediaError(
                f"segment {request.segment}: the clip lasts {info.duration:.2f} s, "
                f"{request.duration} s were asked for ({clip})"
            )

    async def _assemble(
        self, plan: Plan, outcomes: list[SegmentOutcome], frames: list[asyncio.Task[Path]]
    ) -> RenderResult:
        async def assemble() -> RenderResult:
            parts = [o.segment for o in outcomes if o.segment is not None]
            starts, speech_starts, t = [], [], 0.0
            for o in outcomes:
                timing = plan_timing(o.info.duration if o.info else 0.0, o.speech_seconds)
                starts.append(t)
                speech_starts.append(t + timing.speech_start)
                t += o.info.duration if o.info else timing.total
            srt_path: Path | None = None
            if self.options.subtitles != "none":
                cues = narration_cues(
                    [s.narration for s in plan.segments],
                    speech_starts,
                    [o.speech_seconds for o in outcomes],
                )
                srt_path = write_srt(cues, self.layout.subtitles)
            info = await concat_segments(
                parts,
                self.layout.video,
                self.spec,
                subtitles=srt_path,
                burn_subtitles=self.options.subtitles == "burn",
                on_progress=self._progress("assemble", None),
            )
            frame_paths = [f.result() for f in frames]
            storyboard = await asyncio.to_thread(
                render_storyboard,
                [(frame_paths[i], frame_paths[i + 1]) for i in range(len(plan.segments))],
                [s.narration for s in plan.segments],
                self.layout.storyboard,
                plan.title,
            )
            result = RenderResult(
                video=self.layout.video,
                subtitles=srt_path,
                storyboard=storyboard,
                manifest=self.layout.manifest,
                duration=info.duration,
                segments=len(parts),
            )
            self._write_manifest(plan, outcomes, starts, result)
            return result

        result = await self._step("assemble", None, assemble)
        self.emit(JobFinished(video=str(result.video), duration=result.duration, segments=result.segments))
        return result

    def _write_manifest(
        self, plan: Plan, outcomes: list[SegmentOutcome], starts: list[float], result: RenderResult
    ) -> None:
        root = self.layout.root

        def rel(path: Path | None) -> str | None:
            return str(path.relative_to(root)) if path else None

        manifest = {
            "title": plan.title,
            "video": rel(result.video),
            "subtitles": rel(result.subtitles),
            "storyboard": rel(result.storyboard),
            "plan": rel(self.layout.plan),
            "duration": round(result.duration, 3),
            "resolution": self.options.resolution,
            "providers": {
                "planner": self.providers.planner.name,
                "images": self.providers.images.name,
                "video": self.providers.video.name,
                "speech": self.providers.speech.name,
            },
            "segments": [
                {
                    "index": i + 1,
                    "start": round(starts[i], 3),
                    "duration": round(o.info.duration, 3) if o.info else None,
                    "clip_duration": seg.duration,
                    "speech_seconds": round(o.speech_seconds, 3),
                    "camera": seg.camera,
                    "narration": rel(o.narration),
                    "clip": rel(o.clip),
                    "segment": rel(o.segment),
                    "first_frame": rel(self.layout.frame(i)),
                    "last_frame": rel(self.layout.frame(i + 1)),
                }
                for i, (seg, o) in enumerate(zip(plan.segments, outcomes, strict=True))
            ],
        }
        tmp = self.layout.manifest.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        tmp.replace(self.layout.manifest)

    # -- plumbing --------------------------------------------------------------------------------

    def _progress(self, stage: Stage, segment: int | None) -> Callable[[float, str], None] | Callable[[float], None]:
        def report(fraction: float, status: str = "") -> None:
            self.emit(StepProgress(stage=stage, segment=segment, fraction=fraction, status=status))

        return report

    async def _step(
        self,
        stage: Stage,
        segment: int | None,
        work: Callable[[], Awaitable[T]],
        *,
        label: int | None = None,
    ) -> T:
        """Run one unit of work under its stage's limit, reporting start, end and failure."""
        index = segment if label is None else label
        async with self._limits[stage]:
            self.emit(StepStarted(stage=stage, segment=index))
            try:
                result = await work()
            except StoryreelError as error:
                self.emit(StepFailed(stage=stage, segment=index, error=str(error)))
                raise
            except Exception as error:
                self.emit(StepFailed(stage=stage, segment=index, error=str(error)))
                raise
        self.emit(StepFinished(stage=stage, segment=index))
        return result

    @staticmethod
    async def _gather(coros: list[Awaitable[T]]) -> list[T]:
        """Run together; on the first failure cancel the rest so nothing keeps spending."""
        tasks = [asyncio.ensure_future(c) for c in coros]
        try:
            return list(await asyncio.gather(*tasks))
        except BaseException:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            raise
