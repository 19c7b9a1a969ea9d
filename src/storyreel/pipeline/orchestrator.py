"""The pipeline: story -> plan -> narration -> keyframes -> clips -> segments -> final video.

Narration comes first: each segment's spoken length decides its clip duration (6 or 10 s), so the
video never runs out before the narrator does. After that every segment moves on its own as soon as
its inputs exist (its two keyframes, its narration), bounded per stage, so the wall time approaches
the slowest segment rather than the sum.

Every step goes through a :class:`~storyreel.pipeline.ledger.Ledger` keyed by a content hash of
its inputs: with a job store, a finished artefact is never made again, a submitted video task is
resumed rather than paid twice, and an edited ``plan.json`` re-makes only what it changed.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol, TypeVar

from storyreel.assembly.concat import concat_segments
from storyreel.assembly.mix_commands import SYNTH_VERSION, Music
from storyreel.assembly.pacing import Fit, Silence, fit, measure_silence, paced, paced_on_disk
from storyreel.assembly.probe import MediaInfo, probe
from storyreel.assembly.segment import mux_segment, plan_mux
from storyreel.assembly.spec import OutputSpec
from storyreel.assembly.storyboard import render_storyboard
from storyreel.assembly.subtitles import DEFAULT_CAPTION_STYLE, narration_cues, write_srt
from storyreel.assembly.timing import plan_timing
from storyreel.errors import MediaError, ProviderError, StoryreelError, UsageError
from storyreel.files import write_bytes_atomic_sync
from storyreel.language import detect_language
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
from storyreel.pipeline.hashing import (
    afile_sha256,
    assemble_hash,
    frame_hash,
    frame_prompts,
    music_hash,
    mux_hash,
    speech_hash,
    video_hash,
)
from storyreel.pipeline.layout import OutputLayout
from storyreel.pipeline.ledger import Ledger, NullLedger
from storyreel.plan import Plan
from storyreel.providers.base import ClipRequest, ImageGen, Planner, SpeechGen, VideoGen
from storyreel.providers.hooks import BeforeSend

if TYPE_CHECKING:
    from storyreel.minimax import AsyncMiniMax

log = logging.getLogger(__name__)

SubtitleMode = Literal["burn", "srt", "none"]
T = TypeVar("T")

# A clip may come back a little short or long (the provider's frame rounding); beyond this it is
# not the clip we asked for and is reported instead of being assembled.
CLIP_DURATION_TOLERANCE = 0.6
# Hailuo renders 1080P at 6 s only; longer narration then holds the clip's last frame.
SIX_SECONDS_ONLY = {"1080P"}
# Remote clips being waited for or downloaded at once: generous (a wait holds only a poll loop
# and, while downloading, one connection), yet bounded.
VIDEO_IN_FLIGHT = 64
# A provider's native clip format is adopted as the output's within these bounds.
MIN_FPS, MAX_FPS = 20, 60
ASPECT_TOLERANCE = 0.01


@dataclass(frozen=True)
class RenderOptions:
    resolution: str = "768P"
    subtitles: SubtitleMode = "srt"
    subtitle_style: str = DEFAULT_CAPTION_STYLE  # a name in subtitles.CAPTION_STYLES
    concurrency: int = 4
    # Part of the narration's identity (its content hash): a new voice or speed re-speaks it.
    voice_id: str | None = None
    speech_speed: float = 1.0
    # A bed under the narration (None: none), ducked while someone speaks.
    music: Music | None = None


class ProviderSet(Protocol):
    """The four providers of a run (``storyreel.providers.factory.Providers`` is one)."""

    planner: Planner
    images: ImageGen
    video: VideoGen
    speech: SpeechGen
    # The shared MiniMax client when a MiniMax stage is real: ``--music auto`` makes the bed
    # with it (None: the bed is synthesised locally).
    minimax: AsyncMiniMax | None


@dataclass
class SegmentOutcome:
    narration: Path
    speech_seconds: float
    clip: Path | None = None
    segment: Path | None = None
    info: MediaInfo | None = None
    # "copied" (the clip's video stream as it is) or "re-encoded" to the output spec.
    video_mux: str | None = None


@dataclass
class RenderResult:
    video: Path
    subtitles: Path | None
    storyboard: Path
    manifest: Path
    duration: float
    segments: int
    reused: int = 0
    warnings: list[str] = field(default_factory=list)
    silence: Silence | None = None  # FFmpeg silencedetect over the final video


async def music_fields(music: Music) -> dict[str, object]:
    """What makes the bed what it is, for the assemble step's hash: the track's content (a new
    file under the same name re-mixes) or the synthesised bed's version, and the volume."""
    source = await afile_sha256(music.path) if music.path is not None else SYNTH_VERSION
    return {"source": source, "volume": music.volume}


