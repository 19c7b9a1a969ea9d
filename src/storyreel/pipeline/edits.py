"""Editing a job after its plan exists: what an edit re-makes, what that costs, and applying it.

Every studio action (a narration or prompt changed, a keyframe re-rolled or uploaded, a clip made
again; the cast's edits too) is an :data:`Edit`: a function that changes a copy of the job's plan.
The job store's records and the content hashes (:func:`~storyreel.pipeline.hashing.step_hashes`)
then say which steps the edited plan re-makes, exactly as the ledger will decide when it runs, and
the estimate (:func:`~storyreel.pipeline.cost.estimate`) prices them.

- :meth:`JobEdits.preview` answers that without changing anything (``dry_run``);
- :meth:`JobEdits.commit` saves the edited plan (``plan.json`` and the store) and queues the job
  again: with ``review`` it re-makes only the cheap steps the edit touched (keyframes,
  narration, storyboard) and stops in ``review``; without, it renders on, reusing the rest.

The caller then runs the queued job (the service hands it to its backend; the CLI renders the
folder). To hook another kind of edit in (the cast's), write an :data:`Edit` and pass it to
``preview`` and ``commit``; a new input file (an uploaded picture) is given to ``preview`` as
``uploads`` before it is written, so a dry run writes nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from storyreel.pipeline.cost import ZERO, CostOptions, PriceTable, estimate, format_usd
from storyreel.pipeline.events import ignore
from storyreel.pipeline.hashing import HashContext, file_sha256, step_hashes
from storyreel.pipeline.jobs import JobOptions, JobRunner
from storyreel.pipeline.layout import OutputLayout
from storyreel.pipeline.store import Job, Step
from storyreel.plan import Plan

Edit = Callable[[Plan], None]
# Steps whose record is compared with the edited plan's hash; a mux or the join is re-made when
# what it joins is (their hashes take the paced narration and the music, known only at render).
_COMPARED = ("frame", "speech", "video")
# The store's record of who made a step whose file is an earlier version chosen again.
ADOPTED = "version"


@dataclass(frozen=True)
class EditPreview:
    """What an edit re-makes (step keys), what those cost, and what the job will still pay."""

    remakes: tuple[str, ...]
    cost: Decimal
    pending: Decimal
    summary: str


@dataclass
class JobEdits:
    """The edits of one job that has a plan. Build with :meth:`open` (closes its providers)."""

    runner: JobRunner
    job: Job
    plan: Plan
    context: HashContext
    cost: CostOptions

    @classmethod
    async def open(cls, runner: JobRunner, job: Job, plan: Plan) -> JobEdits:
        """The job's hash context comes from the providers it runs with (names and models)."""
        options = JobOptions.model_validate(job.options)
        providers = await asyncio.to_thread(runner.providers_for, options)
        try:
            pipeline = runner.work_for(job, providers, ignore, plan=plan).pipeline
            render = pipeline.options
            context = HashContext(
                image_provider=providers.images.name,
                image_model=providers.images.describe(),
                frame_size=pipeline.spec.size,
                video_provider=providers.video.name,
                video_model=providers.video.describe(),
                resolution=render.resolution,
                speech_provider=providers.speech.name,
                speech_model=providers.speech.describe(),
                voice_id=render.voice_id,
                speech_speed=render.speech_speed,
                spec=pipeline.spec,
                subtitles=render.subtitles,
            )
            return cls(runner, job, plan, context, runner.cost_options(providers, options))
        finally:
            await providers.aclose()

    def edited(self, edit: Edit) -> Plan:
        """A checked copy of the plan with ``edit`` applied (a bad value raises the plan's own
        ValidationError, which the API answers as a 422)."""
        plan = self.plan.model_copy(deep=True)
        edit(plan)
        return Plan.model_validate(plan.model_dump())

    async def preview(self, edit: Edit, *, uploads: Mapping[int, str] | None = None) -> EditPreview:
        """What applying ``edit`` re-makes and costs; changes nothing. ``uploads``: the sha of
        a picture about to become keyframe k (not written yet)."""
        after = self.edited(edit)
        records = {step.key: step for step in await self.runner.store.list_steps(self.job.id)}
        before_shas = await asyncio.to_thread(self._upload_shas, self.plan, {})
        after_shas = await asyncio.to_thread(self._upload_shas, after, uploads or {})
        before = stale_steps(self.plan, self.context, records, before_shas)
        stale = stale_steps(after, self.context, records, after_shas)
        remakes = sorted(stale - before, key=_step_order)
        prices = await asyncio.to_thread(self.runner.price_table)  # a file, read once
        edited = _narrations_changed(self, after)
        return self._priced(after, prices, records, stale, remakes, edited=edited)

    async def outstanding(self) -> EditPreview:
        """What rendering the plan as it stands makes and costs (what approving pays)."""
        records = {step.key: step for step in await self.runner.store.list_steps(self.job.id)}
        shas = await asyncio.to_thread(self._upload_shas, self.plan, {})
        stale = stale_steps(self.plan, self.context, records, shas)
        prices = await asyncio.to_thread(self.runner.price_table)
        remakes = sorted(stale, key=_step_order)
        return self._priced(self.plan, prices, records, stale, remakes, edited=(), verb="makes")

    async def adopt(self, edit: Edit, key: str, path: Path) -> None:
        """Record ``path`` as step ``key``'s file under the edited plan's inputs (an earlier
        clip chosen again), so the ledger reuses it instead of paying for it."""
        after = self.edited(edit)
        store = self.runner.store
        records = {step.key: step for step in await store.list_steps(self.job.id)}
        shas = await asyncio.to_thread(self._upload_shas, after, {})

        def recorded(name: str) -> str | None:
            step = records.get(name)
            return step.artefact_sha256 if step is not None and step.state == "done" else None

        inputs = step_hashes(after, self.context, artefact_sha=recorded, uploads=shas)[key]
        await store.start_step(self.job.id, key, inputs, provider=ADOPTED)
        sha = await asyncio.to_thread(file_sha256, path)
        await store.complete(self.job.id, key, path=path, sha256=sha)

    async def pending(self) -> Decimal:
        """What the job will still pay, as its plan stands."""
        return (await self.preview(lambda _plan: None)).pending

    async def commit(self, edit: Edit, *, review: bool) -> Plan:
        """Save the edited plan and queue the job: to stop in ``review`` after the cheap pass,
        or (``review`` false) to render on. The caller starts it."""
        after = self.edited(edit)
        store, layout = self.runner.store, OutputLayout(self.job.output_dir)
        await asyncio.to_thread(after.save, layout.plan)
        await store.set_plan(self.job.id, after)
        await store.set_options(self.job.id, {**self.job.options, "review": review})
        await store.set_status(self.job.id, "queued")
        self.plan = after
        return after

    def _upload_shas(self, plan: Plan, given: Mapping[int, str]) -> dict[int, str]:
        root = self.job.output_dir
        shas = {k: file_sha256(root / name) for k, name in plan.frame_files.items()
                if k not in given and (root / name).is_file()}  # fmt: skip
        return {**shas, **given}

    def _priced(
        self,
        after: Plan,
        prices: PriceTable,
        records: Mapping[str, Step],
        stale: Collection[str],
        remakes: list[str],
        *,
        edited: Collection[int],
        verb: str = "re-makes",
    ) -> EditPreview:
        # Narration-first durations are exact once spoken; an edited narration's is a guess.
        durations = {i: s.duration for i, s in enumerate(after.segments) if i not in edited}
        est = estimate(after, self.cost, prices, durations=durations)
        by_step = est.by_step()
        cost = sum((by_step.get(key, ZERO) for key in remakes), ZERO)
        done = {key for key, step in records.items() if step.state == "done"} - set(stale)
        pending = est.without(done).total
        summary = describe(remakes, cost, pending, verb)
        if any(f"video:{i}" in done for i in edited):
            # Speech decides durations: known only once the new narration is spoken.
            summary += "; a narration that needs another clip length re-makes its clip too"
        return EditPreview(tuple(remakes), cost, pending, summary)


