"""Running a job from a terminal: the estimate and its confirmation, progress bars, summary."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from storyreel.cli.common import console, err_console
from storyreel.cli.progress import StageBars
from storyreel.config import Settings
from storyreel.errors import UsageError
from storyreel.pipeline.cost import Estimate, format_usd
from storyreel.pipeline.jobs import JobRunner
from storyreel.pipeline.layout import OutputLayout
from storyreel.pipeline.render_types import RenderResult
from storyreel.pipeline.store import default_store_path, open_store
from storyreel.plan import Plan
from storyreel.providers.factory import Providers


@asynccontextmanager
async def job_runner(settings: Settings) -> AsyncIterator[JobRunner]:
    """A runner on the store the settings name (SQLite in the data directory by default)."""
    default_store_path(settings).parent.mkdir(parents=True, exist_ok=True)
    store = open_store(settings)
    try:
        yield JobRunner(settings, store)
    finally:
        await store.aclose()


def estimate_table(est: Estimate) -> Table:
    table = Table(title="Estimated cost of what is left to make", show_edge=False)
    table.add_column("stage")
    table.add_column("calls", justify="right")
    table.add_column("USD", justify="right")
    counts: dict[str, int] = {}
    for line in est.lines:
        counts[line.stage] = counts.get(line.stage, 0) + 1
    for stage, amount in est.by_stage().items():
        table.add_row(stage, str(counts.get(stage, 0)), format_usd(amount))
    table.add_row("[bold]total[/bold]", "", f"[bold]{format_usd(est.total)}[/bold]")
    return table


def confirmer(yes: bool) -> Callable[[Estimate], Awaitable[bool]]:
    """Show the estimate; ask unless ``--yes``. Without a terminal to ask, ``--yes`` is required."""

    async def confirm(est: Estimate) -> bool:
        err_console.print(estimate_table(est))
        if yes:
            return True
        if not sys.stdin.isatty():
            raise UsageError(
                f"this run would spend about {format_usd(est.total)}",
                field="--yes",
                fix="pass --yes to accept the estimate, or --offline to spend nothing",
            )
        return typer.confirm("Spend it?", default=False, err=True)

    return confirm


def say_providers(providers: Providers) -> None:
    described = providers.describe()
    if all(v.startswith("offline") for v in described.values()):
        err_console.print(
            "running offline (no API keys set): local keyframes, clips and speech", style="yellow"
        )
    else:
        err_console.print(
            "providers: " + ", ".join(f"{k} {v}" for k, v in described.items()), style="dim"
        )


def in_review(out: Path) -> None:
    """What a ``--review`` run says when it stops: where to look, how to edit, how to go on."""
    layout = OutputLayout(out)
    console.print(
        f"[green]in review[/green]: keyframes and narration made, no video paid for yet -> "
        f"[bold]{escape(str(layout.storyboard))}[/bold]",
        soft_wrap=True,
    )
    console.print(
        f'  edit {escape(str(layout.plan))} (raise takes["frame:K"] to draw keyframe K '
        f"again), then approve: [bold]storyreel render {escape(str(out))}[/bold]",
        highlight=False,
        soft_wrap=True,
    )


# JobOptions fields whose flag is named differently.
_FLAGS = {"voice_id": "--voice", "segments": "--segments"}


def summary(result: RenderResult | Plan, out: Path) -> None:
    if isinstance(result, Plan):
        console.print(
            f"[green]planned[/green] {len(result.segments)} segments -> "
            f"[bold]{escape(str(out / 'plan.json'))}[/bold]; edit it, then "
            f"`storyreel render {escape(str(out))}`"
        )
        return
    for warning in result.warnings:
        err_console.print(f"note: {escape(warning)}", style="dim", highlight=False)
    reused = f", {result.reused} steps reused" if result.reused else ""
    console.print(
        f"[green]done[/green] {result.segments} segments, {result.duration:.1f} s{reused} -> "
        f"[bold]{escape(str(result.video))}[/bold]"
    )
    extras = [p for p in (result.subtitles, result.storyboard, result.manifest) if p]
    console.print("  " + ", ".join(escape(str(p)) for p in extras), style="dim", soft_wrap=True)


async def run_with_progress(
    runner: JobRunner,
    job_id: str,
    *,
    yes: bool,
    plan_only: bool = False,
    repeat_unknown: bool = False,
    prepare: Callable[[Providers], Awaitable[None]] | None = None,
    clones_voice: bool = False,
) -> RenderResult | Plan:
    async def introduce(providers: Providers) -> None:
        say_providers(providers)
        if prepare is not None:
            await prepare(providers)

    try:
        with StageBars(err_console) as bars:
            return await runner.run(
                job_id,
                events=bars,
                confirm=confirmer(yes),
                plan_only=plan_only,
                repeat_unknown=repeat_unknown,
                prepare=introduce,
                clones_voice=clones_voice,
            )
    except (KeyboardInterrupt, asyncio.CancelledError):
        # Ctrl-C or SIGTERM: the runner has marked the job cancelled; say how to go on.
        err_console.print(
            f"to continue where it stopped: [bold]storyreel resume {job_id}[/bold]",
            highlight=False,
        )
        raise
