"""The job timeline: bars from the store's events (layout, no pixels), the PNG's size, and
``storyreel jobs JOB --timeline`` on a real job made against the fake services."""

from __future__ import annotations

import asyncio
import io
import itertools
from pathlib import Path
from typing import Any

from PIL import Image

from storyreel.pipeline.store import DB_NAME, Event, SQLiteJobStore
from storyreel.pipeline.timeline import JOB_ROW, Timeline, layout
from storyreel.pipeline.timeline_image import WIDTH, image_size, png
from tests.fakes.fixtures import FakeAPIs
from tests.pipeline._cli import CLI, STORY

T0 = 1_000_000.0


class Events:
    """A job's stored events, written in order with the times given (seconds after T0)."""

    def __init__(self) -> None:
        self.items: list[Event] = []

    def add(self, at: float, type: str, **payload: Any) -> None:
        self.items.append(Event("j", len(self.items) + 1, type, payload, T0 + at))

    def step(self, stage: str, index: int | None, start: float, end: float, **more: Any) -> None:
        self.add(start, "StepStarted", stage=stage, segment=index)
        self.add(end, "StepFinished", stage=stage, segment=index, **more)


def two_segments() -> Events:
    ev = Events()
    # An earlier run that failed: not drawn.
    ev.add(0, "JobStarted", job_id="j", providers={}, out_dir="x")
    ev.step("plan", None, 0.1, 0.5)
    ev.add(1, "JobFailed", error="boom")
    # The run that finished it, 100 s later.
    ev.add(100, "JobStarted", job_id="j", providers={}, out_dir="x")
    ev.add(100.1, "PlanReady", title="t", segments=2, frames=3)
    ev.step("plan", None, 100.1, 100.2, reused=True)
    for i in range(2):
        ev.step("speech", i, 100.2, 101.0 + i)
    for k in range(3):
        ev.step("frame", k, 100.2 + k, 101.2 + k)
    # Segment 1's clip: a create slot free, no RPM wait to speak of, 6 s render, 1 s download.
    ev.add(103.2, "StepStarted", stage="video", segment=0)
    ev.add(103.21, "StepPhase", stage="video", segment=0, phase="create")
    ev.add(103.5, "StepPhase", stage="video", segment=0, phase="rpm")
    ev.add(103.5, "StepPhase", stage="video", segment=0, phase="create")
    ev.add(103.8, "StepPhase", stage="video", segment=0, phase="wait")
    ev.add(109.8, "StepProgress", stage="video", segment=0, fraction=0.9, status="Downloading")
    ev.add(109.8, "StepPhase", stage="video", segment=0, phase="download")
    ev.add(110.8, "StepFinished", stage="video", segment=0)
    # Segment 2's: queued for a slot, then 40 s of rate-limit wait.
    ev.add(103.3, "StepStarted", stage="video", segment=1)
    ev.add(103.3, "StepPhase", stage="video", segment=1, phase="queued")
    ev.add(104.0, "StepPhase", stage="video", segment=1, phase="create")
    ev.add(104.2, "StepPhase", stage="video", segment=1, phase="rpm")
    ev.add(144.2, "StepPhase", stage="video", segment=1, phase="create")
    ev.add(144.5, "StepPhase", stage="video", segment=1, phase="wait")
    ev.add(150.5, "StepPhase", stage="video", segment=1, phase="download")
    ev.add(151.0, "StepFinished", stage="video", segment=1)
    ev.step("mux", 0, 111.0, 111.1)
    ev.step("mux", 1, 151.1, 151.2)
    ev.step("assemble", None, 151.3, 152.0)
    ev.add(152.1, "JobSucceeded", video="v", spent_usd="1")
    return ev


def parts(timeline: Timeline, stage: str, index: int | None) -> list[tuple[str, float, float]]:
    return [(bar.part, round(bar.start, 2), round(bar.end, 2)) for bar in timeline.of(stage, index)]


def test_the_last_run_is_drawn_with_a_row_per_segment() -> None:
    timeline = layout(two_segments().items)

    assert timeline.rows == ["job", "segment 1", "segment 2"]
    assert timeline.segments == 2 and timeline.finished
    assert round(timeline.span, 2) == 52.1  # from the last JobStarted to the job's end
    (plan,) = timeline.of("plan", None)  # the failed run's plan is not there
    assert plan.row == JOB_ROW and plan.reused
    assert parts(timeline, "assemble", None) == [("assemble", 51.3, 52.0)]
    assert {bar.row for bar in timeline.of("speech", 1)} == {2}
    # Keyframe k opens clip k; the last one closes the last clip, on its row.
    assert [timeline.of("frame", k)[0].row for k in range(3)] == [1, 2, 2]


def test_cast_portraits_sit_on_the_job_row() -> None:
    ev = two_segments()
    # Three portraits (cast members 0..2) before the keyframes: no segment row of their own.
    ev.items.insert(-1, Event("j", 900, "StepStarted", {"stage": "cast", "segment": 2}, T0 + 100.2))
    ev.items.insert(-1, Event("j", 901, "StepFinished", {"stage": "cast", "segment": 2}, T0 + 101))
    timeline = layout(ev.items)

    (portrait,) = timeline.of("cast", 2)
    assert portrait.row == JOB_ROW and portrait.part == "cast"
    assert timeline.rows == ["job", "segment 1", "segment 2"]  # not a third segment


