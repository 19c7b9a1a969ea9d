"""``storyreel render``, ``jobs`` and ``resume``: work with jobs already in the store."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import typer
from rich.table import Table

from storyreel.cli.common import console, err_console, load_settings, run
from storyreel.cli.running import job_runner, run_with_progress, summary
from storyreel.errors import UsageError
from storyreel.pipeline.cost import format_usd
from storyreel.pipeline.jobs import JobOptions
from storyreel.pipeline.layout import OutputLayout
from storyreel.pipeline.plan import Plan


def register(app: typer.Typer) -> None:
    repeat_opt = typer.Option(
        False,
        "--repeat-unknown",
        help="Send again a video request whose answer was lost (it may be billed twice).",
    )
    yes_opt = typer.Option(False, "--yes", "-y", help="Accept the cost estimate without asking.")

    @app.command()
    def render(
        folder: Path = typer.Argument(..., help="An output folder holding plan.json."),
        offline: bool = typer.Option(False, "--offline", help="Render with the offline providers."),
        yes: bool = yes_opt,
        repeat_unknown: bool = repeat_opt,
    ) -> None:
        """Render (or finish) the plan in FOLDER; only what changed in plan.json is made again."""
        layout = OutputLayout(folder)
        if not layout.plan.is_file():
            raise UsageError(
                f"{layout.plan} does not exist", field="FOLDER", fix="run `storyreel plan` first"
            )
        settings = load_settings()
        where = folder.resolve()

        async def go() -> None:
            async with job_runner(settings) as runner:
                job = await runner.store.find_job_by_output_dir(where)
                if job is None:
                    plan = Plan.load(layout.plan)
                    story = "\n".join(s.narration for s in plan.segments)
                    job = await runner.create(story, JobOptions(offline=offline), folder)
                elif offline:
                    await runner.store.set_options(job.id, {**job.options, "offline": True})
                result = await run_with_progress(
                    runner, job.id, yes=yes, repeat_unknown=repeat_unknown
                )
                summary(result, folder)

        run(go())

    @app.command()
    def resume(
        job_id: str = typer.Argument(..., help="The job's id (see `storyreel jobs`)."),
        yes: bool = yes_opt,
        repeat_unknown: bool = repeat_opt,
    ) -> None:
        """Continue a job: finished work is reused; submitted clips are awaited, not paid again."""
        settings = load_settings()

        async def go() -> None:
            async with job_runner(settings) as runner:
                job = await runner.store.get_job(job_id)
                if job.status == "succeeded":
                    err_console.print(
                        f"job {job_id} already succeeded; checking its files", style="dim"
                    )
                result = await run_with_progress(
                    runner, job.id, yes=yes, repeat_unknown=repeat_unknown
                )
                summary(result, job.output_dir)

        run(go())

    @app.command(name="jobs")
    def list_jobs(limit: int = typer.Option(20, "--limit", min=1, max=1000)) -> None:
        """List jobs with their state and spend."""
        settings = load_settings()

        async def go() -> None:
            async with job_runner(settings) as runner:
                jobs = await runner.store.list_jobs(limit=limit)
                table = Table(show_edge=False)
                for column in ("id", "status", "title", "segments", "spent", "updated", "folder"):
                    table.add_column(column, overflow="fold")
                for job in jobs:
                    when = dt.datetime.fromtimestamp(job.updated_at).strftime("%Y-%m-%d %H:%M")
                    title = job.plan.title if job.plan else job.story.strip().splitlines()[0][:40]
                    segments = str(len(job.plan.segments)) if job.plan else "-"
                    style = {"succeeded": "green", "failed": "red", "running": "yellow"}.get(
                        job.status, ""
                    )
                    table.add_row(
                        job.id,
                        f"[{style}]{job.status}[/{style}]" if style else job.status,
                        title,
                        segments,
                        format_usd(job.spent_usd),
                        when,
                        str(job.output_dir),
                    )
                if not jobs:
                    err_console.print("no jobs yet: try `storyreel make examples/lighthouse.txt`")
                else:
                    console.print(table)

        run(go())
