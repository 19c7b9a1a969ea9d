"""Running jobs: :class:`JobRunner` creates them in the store, prices, preflights and runs them.

The CLI, the service and the workers all build a job's work through it (:meth:`JobRunner.work_for`),
so a job runs the same wherever it runs.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from storyreel.assembly.mix import check_music_file
from storyreel.config import Settings
from storyreel.errors import JobError, UsageError
from storyreel.pipeline import lifecycle
from storyreel.pipeline import preflight as preflight_checks
from storyreel.pipeline.admission import check_plan_size
from storyreel.pipeline.cost import (
    ZERO,
    Budget,
    CostOptions,
    Estimate,
    PriceTable,
    estimate,
    load_prices,
    priced_provider,
)
from storyreel.pipeline.events import EventSink, JobInReview, ignore
from storyreel.pipeline.jobs.options import JobOptions
from storyreel.pipeline.jobs.work import JobWork
from storyreel.pipeline.layout import OutputLayout
from storyreel.pipeline.ledger import StoreLedger
from storyreel.pipeline.orchestrator import Pipeline, RenderOptions, RenderResult
from storyreel.pipeline.store import Event as StoredEvent
from storyreel.pipeline.store import Job, JobStore, new_job_id
from storyreel.plan import Plan
from storyreel.providers.base import Provider
from storyreel.providers.factory import Providers, build_providers
from storyreel.providers.offline.planner import build_plan

log = logging.getLogger(__name__)

Confirm = Callable[[Estimate], Awaitable[bool]]
# What a job made with ``review`` pays before it stops for approval.
CHEAP_STAGES = frozenset({"plan", "voice", "frame", "speech"})


@dataclass
class JobRunner:
    """Creates jobs in ``store`` and runs them with providers built from ``settings``."""

    settings: Settings
    store: JobStore
    build: Callable[..., Providers] = build_providers
    provider_kwargs: dict[str, Any] = field(default_factory=dict)
    prices: PriceTable | None = None
    # Called with each event once the store has it (with its seq): the service's live fan-out.
    on_event_stored: Callable[[StoredEvent], None] | None = None

    def _prices(self) -> PriceTable:
        if self.prices is None:
            self.prices = load_prices(self.settings.prices)
        return self.prices

    def price_table(self) -> PriceTable:
        """The prices jobs are estimated with (``STORYREEL_PRICES``, read once)."""
        return self._prices()

    # -- creating -------------------------------------------------------------------------------

    async def create(self, story: str, options: JobOptions, out_dir: Path | None = None) -> Job:
        """A new queued job. Without ``out_dir`` its output goes under the data directory."""
        if not story.strip():
            raise UsageError("the story is empty", field="story", fix="write a few sentences")
        job_id = new_job_id()
        target = out_dir or self.settings.data_dir / "jobs" / job_id
        return await self.store.create_job(
            story, options.model_dump(mode="json"), target.resolve(), job_id=job_id
        )

    async def find_or_create(
        self, story: str, options: JobOptions, out_dir: Path
    ) -> tuple[Job, bool]:
        """The job already writing into ``out_dir`` for this story (to resume it), or a new one."""
        existing = await self.store.find_job_by_output_dir(out_dir)
        if existing is not None and existing.story.strip() == story.strip():
            await self.store.set_options(existing.id, options.model_dump(mode="json"))
            return await self.store.get_job(existing.id), True
        return await self.create(story, options, out_dir), False

    # -- running --------------------------------------------------------------------------------

    def providers_for(self, options: JobOptions) -> Providers:
        """The providers a job with ``options`` runs with (the caller closes them)."""
        return self._providers(options)

    def _providers(self, options: JobOptions) -> Providers:
        settings = self.settings
        if options.voice_id:
            settings = settings.model_copy(update={"voice_id": options.voice_id})
        return self.build(settings, overrides=options.overrides(), **self.provider_kwargs)

    def cost_options(self, providers: Providers, options: JobOptions) -> CostOptions:
        """Price what will really run: offline and mock-mode providers cost nothing."""

        def priced(provider: Provider) -> str:
            return priced_provider(provider.name, self.settings)

        return CostOptions(
            planner=priced(providers.planner),
            planner_model=self.settings.planner_model,
            images=priced(providers.images),
            image_model=self.settings.image_model,
            image_quality=self.settings.image_quality,
            video=priced(providers.video),
            video_model=self.settings.video_model,
            resolution=options.resolution,
            aspect=options.aspect,
            speech=priced(providers.speech),
            tts_model=self.settings.tts_model,
            segments=options.segments,
            # --music auto generates the bed when a MiniMax stage is real (see the pipeline)
            music=priced_provider("minimax", self.settings)
            if options.music == "auto" and providers.minimax is not None
            else "offline",
        )

    async def estimate(self, job: Job, providers: Providers | None = None) -> Estimate:
        """What is left to pay for ``job``: from its plan when it has one, else from the story."""
        options = JobOptions.model_validate(job.options)
        own = providers is None
        # Both in a worker thread: the service estimates on every GET of an unfinished job, and
        # building real providers (their clients' TLS contexts) takes about 60 ms of CPU, and
        # reading plan.json is file work, either of which would stall every other request.
        if providers is None:
            providers = await asyncio.to_thread(self._providers, options)
        try:
            plan = await asyncio.to_thread(self._saved_plan, job)
            return await self._pending(job, self.cost_options(providers, options), plan)
        finally:
            if own:
                await providers.aclose()

    async def estimate_story(self, story: str, options: JobOptions) -> Estimate:
        """What making ``story`` with ``options`` would cost, before any job exists."""
        providers = await asyncio.to_thread(self._providers, options)
        try:
            prices = await asyncio.to_thread(self._prices)
            cost = self.cost_options(providers, options)
            return await _draft_estimate(story, options.segments, cost, prices)
        finally:
            await providers.aclose()

    async def _pending(self, job: Job, cost: CostOptions, plan: Plan | None) -> Estimate:
        """What is left to pay: from the plan when there is one, minus the steps done."""
        prices = await asyncio.to_thread(self._prices)  # read from STORYREEL_PRICES once
        if plan is None:
            # Before the real plan exists, price the plan the offline planner makes of the story
            # (free, instant, same segment rules): its segments and clip lengths are what the
            # real plan will have, near enough, which a guess from the story's length is not.
            # In a worker thread: planning a long story is CPU work that would freeze the
            # service's event loop (every request) for as long as it takes.
            return await _draft_estimate(job.story, job.options.get("segments"), cost, prices)
        done = {s.key for s in await self.store.list_steps(job.id) if s.state == "done"}
        return estimate(plan, cost, prices).without(done)

    def saved_plan(self, job: Job) -> Plan | None:
        """The job's plan: its ``plan.json`` (the user may have edited it), else the store's."""
        return self._saved_plan(job)

    def _saved_plan(self, job: Job) -> Plan | None:
        path = OutputLayout(job.output_dir).plan
        if path.is_file():
            # A PlanError (exit 2, before anything is paid) lists every problem in the file.
            try:
                return Plan.load(path)
            except OSError as error:
                raise UsageError(
                    f"cannot read {path}: {error.strerror or error}", field="plan.json"
                ) from None
        return job.plan

    async def run(
        self,
        job_id: str,
        *,
        events: EventSink = ignore,
        confirm: Confirm | None = None,
        repeat_unknown: bool = False,
        plan_only: bool = False,
        prepare: Callable[[Providers], Awaitable[None]] | None = None,
        clones_voice: bool = False,
    ) -> RenderResult | Plan:
        """Run (or resume) ``job_id`` to the end. Finished work is reused, paid work never repeated.

        The preflight runs first (``clones_voice``: ``prepare`` clones the job's voice, so it
        need not exist yet).

        ``confirm`` sees the estimate of what is left to pay, once, before any paid call, and
        may refuse. ``prepare`` runs with the providers before anything else (e.g. cloning a voice).
        """
        job = await self.store.get_job(job_id)
        options = JobOptions.model_validate(job.options)
        sink = self.event_sink(job.id, events)
        try:
            # Off the event loop: building real clients sets up TLS (tens of ms), and plan.json
            # is a file (a PlanError names every mistake in it, before anything is paid).
            providers = await asyncio.to_thread(self._providers, options)
            async with providers:
                await lifecycle.begin(
                    self.store,
                    job.id,
                    sink,
                    providers=providers.describe(),
                    out_dir=job.output_dir,
                )
                plan = await asyncio.to_thread(self._saved_plan, job)
                if plan is None:
                    # Local and exact first: a story past the segment cap needs no network.
                    await check_plan_size(job.story, segments=options.segments)
                # Free calls only, before anything is paid (the voice clone included), and before
                # pricing: a retired model is named as such, not as a model without a price.
                await self.preflight(providers, options, clones_voice=clones_voice)
                if prepare is not None:
                    await prepare(providers)
                result = await self._run(
                    job, options, providers, sink, plan, confirm, repeat_unknown, plan_only
                )
        except BaseException as error:
            await lifecycle.fail(self.store, job.id, error, sink)
            await sink.flush()
            raise
        await sink.flush()
        return result

    async def _run(
        self,
        job: Job,
        options: JobOptions,
        providers: Providers,
        sink: lifecycle.StoreSink,
        plan: Plan | None,
        confirm: Confirm | None,
        repeat_unknown: bool,
        plan_only: bool,
    ) -> RenderResult | Plan:
        budget = Budget(options.budget)
        spent = (await self.store.spend(job.id)).total

        work = self.work_for(job, providers, sink, plan=plan, repeat_unknown=repeat_unknown)
        pipeline = work.pipeline
        pending = await self._pending(job, self.cost_options(providers, options), plan)
        if plan_only or options.review:
            cheap = CHEAP_STAGES if options.review else {"plan"}
            pending = Estimate(tuple(line for line in pending.lines if line.stage in cheap))
        budget.check_estimate(pending, spent=spent)
        if confirm is not None and pending.total > ZERO and not await confirm(pending):
            raise JobError("not confirmed: nothing more was spent")
        made = await work.ensure_plan()
        if plan_only:
            if not providers.images.paid:  # free frames: show the plan as a storyboard too
                await pipeline.preview(made)
            await self.store.set_status(job.id, "queued")
            return made
        if options.review:
            await self._stop_in_review(job, options, providers, pipeline, made, sink)
            return made

        result = await pipeline.render(made)
        await lifecycle.succeed(self.store, job.id, made, result, sink)
        return result

    async def _stop_in_review(
        self,
        job: Job,
        options: JobOptions,
        providers: Providers,
        pipeline: Pipeline,
        plan: Plan,
        sink: lifecycle.StoreSink,
    ) -> None:
        """The cheap pass (see ``Pipeline.review``), then the job waits in ``review``."""
        board = await pipeline.review(plan)
        await self.store.set_plan(job.id, plan)  # with the narration-first durations
        left = await self._pending(job, self.cost_options(providers, options), plan)
        if await self.store.set_status(job.id, "review", unless=lifecycle.KEEP_CANCEL):
            sink(JobInReview(storyboard=str(board), pending_usd=str(left.total)))

    # -- shared with the workers (storyreel.distributed) ----------------------------------------

    async def check(self, options: JobOptions) -> preflight_checks.Report:
        """The preflight of a job with ``options``, before it exists (the service's submit)."""
        async with await asyncio.to_thread(self._providers, options) as providers:
            return await self.preflight(providers, options)

    async def preflight(
        self, providers: Providers, options: JobOptions, *, clones_voice: bool = False
    ) -> preflight_checks.Report:
        """Refuse, with one line and before any paid call, a job that cannot succeed."""
        music = options.music_bed()
        if music is not None and music.path is not None:
            check_music_file(music.path)  # gone or changed since the job was made: exit 2
        calls = preflight_checks.Calls(
            stages=providers.resolved,
            resolution=options.resolution,
            voice_id=options.voice_id or self.settings.voice_id,
            clones_voice=clones_voice,
        )
        report = await preflight_checks.preflight(
            self.settings, calls, openai_client=providers.openai, minimax=providers.minimax
        )
        return preflight_checks.require(report)

    def render_options(self, options: JobOptions) -> RenderOptions:
        return RenderOptions(
            resolution=options.resolution,
            aspect=options.aspect,
            subtitles=options.subtitles,
            subtitle_style=options.subtitle_style,
            concurrency=options.concurrency or self.settings.concurrency,
            voice_id=options.voice_id or self.settings.voice_id,
            speech_speed=self.settings.speech_speed,
            music=options.music_bed(),
        )

    def work_for(
        self,
        job: Job,
        providers: Providers,
        events: EventSink,
        *,
        plan: Plan | None = None,
        repeat_unknown: bool = False,
        worker_id: str | None = None,
        lease_seconds: float | None = None,
    ) -> JobWork:
        """``job``'s pipeline and ledger, built alike in one process and on workers (which
        pass ``worker_id``: steps are then made under a lease, see :class:`StoreLedger`)."""
        options = JobOptions.model_validate(job.options)
        work = JobWork(
            self.store,
            job,
            options,
            providers,
            self.cost_options(providers, options),
            self._prices(),
            plan if plan is not None else self._saved_plan(job),
        )
        work.ledger = StoreLedger(
            self.store,
            job.id,
            budget=Budget(options.budget),
            price=work.price_of,
            repeat_unknown=repeat_unknown,
            worker_id=worker_id,
        )
        if lease_seconds is not None:
            work.ledger.lease_seconds = lease_seconds
        work.pipeline = Pipeline(
            providers,
            job.output_dir,
            options=self.render_options(options),
            events=events,
            ledger=work.ledger,
        )
        return work

    def event_sink(self, job_id: str, forward: EventSink = ignore) -> lifecycle.StoreSink:
        """Keeps a job's events in the store (what ``run`` does; workers call it too)."""
        return lifecycle.StoreSink(self.store, job_id, forward, stored=self.on_event_stored)


__all__ = ["Confirm", "JobRunner"]


async def _draft_estimate(
    story: str, segments: int | None, cost: CostOptions, prices: PriceTable
) -> Estimate:
    """Priced from the plan the offline planner makes of the story (free, instant, the same
    segment rules): its segments and clip lengths are what the real plan will have, near
    enough. In a worker thread: planning a long story is CPU work that would freeze the event
    loop."""
    draft = await asyncio.to_thread(build_plan, story, segments=segments)
    return estimate(draft, cost, prices, include_planning=True)
