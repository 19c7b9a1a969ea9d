"""How every unit of a job's work runs: under its stage's limit, through the ledger (made once,
reused after), reporting start, progress, end and failure as events.

The pipeline's parts (narration, keyframes, clips, music, assembly) hand their work to one
:class:`Steps`, so the limits and the reuse count are shared by the whole job.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from storyreel.errors import StoryreelError
from storyreel.pipeline.events import (
    EventSink,
    Phase,
    Stage,
    StepFailed,
    StepFinished,
    StepPhase,
    StepProgress,
    StepStarted,
)
from storyreel.pipeline.ledger import Ledger

if TYPE_CHECKING:
    from storyreel.assembly.spec import OutputSpec
    from storyreel.pipeline.layout import OutputLayout
    from storyreel.pipeline.render_types import ProviderSet, RenderOptions

T = TypeVar("T")

# Remote clips being waited for or downloaded at once: generous (a wait holds only a poll loop
# and, while downloading, one connection), yet bounded.
VIDEO_IN_FLIGHT = 64
# The store's record of who made a local assembly step (a mux, the final join).
FFMPEG = "ffmpeg"


def stage_limits(*, concurrency: int, remote_video: bool) -> dict[Stage, asyncio.Semaphore]:
    # Local work (offline clips, muxing) competes for the same CPU cores; remote providers are
    # bounded by the user's concurrency (and by the client's own RPM limits underneath).
    cpu = asyncio.Semaphore(2)
    return {
        "plan": asyncio.Semaphore(1),
        "speech": asyncio.Semaphore(concurrency),
        "cast": asyncio.Semaphore(concurrency),
        "frame": asyncio.Semaphore(concurrency),
        # A remote clip is made on the provider's machines: waiting for it costs nothing here,
        # so only its create is bounded by the concurrency (see ``SegmentWork``'s creates).
        "video": asyncio.Semaphore(VIDEO_IN_FLIGHT) if remote_video else cpu,
        "mux": cpu,
        "music": asyncio.Semaphore(1),
        "assemble": asyncio.Semaphore(1),
    }


class Steps:
    """The work of one job in one process: its stage limits, its events, its ledger."""

    def __init__(
        self, emit: EventSink, ledger: Ledger, *, concurrency: int, remote_video: bool
    ) -> None:
        self.emit = emit
        self.ledger = ledger
        self._limits = stage_limits(concurrency=concurrency, remote_video=remote_video)
        # Steps answered from the store instead of made, for the result.
        self.reused = 0

    def progress(self, stage: Stage, segment: int | None) -> Callable[..., None]:
        # Loosely typed on purpose: providers report (fraction, status), FFmpeg (fraction).
        def report(fraction: float, status: str = "") -> None:
            self.emit(StepProgress(stage=stage, segment=segment, fraction=fraction, status=status))

        return report

    def phase(self, stage: Stage, segment: int | None) -> Callable[[Phase], None]:
        """Marks the parts of one running step (a remote clip's create, wait, download)."""

        def mark(phase: Phase) -> None:
            self.emit(StepPhase(stage=stage, segment=segment, phase=phase))

        return mark

    async def artefact(
        self,
        stage: Stage,
        index: int | None,
        inputs: str,
        make: Callable[[], Awaitable[Path]],
        *,
        provider: str,
        paid: bool,
    ) -> Path:
        """One file, made by ``make`` unless the ledger has it for these ``inputs`` already.
        ``provider`` names its maker in the store's record."""
        key = stage if index is None else f"{stage}:{index}"
        return await self.run(
            stage,
            index,
            lambda: self.ledger.produce(key, inputs, make, provider=provider, paid=paid),
        )

    async def run(
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
                    else f"character {index + 1} "
                    if stage == "cast"
                    else f"segment {index + 1} "
                )
                self.emit(StepFailed(stage=stage, segment=index, error=f"{where}{stage}: {error}"))
                raise
        self.reused += int(reused)
        self.emit(StepFinished(stage=stage, segment=index, reused=reused))
        return result


async def gather(coros: list[Awaitable[T]]) -> list[T]:
    """Run together; on the first failure cancel the rest so nothing keeps spending."""
    tasks = [asyncio.ensure_future(c) for c in coros]
    try:
        return list(await asyncio.gather(*tasks))
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


@dataclass(frozen=True)
class RenderContext:
    """What every part of one render shares (segments, final assembly): its steps, providers,
    options, output folder and output format."""

    steps: Steps
    providers: ProviderSet
    options: RenderOptions
    layout: OutputLayout
    spec: OutputSpec