def _music_entry(music: Music | None, root: Path) -> dict[str, object] | None:
    if music is None:
        return None
    track = "synthesised" if music.path is None else str(music.path)
    if music.path is not None and music.path.is_relative_to(root):
        track = str(music.path.relative_to(root))  # the generated bed, in the folder
    return {"track": track, "volume": music.volume}


def frame_place(k: int, segments: int) -> str:
    """Where keyframe ``k`` of a plan of ``segments`` sits: frame k ends segment k and opens
    segment k+1 (numbered from 1, as the user sees them)."""
    roles = []
    if k >= 1:
        roles.append(f"the last frame of segment {k}")
    if k < segments:
        roles.append(f"the first frame of segment {k + 1}")
    return f"frame {k} ({' and '.join(roles)})"


def output_spec(resolution: str, video: VideoGen) -> OutputSpec:
    """The output format: the video provider's own clip format when it declares a sane one (so
    its clips are copied into their segments, not re-encoded), else the resolution's."""
    spec = OutputSpec.for_resolution(resolution)
    shape = video.native_clip(resolution)
    if shape is None:
        return spec
    width, height, fps = shape
    sane = (
        width % 2 == 0
        and height % 2 == 0
        and MIN_FPS <= fps <= MAX_FPS
        # the same picture shape as asked for (1366x768 for 16:9 is, to a pixel)
        and abs(width / height - spec.width / spec.height) < ASPECT_TOLERANCE
    )
    if not sane:
        log.warning("the video provider's clips (%dx%d at %d fps) are re-encoded", *shape)
        return spec
    return replace(spec, width=width, height=height, fps=fps)


