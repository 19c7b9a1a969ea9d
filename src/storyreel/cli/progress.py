"""Progress bars for long work: one bar per stage, fed by pipeline events."""

from __future__ import annotations

from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from storyreel.pipeline.events import (
    Event,
    PlanReady,
    Stage,
    StepFailed,
    StepFinished,
    StepProgress,
    StepStarted,
)

LABELS: dict[Stage, str] = {
    "plan": "Planning",
    "speech": "Narration",
    "cast": "Cast",
    "frame": "Keyframes",
    "video": "Clips",
    "mux": "Segments",
    "music": "Music",
    "assemble": "Final video",
}


class StageBars:
    """Turns events into rich progress bars; use as a context manager and as the event sink."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.progress = Progress(
            SpinnerColumn(),
            TextColumn("[bold]{task.description:<12}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[status]}", style="dim"),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        )
        self.tasks: dict[Stage, TaskID] = {}
        # Partial progress of each running unit, so a bar moves while a clip renders.
        self.partial: dict[Stage, dict[int | None, float]] = {}
        # Finished units by index, not a count: a unit reported finished again counts once.
        # Workers report each keyframe their segment uses, so a frame two segments share (the
        # last of one, the first of the next) arrives twice, and a followed job replays the
        # events of its earlier runs.
        self.done: dict[Stage, set[int | None]] = {}

    def __enter__(self) -> StageBars:
        self.progress.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.progress.stop()

    def _ensure(self, stage: Stage, total: int | None) -> TaskID:
        if stage not in self.tasks:
            # Not started: a stage's clock runs from its first step, not from the plan.
            self.tasks[stage] = self.progress.add_task(
                LABELS[stage], total=total, status="", start=False
            )
            self.partial[stage] = {}
            self.done[stage] = set()
        return self.tasks[stage]

    def _start(self, stage: Stage) -> None:
        task = self.tasks[stage]
        if not self.progress.tasks[task].started:
            self.progress.start_task(task)

    def _refresh(self, stage: Stage, status: str | None = None) -> None:
        done = self.done[stage]
        running = (part for unit, part in self.partial[stage].items() if unit not in done)
        completed = len(done) + sum(running)
        if status is None:
            self.progress.update(self.tasks[stage], completed=completed)
        else:
            self.progress.update(self.tasks[stage], completed=completed, status=status)

    @staticmethod
    def _finished_status(event: StepFinished) -> str:
        if not event.reused:
            return ""
        return "reused" if event.segment is None else f"#{event.segment + 1} reused"

    def __call__(self, event: Event) -> None:
        if isinstance(event, PlanReady):
            n = event.segments
            for stage, total in (("speech", n), ("frame", event.frames), ("video", n), ("mux", n)):
                self._ensure(stage, total)  # type: ignore[arg-type]
            if event.cast:
                self._ensure("cast", event.cast)
            self._ensure("assemble", 1)
        elif isinstance(event, StepStarted):
            self._ensure(event.stage, None)
            self._start(event.stage)
            self.partial[event.stage][event.segment] = 0.0
            self._refresh(event.stage)
        elif isinstance(event, StepProgress):
            self._ensure(event.stage, None)
            self._start(event.stage)
            self.partial[event.stage][event.segment] = min(event.fraction, 0.99)
            status = (
                f"#{event.segment + 1} {event.status}"
                if event.status and event.segment is not None
                else None
            )
            self._refresh(event.stage, status)
        elif isinstance(event, StepFinished):
            task = self._ensure(event.stage, None)
            self._start(event.stage)
            self.partial[event.stage].pop(event.segment, None)
            self.done[event.stage].add(event.segment)
            if self.progress.tasks[task].total is None and not self.partial[event.stage]:
                # A stage of unknown size (planning) ends when nothing of it is left running,
                # so its bar fills and its clock stops instead of showing "1/?" forever.
                self.progress.update(task, total=len(self.done[event.stage]))
            self._refresh(event.stage, self._finished_status(event))
        elif isinstance(event, StepFailed):
            self._ensure(event.stage, None)
            self.partial[event.stage].pop(event.segment, None)
            self._refresh(event.stage, "[red]failed[/red]")
