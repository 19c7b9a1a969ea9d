"""Where a job's time went: its steps as bars on a time axis, from the store's events.

Each step is a bar from its ``StepStarted`` to its ``StepFinished`` (or ``StepFailed``); a
remote clip's step is cut into its parts by its ``StepPhase`` events (queued for a create slot,
the rate-limit wait, the create, the provider's rendering, the download). Only the job's last
run is drawn (from its last ``JobStarted``): a resumed job shows the run that finished it.

Rows: the job's own steps (plan, music, assembly) first, then one row per segment with three
lanes, because a segment's narration and keyframes are made at the same time and its clip and
mux after both. Keyframe k opens clip k (and closes clip k-1): it is drawn on segment k's row,
the very last keyframe on the last segment's.

:func:`layout` is pure (events in, bars out), so what a picture shows is testable without
pixels; :mod:`storyreel.pipeline.timeline_image` draws it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal, get_args

from storyreel.pipeline.events import PHASES
from storyreel.pipeline.store import Event

Part = Literal[
    "plan",
    "speech",
    "cast",
    "frame",
    "queued",
    "rpm",
    "create",
    "wait",
    "download",
    "video",
    "mux",
    "music",
    "assemble",
]
# Drawing (and legend) order: as listed above.
PARTS: tuple[Part, ...] = get_args(Part)
JOB_ROW = 0
# Lanes of a segment's row, and of the job's row.
SPEECH_LANE, FRAME_LANE, CLIP_LANE = 0, 1, 2
LANES = 3
# The cast's portraits belong to no segment: they sit on the job's row, under the music.
JOB_LANES: dict[str, int] = {"plan": 0, "assemble": 0, "music": 1, "cast": 2}
SEGMENT_LANES: dict[str, int] = {"speech": SPEECH_LANE, "frame": FRAME_LANE}
STEP_EVENTS = frozenset({"StepStarted", "StepPhase", "StepFinished", "StepFailed"})


@dataclass(frozen=True)
class Bar:
    """One part of one step: ``start`` and ``end`` in seconds from the run's start."""

    row: int  # JOB_ROW, or 1 + the segment's index
    lane: int
    part: Part
    stage: str
    index: int | None  # the step's number: the segment's, or the keyframe's for frames
    start: float
    end: float
    reused: bool = False  # answered from the store, not made again
    state: Literal["done", "failed", "running"] = "done"

    @property
    def seconds(self) -> float:
        return self.end - self.start


@dataclass(frozen=True)
class Timeline:
    rows: list[str]  # the label of each row
    bars: list[Bar]
    span: float  # seconds from the run's start to its last event
    started_at: float  # the run's start, Unix seconds
    segments: int
    finished: bool  # the run ended (succeeded or failed), so no bar is still growing

    def parts(self) -> list[Part]:
        """The parts that occur, in legend order."""
        present = {bar.part for bar in self.bars}
        return [part for part in PARTS if part in present]

    def of(self, stage: str, index: int | None) -> list[Bar]:
        """The bars of one step, in time order."""
        return [bar for bar in self.bars if bar.stage == stage and bar.index == index]


@dataclass
class _Open:
    start: float
    part: Part
    since: float
    phased: bool = False
    pieces: list[tuple[Part, float, float]] = field(default_factory=list)

    def close(self, at: float) -> None:
        if self.pieces and self.pieces[-1][0] == self.part:  # the same part again: one piece
            part, start, _ = self.pieces.pop()
            self.pieces.append((part, start, at))
        else:
            self.pieces.append((self.part, self.since, at))


def last_run(events: Sequence[Event]) -> list[Event]:
    """The events of the job's last run: from its last ``JobStarted`` (all when none)."""
    starts = [n for n, event in enumerate(events) if event.type == "JobStarted"]
    return list(events[starts[-1] :] if starts else events)


def layout(events: Sequence[Event]) -> Timeline:
    """The bars of the job's last run. Events must be in the store's order (by ``seq``)."""
    run = last_run(events)
    if not run:
        return Timeline(["job"], [], 0.0, 0.0, 0, finished=False)
    t0, t_end = run[0].at, run[-1].at
    segments = 0
    finished = False
    open_steps: dict[tuple[str, int | None], _Open] = {}
    made: list[tuple[str, int | None, _Open, bool, str]] = []
    for event in run:
        data = event.payload
        if event.type == "PlanReady":
            segments = int(data.get("segments") or 0)
        elif event.type in ("JobSucceeded", "JobFailed"):
            finished = True
        if event.type not in STEP_EVENTS:
            continue
        stage, index = str(data.get("stage")), data.get("segment")
        key = (stage, index if isinstance(index, int) else None)
        if event.type == "StepStarted":
            open_steps[key] = _Open(start=event.at, part=_part(stage), since=event.at)
            continue
        step = open_steps.get(key)
        if step is None:  # its start is in an earlier run
            continue
        if event.type == "StepPhase":
            phase = str(data.get("phase"))
            if phase not in PHASES:
                continue
            if step.phased:
                step.close(event.at)
                step.since = event.at
            # The first part starts with the step (the store's look-up before it is nothing).
            step.part, step.phased = phase, True
            continue
        step.close(event.at)
        del open_steps[key]
        state = "failed" if event.type == "StepFailed" else "done"
        made.append((key[0], key[1], step, bool(data.get("reused")), state))
    for (stage, index), step in open_steps.items():
        step.close(t_end)
        made.append((stage, index, step, False, "running"))
    # Segments named by the steps count too (a run that resumed after planning may not say).
    named = [i for stage, i, *_ in made if i is not None and stage not in ("frame", "cast")]
    segments = max([segments, *(i + 1 for i in named)])
    bars = [
        Bar(
            row=_row(stage, index, segments),
            lane=_lane(stage),
            part=part,
            stage=stage,
            index=index,
            start=start - t0,
            end=end - t0,
            reused=reused,
            state=state,  # type: ignore[arg-type]
        )
        for stage, index, step, reused, state in made
        for part, start, end in step.pieces
    ]
    rows = ["job", *(f"segment {i + 1}" for i in range(max(segments, _frame_rows(bars))))]
    bars.sort(key=lambda bar: (bar.row, bar.lane, bar.start))
    return Timeline(rows, bars, t_end - t0, t0, segments, finished)


def _part(stage: str) -> Part:
    return stage if stage in PARTS else "video"


def _row(stage: str, index: int | None, segments: int) -> int:
    if index is None or stage in JOB_LANES:
        return JOB_ROW
    if stage == "frame" and segments:
        return 1 + min(index, segments - 1)
    return 1 + index


def _lane(stage: str) -> int:
    if stage in JOB_LANES:
        return JOB_LANES[stage]
    return SEGMENT_LANES.get(stage, CLIP_LANE)


def _frame_rows(bars: list[Bar]) -> int:
    return max((bar.row for bar in bars), default=0)
