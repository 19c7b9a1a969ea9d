"""What running (part of) one job needs, built alike in one process and on workers."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from storyreel.pipeline.cost import ZERO, CostOptions, PriceTable, estimate
from storyreel.pipeline.hashing import afile_sha256, plan_step_hash
from storyreel.pipeline.jobs.options import JobOptions
from storyreel.pipeline.layout import OutputLayout
from storyreel.pipeline.ledger import StoreLedger
from storyreel.pipeline.orchestrator import Pipeline
from storyreel.pipeline.store import Job, JobStore
from storyreel.plan import Plan
from storyreel.providers.factory import Providers


@dataclass
class JobWork:
    """What running (part of) one job needs: see :meth:`JobRunner.work_for`."""

    store: JobStore
    job: Job
    options: JobOptions
    providers: Providers
    cost: CostOptions
    prices: PriceTable
    plan: Plan | None  # paid steps are priced from it: narration-first durations included
    ledger: StoreLedger = field(init=False)
    pipeline: Pipeline = field(init=False)

    def price_of(self, key: str) -> Decimal:
        source = self.plan or self.job.story
        return (
            estimate(source, self.cost, self.prices, include_planning=True).by_step().get(key, ZERO)
        )

    async def ensure_plan(self) -> Plan:
        """The job's plan: the saved one (written to ``plan.json``), or made now, once, through
        the ledger. Recorded in the store either way."""
        layout = OutputLayout(self.job.output_dir)
        plan = self.plan
        if plan is None:
            planner = self.providers.planner
            inputs = plan_step_hash(
                self.job.story,
                provider=planner.name,
                model=planner.describe(),
                segments=self.options.segments,
                language=self.options.language,
            )

            async def make_plan() -> Path:
                await self.pipeline.plan(
                    self.job.story, segments=self.options.segments, language=self.options.language
                )
                return layout.plan

            await self.ledger.produce(
                "plan", inputs, make_plan, provider=planner.name, paid=planner.paid
            )
            plan = Plan.load(layout.plan)
        else:
            self.job.output_dir.mkdir(parents=True, exist_ok=True)
            await asyncio.to_thread(plan.save, layout.plan)
            await self._close_plan_step(layout.plan)
        self.plan = plan
        await self.store.set_plan(self.job.id, plan)
        return plan

    async def _close_plan_step(self, path: Path) -> None:
        """A run that stopped after writing ``plan.json`` but before recording it left the plan
        step open; the plan exists (and was paid for), so record it as done."""
        step = await self.store.get_step(self.job.id, "plan")
        if step is None or step.state == "done":
            return
        paid = step.intent_at is not None
        await self.store.complete(
            self.job.id,
            "plan",
            path=path,
            sha256=await afile_sha256(path),
            cost_usd=self.price_of("plan") if paid else None,
            attempt=step.attempts if paid else None,
        )


__all__ = ["JobWork"]