def test_a_remote_clip_is_cut_into_its_parts() -> None:
    timeline = layout(two_segments().items)

    # The first part starts with the step; a part repeated (create, create) is one bar.
    assert parts(timeline, "video", 0) == [
        ("create", 3.2, 3.5),
        ("rpm", 3.5, 3.5),
        ("create", 3.5, 3.8),
        ("wait", 3.8, 9.8),
        ("download", 9.8, 10.8),
    ]
    assert parts(timeline, "video", 1) == [
        ("queued", 3.3, 4.0),
        ("create", 4.0, 4.2),
        ("rpm", 4.2, 44.2),
        ("create", 44.2, 44.5),
        ("wait", 44.5, 50.5),
        ("download", 50.5, 51.0),
    ]
    clip_lanes = {bar.lane for bar in timeline.bars if bar.stage in ("video", "mux")}
    assert len(clip_lanes) == 1  # the clip and its mux share a lane, after speech and frames
    assert clip_lanes.isdisjoint(bar.lane for bar in timeline.of("speech", 0))
    assert timeline.parts()[:3] == ["plan", "speech", "frame"]


def test_a_step_still_running_ends_at_the_last_event() -> None:
    ev = Events()
    ev.add(0, "JobStarted", job_id="j", providers={}, out_dir="x")
    ev.add(1, "StepStarted", stage="video", segment=0)
    ev.add(2, "StepPhase", stage="video", segment=0, phase="wait")
    ev.add(9, "StepProgress", stage="video", segment=0, fraction=0.4, status="Processing")

    timeline = layout(ev.items)

    assert not timeline.finished and timeline.rows == ["job", "segment 1"]
    assert parts(timeline, "video", 0) == [("wait", 1.0, 9.0)]
    assert timeline.of("video", 0)[0].state == "running"


def test_no_steps_no_bars() -> None:
    assert layout([]).bars == []
    ev = Events()
    ev.add(0, "JobStarted", job_id="j", providers={}, out_dir="x")
    assert layout(ev.items).bars == []


def test_the_picture_has_its_size_and_grows_with_the_rows() -> None:
    small = layout(two_segments().items)
    with Image.open(io.BytesIO(png(small, "two segments"))) as picture:
        assert picture.format == "PNG"
        assert picture.size == image_size(small) and picture.size[0] == WIDTH
    ev = two_segments()
    ev.step("speech", 5, 101, 102)  # a sixth segment: four rows more
    bigger = layout(ev.items)
    assert len(bigger.rows) == 7
    assert image_size(bigger)[1] > image_size(small)[1]


async def test_jobs_timeline_draws_a_real_job(fake_apis: FakeAPIs, tmp_path: Path) -> None:
    segments = 2
    story = tmp_path / "story.txt"
    await asyncio.to_thread(story.write_text, STORY, encoding="utf-8")
    cli = CLI(tmp_path / "logs")
    made = await cli.run(
        "make", str(story), "--out", str(tmp_path / "out"), "-n", str(segments), "--yes",
        "--resolution", "720P", seconds=300,  # generous: a loaded machine
    )  # fmt: skip
    assert made.returncode == 0, made.output
    async with SQLiteJobStore(cli.data_dir / DB_NAME) as store:
        (job,) = await store.list_jobs()
        events = await store.events(job.id)
    out = tmp_path / "timeline.png"

    drawn = await cli.run("jobs", job.id, "--timeline", str(out))

    assert drawn.returncode == 0, drawn.output
    timeline = layout(events)
    data = await asyncio.to_thread(out.read_bytes)
    with Image.open(io.BytesIO(data)) as picture:
        assert picture.format == "PNG" and picture.size == image_size(timeline)
    assert timeline.rows == ["job", "segment 1", "segment 2"] and timeline.finished
    at = {
        (e.type, e.payload.get("stage"), e.payload.get("segment")): e.at - events[0].at
        for e in events
    }
    for i in range(segments):
        for stage in ("speech", "mux"):
            (bar,) = timeline.of(stage, i)
            assert bar.row == 1 + i
            assert bar.start == at[("StepStarted", stage, i)]
            assert bar.end == at[("StepFinished", stage, i)]
        clip = timeline.of("video", i)
        # Every remote clip shows its rate-limit wait (however short), create, render, download,
        # one after the other from the step's start to its end.
        assert [bar.part for bar in clip][-4:] == ["rpm", "create", "wait", "download"]
        assert clip[0].start == at[("StepStarted", "video", i)]
        assert clip[-1].end == at[("StepFinished", "video", i)]
        assert all(a.end == b.start for a, b in itertools.pairwise(clip))
    assert [bar.row for bar in timeline.of("assemble", None)] == [JOB_ROW]


async def test_jobs_timeline_of_an_unknown_job_is_one_line_exit_2(tmp_path: Path) -> None:
    done = await CLI(tmp_path / "logs").run(
        "jobs", "aaaaaaaaaaaaaaaa", "--timeline", str(tmp_path / "t.png")
    )
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and "aaaaaaaaaaaaaaaa" in done.stderr
    assert not (tmp_path / "t.png").exists()
