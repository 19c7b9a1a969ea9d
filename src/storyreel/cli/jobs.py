"""``storyreel render``, ``jobs`` and ``resume``: work with jobs already in the store."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from storyreel.cli import options as opt
from storyreel.cli.common import console, err_console, load_settings, music_choice, run
from storyreel.cli.running import in_review, job_runner, run_with_progress, summary
from storyreel.errors import UsageError
from storyreel.files import write_bytes_atomic_sync
from storyreel.pipeline.cost import format_usd
from storyreel.pipeline.jobs import JobOptions
from storyreel.pipeline.layout import OutputLayout
from storyreel.pipeline.store import Job, JobStore, Spend, Step
from storyreel.pipeline.timeline_image import job_timeline_png
from storyreel.plan import Plan


def register(app: typer.Typer) -> None:
    repeat_opt = typer.Option(
        False,
        "--repeat-unknown",
        help="Send again a video request whose answer was lost (it may be billed twice).",
    )
    yes_opt = typer.Option(False, "--yes", "-y", help="Accept the cost estimate without asking.")
    kept = "\\[default: as the job was made]"

    def provider(flag: str, what: str) -> Any:
        return typer.Option(None, flag, help=f"{what} provider {kept}.")

    @app.command()
    def render(
        folder: Path = typer.Argument(..., help="An output folder holding plan.json."),
        offline: bool = typer.Option(False, "--offline", help="Render with the offline providers."),
        aspect: str | None = typer.Option(
            None, "--aspect", help="The video's shape \\[default: as the job was made]."
        ),
        music: str | None = typer.Option(
            None, "--music", help=f"{opt.MUSIC_HELP} \\[default: as the job was made]"
        ),
        music_volume: float | None = typer.Option(
            None, "--music-volume", min=0.01, max=1.0, help="See `storyreel make --help`."
        ),
        resolution: opt.Resolution | None = typer.Option(
            None, "--resolution", case_sensitive=False, help=f"{opt.RESOLUTION_HELP} {kept}"
        ),
        budget: float | None = typer.Option(
            None, "--budget", min=0, help=f"{opt.BUDGET_HELP} {kept}."
        ),
        concurrency: int | None = typer.Option(
            None, "--concurrency", min=1, max=32, help=f"{opt.CONCURRENCY_HELP} {kept}."
        ),
        images: opt.Choice | None = provider("--images", "Keyframe"),
        video: opt.Choice | None = provider("--video", "Clip"),
        speech: opt.Choice | None = provider("--speech", "Narration"),
        yes: bool = yes_opt,
        repeat_unknown: bool = repeat_opt,
    ) -> None:
        """Render (or finish) the plan in FOLDER; only what changed in plan.json is made again.

        A job stopped by `make --review` is approved by this: its keyframes and narration are
        reused.

        Example: storyreel render out/lighthouse --resolution 1080p --budget 5
        """
        layout = OutputLayout(folder)
        if not layout.plan.is_file():
            raise UsageError(
                f"{layout.plan} does not exist", field="FOLDER", fix="run `storyreel plan` first"
            )
        # Checked before anything else (a bad track costs nothing); None keeps the job's own.
        # Rendering a folder is approving it: a job stopped in review renders on.
        changes: dict[str, object] = {"review": False}
        if offline:
            changes["offline"] = True
        if aspect is not None:
            changes["aspect"] = opt.aspect_choice(aspect)
        if music is not None:
            changes["music"] = music_choice(music)
        if music_volume is not None:
            changes["music_volume"] = music_volume
        given = {
            "resolution": resolution.value if resolution else None,
            "budget": str(budget) if budget is not None else None,
            "concurrency": concurrency,
            "images": images.value if images else None,
            "video": video.value if video else None,
            "speech": speech.value if speech else None,
        }
        changes.update({key: value for key, value in given.items() if value is not None})
        settings = load_settings()
        where = folder.resolve()

        async def go() -> None:
            async with job_runner(settings) as runner:
                job = await runner.store.find_job_by_output_dir(where)
                if job is None:
                    plan = Plan.load(layout.plan)
                    story = "\n".join(s.narration for s in plan.segments)
                    job = await runner.create(story, JobOptions.model_validate(changes), folder)
                elif changes:
                    await runner.store.set_options(job.id, {**job.options, **changes})
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
        """Continue a job: finished work is reused; submitted clips are awaited, not paid again.

        Example: storyreel resume 3f9c2a7b1d4e5f60 (the id `storyreel jobs` lists)
        """
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
                if (await runner.store.get_job(job.id)).status == "review":
                    in_review(job.output_dir)  # a job made with --review stops there again
                else:
                    summary(result, job.output_dir)

        run(go())

    @app.command(name="jobs")
    def list_jobs(
        job_id: str | None = typer.Argument(None, help="Show one job's steps and spend."),
        limit: int = typer.Option(20, "--limit", min=1, max=1000),
        timeline: Path | None = typer.Option(
            None,
            "--timeline",
            dir_okay=False,
            help="Draw where JOB's time went (each segment's stages on a time axis) into this PNG.",
        ),
    ) -> None:
        """List jobs with their state and spend, or one job in detail.

        Example: storyreel jobs, storyreel jobs JOB_ID for its steps, or
        storyreel jobs JOB_ID --timeline out.png
        """
        if timeline is not None and job_id is None:
            raise UsageError(
                "--timeline needs a job",
                field="JOB_ID",
                fix="storyreel jobs JOB_ID --timeline out.png",
            )
        settings = load_settings()

        async def go() -> None:
            async with job_runner(settings) as runner:
                if job_id is None:
                    show_jobs(await runner.store.list_jobs(limit=limit))
                    return
                job = await runner.store.get_job(job_id)
                if timeline is not None:
                    await write_timeline(runner.store, job, timeline)
                    return
                steps = await runner.store.list_steps(job.id)
                show_job(job, steps, await runner.store.spend(job.id))

        run(go())


async def write_timeline(store: JobStore, job: Job, out: Path) -> None:
    picture = await job_timeline_png(store, job)
    if picture is None:
        raise UsageError(
            f"job {job.id} has no steps to draw yet",
            field="JOB_ID",
            fix=f"wait until it has started (storyreel jobs {job.id})",
        )
    try:
        await asyncio.to_thread(write_bytes_atomic_sync, out, picture)
    except OSError as exc:
        raise UsageError(
            f"cannot write {out}: {exc.strerror or exc}",
            field="--timeline",
            fix="give a writable file path",
        ) from exc
    console.print(f"wrote {out}", highlight=False)


STEP_ORDER = {
    "plan": 0, "voice": 1, "speech": 2, "cast": 3, "frame": 3, "video": 4, "mux": 5, "music": 6,
    "assemble": 7,
}  # fmt: skip
STATUS_STYLE = {
    "succeeded": "green", "failed": "red", "running": "yellow", "done": "green", "review": "cyan",
}  # fmt: skip


def _styled(status: str) -> str:
    style = STATUS_STYLE.get(status)
    return f"[{style}]{status}[/{style}]" if style else status


def show_jobs(jobs: list[Job]) -> None:
    if not jobs:
        err_console.print("no jobs yet: try `storyreel make examples/lighthouse.txt`")
        return
    # Fits 80 columns: the folder and the details are in `storyreel jobs JOB`.
    table = Table(box=None, header_style="bold")
    table.add_column("id", no_wrap=True, min_width=16)
    table.add_column("status", no_wrap=True)
    table.add_column("title", overflow="ellipsis", max_width=22, no_wrap=True)
    table.add_column("seg", justify="right")
    table.add_column("spent", justify="right", no_wrap=True)
    table.add_column("updated", no_wrap=True)
    for job in jobs:
        when = dt.datetime.fromtimestamp(job.updated_at).strftime("%m-%d %H:%M")
        title = job.plan.title if job.plan else job.story.strip().splitlines()[0]
        segments = str(len(job.plan.segments)) if job.plan else "-"
        table.add_row(job.id, _styled(job.status), title, segments, format_usd(job.spent_usd), when)
    console.print(table)


def show_job(job: Job, steps: list[Step], spend: Spend) -> None:
    title = job.plan.title if job.plan else job.story.strip().splitlines()[0][:60]
    console.print(f"[bold]{job.id}[/bold] {_styled(job.status)}  {title}  ({job.output_dir})")
    if job.error:
        console.print(f"  error: {job.error}", style="red", highlight=False)
    table = Table(show_edge=False)
    for column in ("step", "state", "provider", "provider id", "spent"):
        table.add_column(column, overflow="fold")
    for step in sorted(steps, key=lambda s: (STEP_ORDER.get(s.kind, 9), s.segment or 0)):
        table.add_row(
            step.key,
            _styled(step.state),
            step.provider or "",
            step.provider_ref or "",
            format_usd(step.cost_actual_usd) if step.cost_actual_usd else "",
        )
    console.print(table)
    by_stage = ", ".join(f"{stage} {format_usd(v)}" for stage, v in sorted(spend.by_stage.items()))
    console.print(f"spent {format_usd(spend.total)}" + (f" ({by_stage})" if by_stage else ""))
