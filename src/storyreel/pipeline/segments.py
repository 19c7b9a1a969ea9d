"""The work of one segment, up to its muxed ``segment.mp4``: the narration (spoken, then paced
to fill its clip), the clip between its two keyframes, and the mux of the two.

Narration comes first: its spoken length decides the clip's duration (6 or 10 s), so the video
never runs out before the narrator does.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from storyreel.assembly.pacing import Fit, fit, paced, paced_on_disk, speech_edges
from storyreel.assembly.probe import probe
from storyreel.assembly.segment import mux_segment
from storyreel.errors import MediaError
from storyreel.pipeline.hashing import afile_sha256, mux_hash, speech_hash, video_hash
from storyreel.pipeline.keyframes import Keyframes
from storyreel.pipeline.render_types import SegmentOutcome
from storyreel.pipeline.steps import FFMPEG, RenderContext
from storyreel.plan import Plan
from storyreel.providers.base import DOWNLOADING, ClipRequest
from storyreel.providers.hooks import BeforeSend

# A clip may come back a little short or long (the provider's frame rounding); beyond this it is
# not the clip we asked for and is reported instead of being assembled.
CLIP_DURATION_TOLERANCE = 0.6
# Hailuo renders 1080P at 6 s only; longer narration then holds the clip's last frame.
SIX_SECONDS_ONLY = {"1080P"}


def six_seconds_only(resolution: str) -> bool:
    return resolution.upper() in SIX_SECONDS_ONLY


class SegmentWork:
    """Makes segments of one job; different segments may run at once, in different processes
    on one store (the ledger claims each step, shared keyframes are made once)."""

    def __init__(self, job: RenderContext, frames: Keyframes) -> None:
        self.steps, self.providers, self.options = job.steps, job.providers, job.options
        self.layout, self.spec = job.layout, job.spec
        self.frames = frames
        # Paid video creates (frame preparation, the RPM wait, the request) at once; the wait
        # for the clip that follows holds no slot of it.
        self._creates = asyncio.Semaphore(self.options.concurrency)

    def start_frames(self, plan: Plan, i: int) -> None:
        """Start drawing segment ``i``'s two keyframes (each once per process; the clip awaits
        them)."""
        self.frames.frame(plan, i)
        self.frames.frame(plan, i + 1)

    def fit(self, speech_seconds: float) -> Fit:
        """Narration first: the spoken length decides the clip (1080P renders 6 s only) and
        the tempo that fills it (see :mod:`storyreel.assembly.pacing`)."""
        return fit(speech_seconds, six_only=six_seconds_only(self.options.resolution))

    async def narrate(self, plan: Plan, i: int) -> SegmentOutcome:
        """Speak segment ``i``'s narration and pace it to the clip its length picks."""
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
        path = await self.steps.artefact(
            "speech",
            i,
            inputs,
            lambda: speech.speak(text, out=out, language=plan.language),
            provider=speech.name,
            paid=speech.paid,
        )
        seconds = (await asyncio.to_thread(probe, path)).duration
        if seconds <= 0:
            raise MediaError(f"segment {i + 1}: the narration {path} has no audio")
        # Measured, whatever the voice: its own silence at each end is cut, then the tempo
        # fills the clip (a little slower into the gap, or a little faster into a 6 s clip).
        edges = await speech_edges(path, seconds)
        fitted = self.fit(edges.seconds)
        narration = await paced(path, fitted.tempo, edges)
        if narration != path:
            seconds = (await asyncio.to_thread(probe, narration)).duration
        return SegmentOutcome(
            narration=narration, speech_seconds=seconds, spoken_seconds=edges.seconds
        )

    async def clip_and_mux(self, plan: Plan, i: int, outcome: SegmentOutcome) -> None:
        """The clip of segment ``i`` (its duration already fitted to the narration), then the
        segment: clip and narration muxed. Fills in ``outcome``."""
        outcome.clip = await self._clip(plan, i)
        outcome.segment = await self._mux(i, outcome.clip, outcome.narration)
        outcome.info = await asyncio.to_thread(probe, outcome.segment)

    async def on_disk(self, plan: Plan, i: int) -> SegmentOutcome:
        """Segment ``i`` as another process made it, read back from the output folder (its
        pacing and clip duration decided again by the same rule)."""
        segment = self.layout.segment(i)
        narrations = sorted(self.layout.segment_dir(i).glob("narration.*"))
        if not narrations or not segment.is_file():
            raise MediaError(f"segment {i + 1} is not made yet ({segment})")
        narration = paced_on_disk(narrations[0])
        seconds = (await asyncio.to_thread(probe, narration)).duration
        # The paced narration fits its clip at tempo 1: the same clip is chosen from it.
        plan.segments[i].duration = self.fit(seconds).clip
        return SegmentOutcome(
            narration=narration,
            speech_seconds=seconds,
            clip=self.layout.clip(i),
            segment=segment,
            info=await asyncio.to_thread(probe, segment),
        )

    async def _clip(self, plan: Plan, i: int) -> Path:
        seg = plan.segments[i]
        first, last = await self.frames.frame(plan, i), await self.frames.frame(plan, i + 1)
        request = ClipRequest(
            segment=i + 1,
            prompt=seg.video_prompt,
            camera=seg.camera,
            first_frame=first,
            last_frame=last,
            duration=seg.duration,
            resolution=self.options.resolution,
            aspect=self.options.aspect,
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
            take=plan.take(f"video:{i}"),
        )
        clip_out = self.layout.clip(i)
        progress = self.steps.progress("video", i)
        # The parts of a remote clip's step, for the job's timeline (a local render has none).
        phase = self.steps.phase("video", i)
        downloading = False

        def report(fraction: float, status: str = "") -> None:
            nonlocal downloading
            if status == DOWNLOADING and not downloading:
                downloading = True
                phase("download")
            progress(fraction, status)

        async def fetch(job_id: str) -> Path:
            if not video.paid:
                clip = await video.fetch(job_id, request, clip_out, progress)
            else:
                phase("wait")
                clip = await video.fetch(job_id, request, clip_out, report)
            await _check_clip(clip, request)
            return clip

        async def submit(before_send: BeforeSend) -> str:
            if not video.paid:  # a local renderer's work is in fetch, under the CPU limit
                return await video.submit(request, before_send=before_send)

            async def sending() -> None:
                phase("create")
                await before_send()

            if self._creates.locked():
                phase("queued")
            async with self._creates:
                phase("create")  # the frames' preparation, until the rate-limit wait
                return await video.submit(
                    request, before_send=sending, before_wait=lambda: phase("rpm")
                )

        return await self.steps.run(
            "video",
            i,
            lambda: self.steps.ledger.produce_task(
                f"video:{i}",
                inputs,
                submit,
                fetch,
                provider=video.name,
                paid=video.paid,
            ),
        )

    async def _mux(self, i: int, clip: Path, narration: Path) -> Path:
        out = self.layout.segment(i)
        inputs = mux_hash(
            video_sha=await afile_sha256(clip),
            speech_sha=await afile_sha256(narration),
            spec=self.spec,
        )

        async def mux() -> Path:
            # The clip is copied when it already matches the output spec (offline clips and
            # Hailuo-02's do, see ``output_spec``); otherwise re-encoded with the same
            # settings, so the final join can still copy.
            await mux_segment(
                clip, narration, out, self.spec, on_progress=self.steps.progress("mux", i)
            )
            return out

        return await self.steps.artefact("mux", i, inputs, mux, provider=FFMPEG, paid=False)


async def _check_clip(clip: Path, request: ClipRequest) -> None:
    """A clip that is not what was asked for is reported with its segment, not assembled."""
    try:
        info = await asyncio.to_thread(probe, clip)
    except MediaError as error:
        raise MediaError(f"segment {request.segment}: the clip is unreadable: {error}") from error
    if info.video is None:
        raise MediaError(f"segment {request.segment}: the clip {clip} has no video stream")
    if abs(info.duration - request.duration) > CLIP_DURATION_TOLERANCE:
        raise MediaError(
            f"segment {request.segment}: the clip lasts {info.duration:.2f} s, "
            f"{request.duration} s were asked for ({clip})"
        )
