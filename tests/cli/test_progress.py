"""The stage bars end at their totals, however often a unit is reported finished."""

from __future__ import annotations

import io

from rich.console import Console

from storyreel.cli.progress import StageBars
from storyreel.pipeline.events import (
    Event,
    PlanReady,
    StepFinished,
    StepProgress,
    StepStarted,
)


def keyframes_bar(events: list[Event]) -> tuple[float, float | None]:
    bars = StageBars(Console(file=io.StringIO()))
    for event in events:
        bars(event)
    task = bars.progress.tasks[bars.tasks["frame"]]
    return task.completed, task.total


def frame(k: int, *, reused: bool = False) -> list[Event]:
    return [StepStarted("frame", k), StepFinished("frame", k, reused=reused)]


def test_in_process_keyframes_end_at_their_total() -> None:
    events: list[Event] = [PlanReady(title="t", segments=3, frames=4)]
    for k in range(4):  # one process draws each of the N+1 frames once
        events += frame(k)
    assert keyframes_bar(events) == (4, 4)


def test_remote_keyframes_count_a_shared_frame_once() -> None:
    # Each worker reports both frames of its segment; the neighbour's copy is reused.
    events: list[Event] = [PlanReady(title="t", segments=3, frames=4)]
    for i in range(3):
        events += frame(i, reused=i > 0) + frame(i + 1)
    assert keyframes_bar(events) == (4, 4)


def test_a_finished_frame_started_again_does_not_run_past_the_end() -> None:
    events: list[Event] = [PlanReady(title="t", segments=1, frames=2), *frame(0), *frame(1)]
    events += [StepStarted("frame", 1), StepProgress("frame", 1, 0.5)]  # a replay, mid-way
    assert keyframes_bar(events) == (2, 2)


def bars_after(events: list[Event]) -> StageBars:
    bars = StageBars(Console(file=io.StringIO()))
    for event in events:
        bars(event)
    return bars


def test_planning_ends_full_with_its_clock_stopped() -> None:
    bars = bars_after([StepStarted("plan"), StepFinished("plan")])
    task = bars.progress.tasks[bars.tasks["plan"]]
    assert (task.completed, task.total) == (1, 1)
    assert task.finished


def test_a_stage_clock_starts_with_its_first_step() -> None:
    bars = bars_after([PlanReady(title="t", segments=2, frames=3), StepStarted("speech", 0)])
    tasks = bars.progress.tasks
    assert tasks[bars.tasks["speech"]].started
    assert not tasks[bars.tasks["video"]].started  # no clip begun: no clock yet


def test_a_reused_step_names_its_segment() -> None:
    bars = bars_after([PlanReady(title="t", segments=2, frames=3), *frame(1, reused=True)])
    assert bars.progress.tasks[bars.tasks["frame"]].fields["status"] == "#2 reused"