def _narrations_changed(edits: JobEdits, after: Plan) -> set[int]:
    pairs = zip(edits.plan.segments, after.segments, strict=False)
    return {i for i, (a, b) in enumerate(pairs) if a.narration != b.narration}


def _valid(step: Step | None, inputs_hash: str) -> bool:
    return step is not None and step.state == "done" and step.inputs_hash == inputs_hash


def stale_steps(
    plan: Plan, ctx: HashContext, records: Mapping[str, Step], uploads: Mapping[int, str]
) -> set[str]:
    """Every step of ``plan`` the ledger would make (again): not done, or done from other
    inputs. A stale step's file will change, so what is made from it is stale too: repeated
    until nothing more turns stale (a few rounds: frames, clips). A mux (and the join) is stale
    when what it joins is, or was made again after it (e.g. by the cheap pass of a review):
    their hashes take the paced narration and the music, known only at render."""
    stale: set[str] = set()

    def sha(key: str) -> str | None:
        step = records.get(key)
        if key in stale or step is None or step.state != "done":
            return None  # its input hash stands in: never a recorded file's sha
        return step.artefact_sha256

    while True:
        hashes = step_hashes(plan, ctx, artefact_sha=sha, uploads=uploads)
        now = {
            key
            for key, value in hashes.items()
            if key.partition(":")[0] in _COMPARED and not _valid(records.get(key), value)
        }
        if now <= stale:
            break
        stale |= now
    for i in range(len(plan.segments)):
        if {f"video:{i}", f"speech:{i}"} & stale or _older(records, f"mux:{i}", _made_from(i)):
            stale.add(f"mux:{i}")
    muxes = [f"mux:{i}" for i in range(len(plan.segments))]
    if any(key in stale for key in muxes) or _older(records, "assemble", muxes):
        stale.add("assemble")
    return stale


