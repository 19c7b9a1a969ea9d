"""``storyreel worker`` runs workers; ``storyreel workers`` shows them. Both need
``STORYREEL_BROKER_URL=redis://...`` (and, across machines, ``STORYREEL_DATABASE_URL`` and a
shared ``STORYREEL_DATA_DIR``)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import fields
from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from storyreel.cli.common import console, err_console, load_settings, run
from storyreel.config import Settings
from storyreel.errors import ConfigError, JobError
from storyreel.pipeline import events as pipeline_events
from storyreel.pipeline.cost import ZERO
from storyreel.pipeline.follow import POLL_SECONDS, follow_events
from storyreel.pipeline.jobs import JobOptions, JobRunner
from storyreel.pipeline.layout import OutputLayout
from storyreel.pipeline.store import JobStore, open_store

_EVENT_TYPES: dict[str, type[pipeline_events.Event]] = {
    cls.__name__: cls
    for cls in vars(pipeline_events).values()
    if isinstance(cls, type)
    and issubclass(cls, pipeline_events.Event)
    and cls is not pipeline_events.Event
}


def _needs_distributed() -> None:
    try:
        import dramatiq  # noqa: F401
        import redis  # noqa: F401
    except ImportError:
        raise ConfigError(
            "workers need the distributed extra",
            fix="pip install 'storyreel[distributed]'",
        ) from None


def stored_event(type_name: str, payload: dict[str, object]) -> pipeline_events.Event | None:
    """A stored event back as the pipeline's event (None for a type this version lacks)."""
    cls = _EVENT_TYPES.get(type_name)
    if cls is None:
        return None
    known = {f.name for f in fields(cls)}
    try:
        return cls(**{k: v for k, v in payload.items() if k in known})
    except TypeError:
        return None


async def follow_job(
    store: JobStore,
    job_id: str,
    sink: Callable[[pipeline_events.Event], None],
    *,
    poll: float = POLL_SECONDS,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> str:
    """Pass the job's stored events to ``sink`` until it ends; its final status."""
    async for event in follow_events(store, job_id, poll=poll, sleep=sleep):
        shown = stored_event(event.type, event.payload)
        if shown is not None:
            sink(shown)
    return (await store.get_job(job_id)).status


def register(app: typer.Typer) -> None:
    @app.command()
    def worker(
        processes: int = typer.Option(1, "--processes", "-p", min=1, max=64, help="Processes."),
        threads: int = typer.Option(
            4, "--threads", "-t", min=1, max=64, help="Units of work at once per process."
        ),
    ) -> None:
        """Run a worker: take planning, segments and assembly from the queue (Redis).

        Example: STORYREEL_BROKER_URL=redis://localhost:6379/0 storyreel worker
        """
        _needs_distributed()
        from storyreel.distributed.broker import check_broker_url
        from storyreel.distributed.settings import WorkerSettings
        from storyreel.distributed.worker import run_worker, supervise

        settings = load_settings()
        check_broker_url(settings.broker_url)
        if processes > 1:
            verbose = logging.getLogger().level <= logging.DEBUG
            raise typer.Exit(supervise(processes, threads, verbose=verbose))
        logging.getLogger("storyreel").setLevel(min(logging.getLogger().level, logging.WARNING))
        run_worker(settings, WorkerSettings(), threads=threads)

    @app.command(name="workers")
    def list_workers() -> None:
        """Workers alive (their heartbeats), the queue's depth and the jobs in flight.

        Example: storyreel workers
        """
        _needs_distributed()
        settings = load_settings()
        run(_show_workers(settings))


async def _show_workers(settings: Settings) -> None:
    from storyreel.distributed.broker import check_broker_url
    from storyreel.distributed.health import snapshot

    check_broker_url(settings.broker_url)  # before the store: a missing URL is the error to show
    store = open_store(settings)
    try:
        seen = await snapshot(settings, store)
    finally:
        await store.aclose()
    now = time.time()
    table = Table(title=f"{len(seen.workers)} worker(s) alive", show_edge=False)
    for column in ("worker", "threads", "up", "last beat", "done", "doing now"):
        table.add_column(column)
    for w in seen.workers:
        doing = "; ".join(f"{d['work']} of {d['job']}" for d in w.doing) or "idle"
        table.add_row(
            escape(w.id),
            str(w.threads),
            f"{(now - w.started_at) / 60:.0f} min",
            f"{now - w.beat_at:.0f} s ago",
            str(w.done),
            escape(doing),
        )
    console.print(table)
    depth = seen.depth
    console.print(
        f"queue: {depth.waiting} waiting, {depth.in_flight} in flight, "
        f"{depth.delayed} waiting to retry, {depth.dead} dead"
    )
    running = [job for job in seen.jobs if job.status == "running"]
    console.print(f"jobs: {len(running)} running, {len(seen.jobs) - len(running)} queued")
    for job in running:
        console.print(
            f"  {job.id}: {job.steps_done}/{job.steps_total} steps done"
            f" -> {escape(str(job.output_dir))}",
            style="dim",
        )


async def make_remote(
    settings: Settings, story: str, options: JobOptions, out: Path, *, yes: bool
) -> None:
    """``storyreel make --remote``: create the job in the shared store, show the estimate, hand
    it to the workers, and draw its progress from the store's events until it ends."""
    _needs_distributed()
    from storyreel.cli.progress import StageBars
    from storyreel.cli.running import confirmer
    from storyreel.cli.story_size import check_story_size
    from storyreel.distributed import submit_job
    from storyreel.distributed.broker import check_broker_url

    check_broker_url(settings.broker_url)
    store = open_store(settings)
    try:
        runner = JobRunner(settings, store)
        if not OutputLayout(out).plan.is_file():  # not planned yet: a long story asks first
            await check_story_size(runner, story, options, yes=yes)
        job, resumed = await runner.find_or_create(story, options, out)
        left = await runner.estimate(job)
        if left.total > ZERO and not await confirmer(yes)(left):
            raise JobError("not confirmed: nothing was spent")
        if job.status in ("failed", "cancelled", "succeeded"):
            await store.set_status(job.id, "queued")
        await submit_job(job.id, settings)
        err_console.print(
            f"job {job.id} {'resumed' if resumed else 'queued'} for the workers; following it"
            " (Ctrl-C stops following, not the job)",
            style="dim",
        )
        with StageBars(err_console) as bars:
            status = await follow_job(store, job.id, bars)
        final = await store.get_job(job.id)
    finally:
        await store.aclose()
    if status != "succeeded":
        raise JobError(f"job {job.id} {status}: {final.error or 'no reason recorded'}")
    console.print(f"[green]done[/green] -> [bold]{escape(str(final.video_path))}[/bold]")
