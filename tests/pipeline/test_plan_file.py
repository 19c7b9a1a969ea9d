"""``plan.json`` on disk: workers in other processes read it while one of them saves it."""

from __future__ import annotations

import threading
from pathlib import Path

from storyreel.plan import Plan, Segment


def plan_of(title: str, segments: int) -> Plan:
    return Plan(
        title=title,
        segments=[
            Segment(
                narration=f"Narration {i} " * 40,
                video_prompt=f"[Zoom in] shot {i}",
                first_frame_prompt=f"first {i}",
                last_frame_prompt=f"last {i}",
                camera="Zoom in",
            )
            for i in range(segments)
        ],
    )


def test_a_reader_never_sees_half_a_plan(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    plans = [plan_of("short", 1), plan_of("long", 12)]
    plans[0].save(path)
    stop = threading.Event()
    errors: list[BaseException] = []

    def read() -> None:
        while not stop.is_set():
            try:
                assert Plan.load(path) in plans
            except BaseException as error:  # reported below, on the test's thread
                errors.append(error)
                stop.set()

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for n in range(300):
            plans[n % 2].save(path)
    finally:
        stop.set()
        reader.join()
    assert errors == []
    assert not list(tmp_path.glob(".plan.json.*"))  # no temporary file left behind


def test_saving_the_same_plan_leaves_the_file_alone(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    plan = plan_of("t", 2)
    plan.save(path)
    before = path.stat()
    plan.save(path)
    after = path.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    plan_of("changed", 2).save(path)
    assert Plan.load(path).title == "changed"