def _stage_limits(providers: ProviderSet, concurrency: int) -> dict[Stage, asyncio.Semaphore]:
    # Local work (offline clips, muxing) competes for the same CPU cores; remote providers are
    # bounded by the user's concurrency (and by the client's own RPM limits underneath).
    cpu = asyncio.Semaphore(2)
    return {
        "plan": asyncio.Semaphore(1),
        "speech": asyncio.Semaphore(concurrency),
        "frame": asyncio.Semaphore(concurrency),
        # A remote clip is made on the provider's machines: waiting for it costs nothing here,
        # so only its create is bounded by the concurrency (see ``Pipeline._creates``).
        "video": asyncio.Semaphore(VIDEO_IN_FLIGHT) if providers.video.paid else cpu,
        "mux": cpu,
        "music": asyncio.Semaphore(1),
        "assemble": asyncio.Semaphore(1),
    }


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
        self.spec = output_spec(self.options.resolution, providers.video)
        self.emit = events
        self.ledger: Ledger = ledger or NullLedger()
        self._limits = _stage_limits(providers, self.options.concurrency)
        # Paid video creates (frame preparation, the RPM wait, the request) at once; the wait
        # for the clip that follows holds no slot of it.
        self._creates = asyncio.Semaphore(self.options.concurrency)
        self._frames: dict[int, asyncio.Task[Path]] = {}
        self._music_task: asyncio.Task[Music | None] | None = None
        self._reused = 0
        # What rendering changed in the plan (a clip's duration), one line each, for the user.
        self.changes: list[str] = []

    # -- public steps ----------------------------------------------------------------------------

    async def plan(
        self, story: str, *, segments: int | None = None, language: str | None = None
    ) -> Plan:
        """Ask the planner for a plan and save it as ``plan.json``. The plan carries the story's
        ``language`` (given, else the planner's, else detected): speech is spoken in it."""
        if not story.strip():
            raise UsageError("the story is empty", field="story", fix="write a few sentences")

        async def make_plan() -> tuple[Plan, bool]:
            plan = await self.providers.planner.plan(story, segments=segments)
            plan.language = (
                language or plan.language or await asyncio.to_thread(detect_language, story)
            )
            return plan, False

        plan = await self._run("plan", None, make_plan)
        self.layout.root.mkdir(parents=True, exist_ok=True)
        await asyncio.to_thread(plan.save, self.layout.plan)  # fsync: not on the event loop
        return plan

    async def make(self, story: str, *, segments: int | None = None) -> RenderResult:
        """Plan the story, then render it."""
        return await self.render(await self.plan(story, segments=segments))

    async def render(self, plan: Plan) -> RenderResult:
        """Render a plan into ``final_video.mp4`` and its companions, every segment at once."""
        self.begin(plan)
        self._music_bed(plan)  # a generated bed is made while the segments are
        try:
            outcomes = await self._gather(
                [self.render_segment(plan, i) for i in range(len(plan.segments))]
            )
            # Now with the narration-first durations.
            await asyncio.to_thread(plan.save, self.layout.plan)
            return await self.assemble(plan, outcomes)
        finally:
            await self.drop_frames()

    def _music_bed(self, plan: Plan) -> asyncio.Task[Music | None]:
        """The bed, once per process (a task render starts early and assemble awaits)."""
        if self._music_task is None:
            self._music_task = asyncio.create_task(self._make_music(plan))
        return self._music_task

    async def _make_music(self, plan: Plan) -> Music | None:
        """``--music auto`` with a real MiniMax stage: one paid music_generation call through
        the ledger (intent first, reused on resume); otherwise the bed asked for as it is (a
        file, the synthesised one, or none)."""
        music = self.options.music
        client = self.providers.minimax
        if music is None or music.path is not None or client is None:
            return music
        from storyreel.providers.minimax_music import MiniMaxMusicGen, music_prompt

        gen = MiniMaxMusicGen(client)
        prompt = music_prompt(plan)
        inputs = music_hash(prompt=prompt, provider=gen.name, model=gen.describe())
        out = self.layout.music

        def make() -> Awaitable[Path]:
            return gen.compose(prompt, out)

        path = await self._artefact("music", None, inputs, make, paid=True)
        return replace(music, path=path)

    def begin(self, plan: Plan) -> None:
        """Lay out the output folder and announce the plan (once per job and process)."""
        n = len(plan.segments)
        self.layout.prepare(n)
        self.emit(PlanReady(title=plan.title, segments=n, frames=n + 1))

    async def render_segment(self, plan: Plan, i: int) -> SegmentOutcome:
        """Everything of segment ``i`` up to its muxed ``segment.mp4``: narration first (its
        length picks the clip's duration), then its two keyframes, the clip, the mux.

        Safe to run for different segments in different processes on one store: shared
        keyframes are made once (the ledger claims them) and reused by the neighbour.
        """
        outcome = await self._narrate(plan, i)
        before, after = plan.segments[i].duration, self.clip_duration(outcome.speech_seconds)
        if after != before:
            why = (
                f"{self.options.resolution} clips are 6 s"
                if self.options.resolution.upper() in SIX_SECONDS_ONLY
                else f"the narration takes {outcome.speech_seconds:.1f} s"
            )
            self.changes.append(f"plan.json segments[{i}].duration: {before} -> {after} s ({why})")
        plan.segments[i].duration = after
        await self._segment(plan, i, outcome)
        return outcome

    def fit(self, speech_seconds: float) -> Fit:
        """Narration first: the spoken length decides the clip (1080P renders 6 s only) and
        the tempo that fills it (see :mod:`storyreel.assembly.pacing`)."""
        six_only = self.options.resolution.upper() in SIX_SECONDS_ONLY
        return fit(speech_seconds, six_only=six_only)

    def clip_duration(self, speech_seconds: float) -> Literal[6, 10]:
        return self.fit(speech_seconds).clip

    async def assemble(
        self, plan: Plan, outcomes: Sequence[SegmentOutcome] | None = None
    ) -> RenderResult:
        """Join the segments into the final video. Without ``outcomes`` (another process made
        the segments) they are read back from the output folder."""
        if outcomes is None:
            outcomes = [await self._outcome_on_disk(plan, i) for i in range(len(plan.segments))]
        frames = [self.layout.frame(k) for k in range(len(plan.segments) + 1)]
        return await self._assemble(plan, list(outcomes), frames)

    async def _outcome_on_disk(self, plan: Plan, i: int) -> SegmentOutcome:
        segment = self.layout.segment(i)
        narrations = sorted(self.layout.segment_dir(i).glob("narration.*"))
        if not narrations or not segment.is_file():
            raise MediaError(f"segment {i + 1} is not made yet ({segment})")
        spoken = (await asyncio.to_thread(probe, narrations[0])).duration
        fitted = self.fit(spoken)
        narration = paced_on_disk(narrations[0], fitted.tempo)
        plan.segments[i].duration = fitted.clip
        return SegmentOutcome(
            narration=narration,
            speech_seconds=(await asyncio.to_thread(probe, narration)).duration,
            clip=self.layout.clip(i),
            segment=segment,
            info=await asyncio.to_thread(probe, segment),
        )

    # -- per-stage work --------------------------------------------------------------------------

    async def _narrate(self, plan: Plan, i: int) -> SegmentOutcome:
        speech = self.providers.speech
        text = plan.segments[i].narration
        out = self.layout.narration(i, speech.audio_suffix)
        inputs = speech_hash(
            narration=text,
            voice_id=self.options.voice_id,
            provider=speech.name,
            model=speech.describe(),
            speed=self.options.speech_speed,
            language=plan.language,
        )
        path = await self._artefact(
            "speech",
            i,
            inputs,
            lambda: speech.speak(text, out=out, language=plan.language),
            paid=speech.paid,
        )
        seconds = (await asyncio.to_thread(probe, path)).duration
        if seconds <= 0:
            raise MediaError(f"segment {i + 1}: the narration {path} has no audio")
        # Fill the clip: a little slower into the gap, or a little faster into a 6 s clip.
        narration = await paced(path, self.fit(seconds).tempo)
        if narration != path:
            seconds = (await asyncio.to_thread(probe, narration)).duration
        return SegmentOutcome(narration=narration, speech_seconds=seconds)

    def _frame(self, plan: Plan, k: int) -> asyncio.Task[Path]:
        """Keyframe ``k`` of the N+1: frame k is the last frame of segment k-1 and the first of
        segment k. Made once per process (a task both neighbours await).

        Frame 0 is drawn first and handed to every later frame as the reference, so characters
        and style carry over while frames 1..N are still drawn in parallel.
        """
        if k not in self._frames:
            self._frames[k] = asyncio.create_task(self._draw(plan, k))
        return self._frames[k]

    async def _draw(self, plan: Plan, k: int) -> Path:
        images = self.providers.images
        prompt = frame_prompts(plan)[k]
        reference = await self._frame(plan, 0) if k > 0 else None
        size = self.spec.size
        inputs = frame_hash(
            prompt=prompt,
            style=plan.style,
            size=size,
            provider=images.name,
            model=images.describe(),
            reference_sha=await afile_sha256(reference) if reference else None,
        )

        async def make() -> Path:
            out = self.layout.frame(k)
            try:
                return await images.draw(
                    prompt, out=out, size=size, style=plan.style, reference=reference
                )
            except ProviderError as error:
                if not error.content_policy:
                    raise
                # The user edits the prompt in plan.json: say which segment's frame it is.
                raise ProviderError(
                    f"{frame_place(k, len(plan.segments))}: {error.message}",
                    stage=error.stage,
                    provider=error.provider,
                    code=error.code,
                    trace_id=error.trace_id,
                    content_policy=True,
                ) from error

        return await self._artefact("frame", k, inputs, make, paid=images.paid)

    async def drop_frames(self) -> None:
        """Cancel the keyframe tasks this pipeline started and no one awaits any more. A worker
        calls it when its unit of work ends, so nothing of that unit runs on behind it."""
        frames: list[asyncio.Task[object]] = [*self._frames.values()]
        self._frames = {}
        if self._music_task is not None and not self._music_task.done():
            frames.append(self._music_task)  # a bed no one will mix: stop paying for it
            self._music_task = None
        for task in frames:
            task.cancel()
        await asyncio.gather(*frames, return_exceptions=True)

    async def _segment(self, plan: Plan, i: int, outcome: SegmentOutcome) -> None:
        seg = plan.segments[i]
        first, last = await self._frame(plan, i), await self._frame(plan, i + 1)
        request = ClipRequest(
            segment=i + 1,
            prompt=seg.video_prompt,
            camera=seg.camera,
            first_frame=first,
            last_frame=last,
            duration=seg.duration,
            resolution=self.options.resolution,
        )
        video = self.providers.video
        inputs = video_hash(
            prompt=seg.video_prompt,
            camera=seg.camera,
            duration=seg.duration,
            resolution=self.options.resolution,
            provider=video.name,
            model=video.describe(),
            first_frame_sha=await afile_sha256(first),
            last_frame_sha=await afile_sha256(last),
        )
        clip_out = self.layout.clip(i)
        progress = self._progress("video", i)

        async def fetch(job_id: str) -> Path:
            clip = await video.fetch(job_id, request, clip_out, progress)
            await self._check_clip(clip, request)
            return clip

        async def submit(before_send: BeforeSend) -> str:
            if not video.paid:  # a local renderer's work is in fetch, under the CPU limit
                return await video.submit(request, before_send=before_send)
            async with self._creates:
                return await video.submit(request, before_send=before_send)

        clip = await self._run(
            "video",
            i,
            lambda: self.ledger.produce_task(
                f"video:{i}",
                inputs,
                submit,
                fetch,
                provider=video.name,
                paid=video.paid,
            ),
        )
        outcome.clip = clip
        out = self.layout.segment(i)
        mux_inputs = mux_hash(
            video_sha=await afile_sha256(clip),
            speech_sha=await afile_sha256(outcome.narration),
            spec=self.spec,
        )

        async def mux() -> Path:
            # The clip is copied when it already matches the output spec (offline clips and
            # Hailuo-02's do, see ``output_spec``); otherwise re-encoded with the same
            # settings, so the final join can still copy.
            await mux_segment(
                clip, outcome.narration, out, self.spec, on_progress=self._progress("mux", i)
            )
            return out

        outcome.segment = await self._artefact("mux", i, mux_inputs, mux, paid=False)
        outcome.info = await asyncio.to_thread(probe, outcome.segment)

    async def _check_clip(self, clip: Path, request: ClipRequest) -> None:
        """A clip that is not what was asked for is reported with its segment, not assembled."""
        try:
            info = await asyncio.to_thread(probe, clip)
        except MediaError as error:
            raise MediaError(
                f"segment {request.segment}: the clip is unreadable: {error}"
            ) from error
        if info.video is None:
            raise MediaError(f"segment {request.segment}: the clip {clip} has no video stream")
        if abs(info.duration - request.duration) > CLIP_DURATION_TOLERANCE:
            raise MediaError(
                f"segment {request.segment}: the clip lasts {info.duration:.2f} s, "
                f"{request.duration} s were asked for ({clip})"
            )

    async def _assemble(
        self, plan: Plan, outcomes: list[SegmentOutcome], frame_paths: Sequence[Path]
    ) -> RenderResult:
        parts = [o.segment for o in outcomes if o.segment is not None]
        starts: list[float] = []
        speech_starts: list[float] = []
        t = 0.0
        for o in outcomes:
            length = o.info.duration if o.info else 0.0
            starts.append(t)
            speech_starts.append(t + plan_timing(length, o.speech_seconds).speech_start)
            t += length
        srt_path: Path | None = None
        if self.options.subtitles != "none":
            cues = narration_cues(
                [s.narration for s in plan.segments],
                speech_starts,
                [o.speech_seconds for o in outcomes],
            )
            srt_path = write_srt(cues, self.layout.subtitles)
        speech = [
            (start, start + o.speech_seconds)
            for start, o in zip(speech_starts, outcomes, strict=True)
        ]
        music = await self._music_bed(plan)
        burn, style = self.options.subtitles == "burn", self.options.subtitle_style
        inputs = assemble_hash(
            segment_shas=[await afile_sha256(p) for p in parts],
            spec=self.spec,
            subtitles=self.options.subtitles,
            music=await music_fields(music) if music is not None else None,
            subtitle_style=style if burn and style != DEFAULT_CAPTION_STYLE else None,
        )

        async def concat() -> Path:
            await concat_segments(
                parts,
                self.layout.video,
                self.spec,
                subtitles=srt_path,
                burn_subtitles=burn,
                subtitle_style=style,
                speech=speech,
                music=music,
                on_progress=self._progress("assemble", None),
            )
            return self.layout.video

        video = await self._artefact("assemble", None, inputs, concat, paid=False)
        info = await asyncio.to_thread(probe, video)
        silence = await measure_silence(video, info.duration)
        storyboard = await self._storyboard(plan, frame_paths)
        result = RenderResult(
            video=video,
            subtitles=srt_path,
            storyboard=storyboard,
            manifest=self.layout.manifest,
            duration=info.duration,
            segments=len(parts),
            reused=self._reused,
            # What was changed in the plan and why: said, not done silently.
            warnings=[*plan.changes, *self.changes],
            silence=silence,
        )
        for o in outcomes:
            o.video_mux = await self._video_mux(o)
        await asyncio.to_thread(self._write_manifest, plan, outcomes, starts, result, music)
        self.emit(
            JobFinished(
                video=str(video),
                duration=info.duration,
                segments=len(parts),
                warnings=list(result.warnings),
            )
        )
        return result

    async def _video_mux(self, outcome: SegmentOutcome) -> str | None:
        """How the segment took its clip's video, decided again from the files (the same rule
        as the mux, so it holds for a segment reused from an earlier run too)."""
        if outcome.clip is None or not await asyncio.to_thread(outcome.clip.is_file):
            return None
        plan = await plan_mux(outcome.clip, outcome.narration, self.spec)
        return "copied" if plan.copy_video else "re-encoded"

    async def preview(self, plan: Plan) -> Path:
        """Keyframes and ``storyboard.png`` only: a look at the plan before paying for clips."""
        self.layout.prepare(len(plan.segments))
        try:
            frames = [await self._frame(plan, k) for k in range(len(plan.segments) + 1)]
        finally:
            await self.drop_frames()
        return await self._storyboard(plan, frames)

    async def _storyboard(self, plan: Plan, frames: Sequence[Path]) -> Path:
        return await asyncio.to_thread(
            render_storyboard,
            [(frames[i], frames[i + 1]) for i in range(len(plan.segments))],
            [s.narration for s in plan.segments],
            self.layout.storyboard,
            plan.title,
            durations=[float(s.duration) for s in plan.segments],
            cameras=[s.camera for s in plan.segments],
        )

    def _write_manifest(
        self,
        plan: Plan,
        outcomes: list[SegmentOutcome],
        starts: list[float],
        result: RenderResult,
        music: Music | None,
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
            "silence": dataclasses.asdict(result.silence) if result.silence else None,
            "language": plan.language,
            "voice": self.providers.speech.voice_for(plan.language),
            "music": _music_entry(music, root),
            "providers": {
                "planner": self.providers.planner.describe(),
                "images": self.providers.images.describe(),
                "video": self.providers.video.describe(),
                "speech": self.providers.speech.describe(),
            },
            "segments": [
                {
                    "index": i + 1,
                    "start": round(starts[i], 3),
                    "duration": round(o.info.duration, 3) if o.info else None,
                    "clip_duration": seg.duration,
                    "speech_seconds": round(o.speech_seconds, 3),
                    "camera": seg.camera,
                    "narration_text": seg.narration,
                    "narration": rel(o.narration),
                    "clip": rel(o.clip),
                    "video_mux": o.video_mux,
                    "segment": rel(o.segment),
                    "first_frame": rel(self.layout.frame(i)),
                    "last_frame": rel(self.layout.frame(i + 1)),
                }
                for i, (seg, o) in enumerate(zip(plan.segments, outcomes, strict=True))
            ],
        }
        write_bytes_atomic_sync(
            self.layout.manifest, (json.dumps(manifest, indent=2) + "\n").encode()
        )

    # -- plumbing --------------------------------------------------------------------------------

    def _progress(self, stage: Stage, segment: int | None) -> Callable[..., None]:
        def report(fraction: float, status: str = "") -> None:
            self.emit(StepProgress(stage=stage, segment=segment, fraction=fraction, status=status))

        return report

    async def _artefact(
        self,
        stage: Stage,
        index: int | None,
        inputs: str,
        make: Callable[[], Awaitable[Path]],
        *,
        paid: bool,
    ) -> Path:
        key = stage if index is None else f"{stage}:{index}"
        # Which provider made it, for the store's record; local assembly steps are ffmpeg's.
        if stage == "frame":
            name = self.providers.images.name
        elif stage == "speech":
            name = self.providers.speech.name
        elif stage == "music":
            name = "minimax"
        else:
            name = "ffmpeg"
        return await self._run(
            stage, index, lambda: self.ledger.produce(key, inputs, make, provider=name, paid=paid)
        )

    async def _run(
        self, stage: Stage, index: int | None, work: Callable[[], Awaitable[tuple[T, bool]]]
    ) -> T:
        """One unit of work under its stage's limit, reporting start, end (reused or made) and
        failure. ``work`` answers ``(value, reused)``, as the ledger does."""
        async with self._limits[stage]:
            self.emit(StepStarted(stage=stage, segment=index))
            try:
                result, reused = await work()
            except StoryreelError as error:
                self.emit(StepFailed(stage=stage, segment=index, error=str(error)))
                raise
            except Exception as error:
                # Name the place: providers know the prompt, not where it sits in the story.
                where = (
                    ""
                    if index is None
                    else f"frame {index} "
                    if stage == "frame"
                    else f"segment {index + 1} "
                )
                self.emit(StepFailed(stage=stage, segment=index, error=f"{where}{stage}: {error}"))
                raise
        self._reused += int(reused)
        self.emit(StepFinished(stage=stage, segment=index, reused=reused))
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


__all__ = ["Pipeline", "ProviderError", "ProviderSet", "RenderOptions", "RenderResult"]
