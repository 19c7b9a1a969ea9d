"""A run that stopped between writing plan.json and recording it must not leave the step open."""

from __future__ import annotations

from pathlib import Path

from storyreel.config import Settings
from storyreel.pipeline.jobs import JobOptions, JobRunner
from storyreel.pipeline.store import SQLiteJobStore
from storyreel.plan import Plan, Segment


async def test_a_saved_plan_closes_a_dangling_plan_step(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    out = tmp_path / "out"
    async with SQLiteJobStore(tmp_path / "store.db") as store:
        runner = JobRunner(settings, store)
        options = JobOptions(offline=True, resolution="720P", subtitles="none")
        job = await runner.create("A fox ran home.", options, out)
        # The crash: the step was started and the plan written, nothing recorded after that.
        await store.start_step(job.id, "plan", "inputs", provider="offline")
        out.mkdir(parents=True)
        Plan(
            title="Fox",
            segments=[
                Segment(
                    narration="A fox ran home.",
                    video_prompt="a fox runs",
                    first_frame_prompt="a fox in snow",
                    last_frame_prompt="a fox at its den",
                    camera="Pan left",
                )
            ],
        ).save(out / "plan.json")

        await runner.run(job.id, plan_only=True)

        step = await store.get_step(job.id, "plan")
        assert step is not None
        assert step.state == "done"
        assert step.artefact_path == out / "plan.json"
