"""Crash tests: ``storyreel make`` killed with SIGKILL at every stage, then run again.

Whatever the moment of death, the next run must finish the video without paying twice: the
fakes (in this process, so they count across the CLI's deaths) must see exactly one accepted
video generation per segment and one plan request.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from storyreel.assembly.probe import probe
from tests.fakes.fixtures import FakeAPIs
from tests.pipeline._cli import CLI, STORY, StoreView, check_output, video_mux

N = 3
MAKE = ("make", "story.txt", "--out", "out", "--yes", "-n", str(N), "--resolution", "720P")
# Each fake task reports Processing for this many polls (0.05 s apart): a window to die in.
PROCESSING_POLLS = 30


@pytest.fixture
def story(tmp_path: Path) -> Path:
    # The CLI runs in the test's working directory (tests/conftest.py chdirs to a fresh one).
    path = Path("story.txt")
    path.write_text(STORY, encoding="utf-8")
    return path


@pytest.fixture
async def view(story: Path) -> AsyncIterator[StoreView]:
    store = StoreView(Path(os.environ["STORYREEL_DATA_DIR"]))
    yield store
    await store.aclose()


async def test_killed_at_every_stage_then_finishes_paying_once(
    fake_apis: FakeAPIs, view: StoreView, tmp_path: Path
) -> None:
    minimax, openai = fake_apis
    minimax.polls_per_stage["Processing"] = PROCESSING_POLLS
    cli = CLI(tmp_path / "logs")
    out = await asyncio.to_thread(Path("out").resolve)

    async def video_states() -> list[str]:
        return await view.states("video")

    # 1. After the plan (keyframes and narration may be in flight: those are asked again).
    async def planned() -> bool:
        steps = await view.steps()
        return "plan" in steps and steps["plan"].state == "done"

    run = await cli.start(*MAKE)
    await run.kill_when(planned, what="the plan was made")
    assert await asyncio.to_thread((out / "plan.json").is_file)
    assert await video_states() == []

    # 2. After some video tasks were created. One create a minute (waiting for a clip holds
    # no concurrency slot, so only the RPM limit holds the next create back before it is
    # sent), so the death comes after video:0's task id was recorded and before any other
    # create left.
    async def first_task_recorded() -> bool:
        return (await video_states())[:1] == ["submitted"]

    run = await cli.start(*MAKE, "--concurrency", "1", extra_env={"MINIMAX_VIDEO_RPM": "1"})
    await run.kill_when(first_task_recorded, what="a video task was created")
    assert minimax.accepted["video_generation"] == 1
    assert "running" not in await video_states()  # no create was caught in flight

    # 3. During polling: every task created, none finished.
    async def polling() -> bool:
        states = await video_states()
        return (
            len(states) == N
            and all(s == "submitted" for s in states)
            and minimax.calls["query/video_generation"] >= polls_before + 3
        )

    polls_before = minimax.calls["query/video_generation"]
    run = await cli.start(*MAKE)
    killed = await run.kill_when(polling, what="the tasks were being polled")
    assert "resuming job" in killed.stderr
    assert minimax.accepted["video_generation"] == N
    assert not await asyncio.to_thread(lambda: list(out.glob("segments/*/clip.mp4")))

    # 4. During a download (slowed down), continuing with `storyreel resume JOB`.
    minimax.set_latency("download", 5.0)
    downloads_before = minimax.calls["download"]

    async def downloading() -> bool:
        return minimax.calls["download"] > downloads_before

    job = await view.job()
    assert job is not None
    run = await cli.start("resume", job.id, "--yes")
    await run.kill_when(downloading, what="a clip was being downloaded")
    minimax.set_latency("download", 0.0)
    assert "done" not in await video_states()

    # 5. During the muxing of a segment.
    async def muxing() -> bool:
        return "running" in await view.states("mux")

    run = await cli.start(*MAKE)
    await run.kill_when(muxing, what="a segment was being muxed", seconds=90)

    # 6. During the final assembly.
    async def assembling() -> bool:
        return await view.states("assemble") == ["running"]

    run = await cli.start(*MAKE)
    await run.kill_when(assembling, what="the final video was being assembled", seconds=90)
    assert minimax.calls["video_generation"] == N  # nothing re-created along the way

    # And once more, to the end.
    done = await cli.run(*MAKE)
    assert done.returncode == 0, done.output
    assert "done 3 segments" in done.stdout

    # Paid once: exactly one video generation per segment, one plan.
    assert minimax.calls["video_generation"] == N
    assert minimax.accepted["video_generation"] == N
    assert openai.calls["chat/completions"] == 1
    steps = await view.steps()
    assert all(steps[f"video:{i}"].attempts == 1 for i in range(N))
    assert steps["plan"].attempts == 1
    spend = await view.store.spend(steps["plan"].job_id)
    assert len([k for k in spend.by_step if k.startswith("video:")]) == N

    await asyncio.to_thread(check_output, out, N)
    # The fake's clips are Hailuo-02's (1366x768 at 25 fps): the output adopts that format, so
    # every clip went into its segment by stream copy, none re-encoded.
    assert await asyncio.to_thread(video_mux, out) == ["copied"] * N
    info = await asyncio.to_thread(probe, out / "final_video.mp4")
    assert info.video is not None
    assert (info.video.width, info.video.height, info.video.fps) == (1366, 768, 25)
    job = await view.job()
    assert job is not None and job.status == "succeeded"


async def test_unknown_outcome_stops_and_is_sent_again_only_when_asked(
    fake_apis: FakeAPIs, view: StoreView, tmp_path: Path
) -> None:
    minimax, _ = fake_apis
    cli = CLI(tmp_path / "logs")
    make = (*MAKE[:5], "-n", "1", "--resolution", "720P")
    # MiniMax creates (and bills) the task, but the answer is lost on the way back.
    minimax.drop_next("video_generation", after_processing=True)

    first = await cli.run(*make)
    assert first.returncode == 1, first.output
    assert "may have accepted" in first.stderr
    assert minimax.calls["video_generation"] == 1
    assert minimax.accepted["video_generation"] == 1

    # Running again does not send it again on its own: it says what to do instead.
    again = await cli.run(*make)
    assert again.returncode == 1, again.output
    assert "--repeat-unknown" in again.stderr
    assert minimax.calls["video_generation"] == 1
    job = await view.job()
    assert job is not None and job.status == "failed"

    # With the user's consent it is sent once more, and the job finishes.
    repeated = await cli.run("resume", job.id, "--yes", "--repeat-unknown")
    assert repeated.returncode == 0, repeated.output
    assert minimax.calls["video_generation"] == 2
    await asyncio.to_thread(check_output, Path("out"), 1)