def _made_from(i: int) -> list[str]:
    return [f"video:{i}", f"speech:{i}"]


def _older(records: Mapping[str, Step], key: str, inputs: Collection[str]) -> bool:
    """Whether ``key`` is not done, or was made before one of ``inputs`` was (made again):
    what it joined has changed since."""
    step = records.get(key)
    if step is None or step.state != "done" or step.finished_at is None:
        return True
    made = [records[k].finished_at for k in inputs if k in records]
    return any(when is not None and when > step.finished_at for when in made)


_ORDER = {"frame": 0, "speech": 1, "video": 2, "mux": 3, "assemble": 4}


def _step_order(key: str) -> tuple[int, int]:
    kind, _, index = key.partition(":")
    return _ORDER.get(kind, 9), int(index) if index.isdigit() else 0


def describe(
    remakes: Collection[str], cost: Decimal, pending: Decimal, verb: str = "re-makes"
) -> str:
    """One line for people: "re-makes frame 3, narration 2 and clips 3 and 4: $0.62"."""
    groups: dict[str, list[int]] = {"frame": [], "narration": [], "clip": []}
    for key in remakes:
        kind, _, index = key.partition(":")
        if kind == "frame":
            groups["frame"].append(int(index))  # frames are numbered from 0, as on the board
        elif kind in ("speech", "video"):
            groups["narration" if kind == "speech" else "clip"].append(int(index) + 1)
    parts = [_named(word, sorted(numbers)) for word, numbers in groups.items() if numbers]
    if not parts:
        what = "re-assembles the video" if "assemble" in remakes else f"{verb} nothing"
    else:
        what = f"{verb} " + _joined(parts)
    return f"{what}: {format_usd(cost)} (then {format_usd(pending)} left to pay in all)"


def _named(word: str, numbers: list[int]) -> str:
    plural = word + "s" if len(numbers) > 1 else word
    return f"{plural} {_joined([str(n) for n in numbers])}"


def _joined(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


__all__ = ["Edit", "EditPreview", "JobEdits", "describe", "stale_steps"]
