"""What a cast edit re-makes and costs, and the edit itself: the minimal version of the studio's
edit mechanism, so the cast routes work on their own.

``preview_and_save`` compares the content hashes of every step before and after the edit
(:func:`~storyreel.pipeline.hashing.step_hashes`): the steps whose inputs change and that were
made already are what the edit re-makes; their estimate lines are its cost. Applied, it saves
``plan.json`` and the store's copy; the next run of the job re-makes exactly those steps (the
ledger compares the same hashes). It does not run them itself: the review flow does that.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from decimal import Decimal

from fastapi import HTTPException, status
from pydantic import BaseModel, Field

from storyreel.api.deps import AppState
from storyreel.assembly.spec import OutputSpec
from storyreel.pipeline.cost import estimate
from storyreel.pipeline.hashing import HashContext, changed_steps, file_sha256, step_hashes
from storyreel.pipeline.jobs import JobOptions
from storyreel.pipeline.layout import OutputLayout
from storyreel.pipeline.store import Job
from storyreel.plan import MAX_CAST, Plan, PlanError
from storyreel.providers import catalogue
from storyreel.providers.factory import resolve_choices

# Where an edit may be made: after the cheap stages (review) or after a render.
EDITABLE = frozenset({"review", "succeeded", "failed", "cancelled"})
Mutate = Callable[[Plan], None]


class EditPreview(BaseModel):
    """What an edit re-makes and what it costs (the studio contract's shape)."""

    remakes: list[str] = Field(description='Step keys made again: "cast:0", "frame:3", ...')
    cost_usd: float = Field(description="What those re-makes cost.")
    pending_usd: float = Field(description="What the job will still pay in all after this.")
    applied: bool = Field(description="False for a dry run.")
    summary: str = Field(description="One line for people.")


def _context(state: AppState, job: Job, plan: Plan) -> HashContext:
    """The parts of the hashes an edit can change; both sides of the comparison share the rest,
    so the providers' stand-in names below change no answer."""
    options = JobOptions.model_validate(job.options)
    images = resolve_choices(state.settings, options.overrides())["images"]
    limit = (
        catalogue.image_family(state.settings.image_model).reference_limit
        if images == "openai"
        else MAX_CAST
    )
    root = job.output_dir
    shas = {
        c.picture: file_sha256(root / c.picture)
        for c in plan.cast
        if c.picture and (root / c.picture).is_file()
    }
    return HashContext(
        image_provider=images,
        image_model=state.settings.image_model,
        frame_size=OutputSpec.for_resolution(options.resolution, options.aspect).size,
        video_provider="video",
        video_model=state.settings.video_model,
        resolution=options.resolution,
        speech_provider="speech",
        speech_model=state.settings.tts_model,
        voice_id=options.voice_id,
        speech_speed=state.settings.speech_speed,
        spec=OutputSpec.for_resolution(options.resolution, options.aspect),
        max_references=limit,
        picture_shas=shas,
    )


def _load(job: Job) -> Plan:
    if job.status not in EDITABLE:
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            f"job {job.id} is {job.status}: edit it once it is in review or finished "
            "(cancel it first to edit it now)",
        )
    path = OutputLayout(job.output_dir).plan
    try:
        return Plan.load(path)
    except (OSError, PlanError):
        raise HTTPException(
            status.HTTP_409_CONFLICT, f"job {job.id} has no plan to edit yet"
        ) from None


def _summary(remakes: list[str], cost: Decimal, applied: bool) -> str:
    if not remakes:
        return "re-makes nothing: $0.00"
    named = ", ".join(remakes[:6]) + (f" and {len(remakes) - 6} more" if len(remakes) > 6 else "")
    verb = "re-making" if applied else "re-makes"
    return f"{verb} {named}: ${cost:.2f}"


async def preview_and_save(
    state: AppState, job: Job, mutate: Mutate, *, dry_run: bool, done: Mapping[str, bool]
) -> EditPreview:
    """The preview of ``mutate`` on ``job``'s plan; saved unless ``dry_run``. ``done`` says which
    step keys are made (``True``)."""
    plan = await asyncio.to_thread(_load, job)
    edited = plan.model_copy(deep=True)
    mutate(edited)
    edited = Plan.model_validate(edited.model_dump())  # the edit meets the plan's own rules
    before = step_hashes(plan, await asyncio.to_thread(_context, state, job, plan))
    after = step_hashes(edited, await asyncio.to_thread(_context, state, job, edited))
    # A step the edit drops (a portrait an upload replaces) is not re-made.
    remakes = sorted(k for k in changed_steps(before, after) if k in after and done.get(k))
    runner = state.manager.runner
    providers = await asyncio.to_thread(
        runner.providers_for, JobOptions.model_validate(job.options)
    )
    try:
        cost_options = runner.cost_options(providers, JobOptions.model_validate(job.options))
    finally:
        await providers.aclose()
    lines = estimate(edited, cost_options, runner._prices())
    cost = sum((v for k, v in lines.by_step().items() if k in remakes), Decimal(0))
    pending = lines.without(k for k, made in done.items() if made and k not in remakes).total
    if not dry_run:
        await asyncio.to_thread(edited.save, OutputLayout(job.output_dir).plan)
        await state.store.set_plan(job.id, edited)
    return EditPreview(
        remakes=remakes,
        cost_usd=float(round(cost, 6)),
        pending_usd=float(round(pending, 6)),
        applied=not dry_run,
        summary=_summary(remakes, cost, not dry_run),
    )
