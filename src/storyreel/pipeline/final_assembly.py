"""The last step of a render: the segments joined into ``final_video.mp4`` (subtitles timed from
the narration, burnt in or beside it, the music bed ducked under the voice), the storyboard, the
silence measured, and ``manifest.json`` written."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Sequence
from pathlib import Path

from storyreel.assembly.concat import concat_segments
from storyreel.assembly.pacing import measure_silence
from storyreel.assembly.probe import probe
from storyreel.assembly.segment import plan_mux
from storyreel.assembly.storyboard import render_storyboard
from storyreel.assembly.subtitles import DEFAULT_CAPTION_STYLE, narration_cues, write_srt
from storyreel.assembly.timing import plan_timing
from storyreel.pipeline.events import JobFinished
from storyreel.pipeline.hashing import afile_sha256, assemble_hash
from storyreel.pipeline.layout import OutputLayout
from storyreel.pipeline.manifest import write_manifest
from storyreel.pipeline.music_bed import MusicBed, music_fields
from storyreel.pipeline.render_types import (
    RenderResult,
    SegmentOutcome,
)
from storyreel.pipeline.steps import FFMPEG, RenderContext
from storyreel.plan import Plan


def cast_pictures(plan: Plan, layout: OutputLayout) -> list[tuple[str, Path | None]]:
    """Each character's name and reference picture on disk (the upload, else the drawn
    portrait; None when there is neither, e.g. a model that takes no pictures)."""
    out: list[tuple[str, Path | None]] = []
    for n, character in enumerate(plan.cast):
        path = layout.root / character.picture if character.picture else layout.portrait(n)
        out.append((character.name, path if path.is_file() else None))
    return out


async def draw_storyboard(plan: Plan, frames: Sequence[Path], out: Path) -> Path:
    """``storyboard.png``: the cast, then each segment's two keyframes with its narration."""
    cast = await asyncio.to_thread(cast_pictures, plan, OutputLayout(out.parent))
    return await asyncio.to_thread(
        render_storyboard,
        [(frames[i], frames[i + 1]) for i in range(len(plan.segments))],
        [s.narration for s in plan.segments],
        out,
        plan.title,
        durations=[float(s.duration) for s in plan.segments],
        cameras=[s.camera for s in plan.segments],
        cast=cast,
    )


class FinalAssembly:
    """Joins one job's segments and writes what describes the result."""

    def __init__(self, job: RenderContext, music: MusicBed) -> None:
        self.steps, self.providers, self.options = job.steps, job.providers, job.options
        self.layout, self.spec = job.layout, job.spec
        self.music = music

    async def assemble(
        self,
        plan: Plan,
        outcomes: list[SegmentOutcome],
        frames: Sequence[Path],
        changes: Sequence[str],
        *,
        storyboard: Awaitable[Path] | None = None,
    ) -> RenderResult:
        """The final video from the segments' ``outcomes``; ``changes`` are what rendering
        changed in the plan, reported with the plan's own as warnings. ``storyboard``: the
        board being drawn already (else it is drawn here, beside the measuring)."""
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
        music = await self.music.start(plan)
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
                on_progress=self.steps.progress("assemble", None),
            )
            return self.layout.video

        video = await self.steps.artefact(
            "assemble", None, inputs, concat, provider=FFMPEG, paid=False
        )
        info = await asyncio.to_thread(probe, video)
        # Independent of each other: measured together, not one after another.
        silence, board, mux_kinds = await asyncio.gather(
            measure_silence(video, info.duration),
            storyboard or draw_storyboard(plan, frames, self.layout.storyboard),
            asyncio.gather(*(self._video_mux(o) for o in outcomes)),
        )
        result = RenderResult(
            video=video,
            subtitles=srt_path,
            storyboard=board,
            manifest=self.layout.manifest,
            duration=info.duration,
            segments=len(parts),
            reused=self.steps.reused,
            # What was changed in the plan and why: said, not done silently.
            warnings=[*plan.changes, *changes],
            silence=silence,
        )
        for o, kind in zip(outcomes, mux_kinds, strict=True):
            o.video_mux = kind
        await asyncio.to_thread(
            write_manifest,
            self.layout,
            plan=plan,
            outcomes=outcomes,
            starts=starts,
            result=result,
            music=music,
            resolution=self.options.resolution,
            providers=self.providers,
            aspect=self.options.aspect,
        )
        self.steps.emit(
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
