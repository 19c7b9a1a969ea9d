"""Running each step through the job store, so paid work happens exactly once across crashes.

For every step the ledger asks the store what to do (:func:`decide_step`):

- ``reuse``: the artefact is there and its checksum matches; nothing is made or paid again;
- ``resume``: a video task was accepted earlier; wait for that task id instead of creating one;
- ``run``: make it. Paid calls record their intent *before* the request and the provider's id
  the moment it comes back, *before* waiting;
- ``unknown_outcome``: a video request was sent but the process died before its id came back.
  The provider may have accepted and billed it, so the ledger stops and asks (``repeat_unknown``).

Without a store (library use) :class:`NullLedger` simply runs each step.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Protocol

from storyreel.errors import ProviderError, StoryreelError, UnknownOutcomeError
from storyreel.pipeline.cost import ZERO, Budget
from storyreel.pipeline.hashing import afile_sha256
from storyreel.pipeline.store import JobStore, decide_step
from storyreel.providers.hooks import BeforeSend

log = logging.getLogger(__name__)

Make = Callable[[], Awaitable[Path]]
# A provider's submit, given the hook to await right before its paid request leaves.
Submit = Callable[[BeforeSend], Awaitable[str]]
Fetch = Callable[[str], Awaitable[Path]]


class Ledger(Protocol):
    async def produce(
        self, key: str, inputs_hash: str, make: Make, *, provider: str, paid: bool
    ) -> tuple[Path, bool]:
        """Make (or reuse) one artefact. Returns its path and whether it was reused."""
        ...

    async def produce_task(
        self, key: str, inputs_hash: str, submit: Submit, fetch: Fetch, *, provider: str, paid: bool
    ) -> tuple[Path, bool]:
        """The two-step form for providers with task ids (video): submit, record, then fetch."""
        ...

    async def spent(self) -> Decimal: ...


class NullLedger:
    """No store: every step runs; nothing is remembered."""

    async def produce(
        self, key: str, inputs_hash: str, make: Make, *, provider: str, paid: bool
    ) -> tuple[Path, bool]:
        return await make(), False

    async def produce_task(
        self, key: str, inputs_hash: str, submit: Submit, fetch: Fetch, *, provider: str, paid: bool
    ) -> tuple[Path, bool]:
        return await fetch(await submit(_nothing_to_record)), False

    async def spent(self) -> Decimal:
        return ZERO


@dataclass
class StoreLedger:
    """Every step through ``store`` under job ``job_id``.

    ``price(key)`` gives a paid step's price (from the estimate of the plan being rendered); it
    is checked against ``budget`` before the call and recorded as spend when the step completes.
    """

    store: JobStore
    job_id: str
    budget: Budget = field(default_factory=Budget)
    price: Callable[[str], Decimal] = lambda _key: ZERO
    repeat_unknown: bool = False
    # Set when several processes work on one job (workers): a step is then made under a lease,
    # renewed while it runs, so a neighbour waits for a shared keyframe instead of paying for it
    # again, and a dead worker's step is taken over once its lease runs out.
    worker_id: str | None = None
    lease_seconds: float = 30.0
    claim_poll_seconds: float = 0.5

    @asynccontextmanager
    async def _lease(self, key: str, inputs_hash: str) -> AsyncIterator[bool]:
        """Hold ``key`` for this worker; yields True when another worker finished it meanwhile."""
        if self.worker_id is None:
            yield False
            return
        worker = self.worker_id
        while not await self.store.claim_step(self.job_id, key, worker, self.lease_seconds):
            decision = await decide_step(self.store, self.job_id, key, inputs_hash)
            if decision.action == "reuse":
                yield True
                return
            await asyncio.sleep(self.claim_poll_seconds)

        async def renew() -> None:
            while True:
                await asyncio.sleep(self.lease_seconds / 3)
                await self.store.claim_step(self.job_id, key, worker, self.lease_seconds)

        renewer = asyncio.create_task(renew())
        try:
            yield False
        finally:
            renewer.cancel()
            await asyncio.gather(renewer, return_exceptions=True)
            await self.store.release_step(self.job_id, key, worker)

    async def spent(self) -> Decimal:
        return (await self.store.spend(self.job_id)).total

    async def _begin(
        self, key: str, inputs_hash: str, provider: str, paid: bool, *, repeat: bool = False
    ) -> int | None:
        """Write-ahead: the intent of a paid call is durable before its request leaves.

        ``repeat``: the store's decision allows sending a lost synchronous call again."""
        if not paid:
            await self.store.start_step(self.job_id, key, inputs_hash, provider=provider)
            return None
        cost = self.price(key)
        self.budget.ensure_room(await self.spent(), cost, what=key)
        intent = await self.store.begin_paid(
            self.job_id,
            key,
            inputs_hash,
            provider,
            estimate_usd=cost,
            repeat=self.repeat_unknown or repeat,
        )
        return intent.attempt

    async def _complete(self, key: str, path: Path, attempt: int | None, paid: bool) -> None:
        sha = await afile_sha256(path)
        cost = self.price(key) if paid else None
        await self.store.complete(
            self.job_id, key, path=path, sha256=sha, cost_usd=cost, attempt=attempt
        )

    async def produce(
        self, key: str, inputs_hash: str, make: Make, *, provider: str, paid: bool
    ) -> tuple[Path, bool]:
        async with self._lease(key, inputs_hash) as done_elsewhere:
            if done_elsewhere:
                return await self._reuse(key)
            return await self._produce(key, inputs_hash, make, provider=provider, paid=paid)

    async def produce_task(
        self, key: str, inputs_hash: str, submit: Submit, fetch: Fetch, *, provider: str, paid: bool
    ) -> tuple[Path, bool]:
        async with self._lease(key, inputs_hash) as done_elsewhere:
            if done_elsewhere:
                return await self._reuse(key)
            return await self._produce_task(
                key, inputs_hash, submit, fetch, provider=provider, paid=paid
            )

    async def _reuse(self, key: str) -> tuple[Path, bool]:
        step = await self.store.get_step(self.job_id, key)
        assert step is not None and step.artefact_path is not None
        return step.artefact_path, True

    async def _produce(
        self, key: str, inputs_hash: str, make: Make, *, provider: str, paid: bool
    ) -> tuple[Path, bool]:
        decision = await decide_step(self.store, self.job_id, key, inputs_hash)
        if decision.action == "reuse" and decision.step and decision.step.artefact_path:
            log.debug("%s: reused (%s)", key, decision.reason)
            return decision.step.artefact_path, True
        if decision.repeats_paid_call:
            log.info("%s: %s", key, decision.reason)
        attempt = await self._begin(
            key, inputs_hash, provider, paid, repeat=decision.repeats_paid_call
        )
        try:
            path = await make()
        except BaseException as error:
            await self._failed(key, error, attempt)
            raise
        await self._complete(key, path, attempt, paid)
        return path, False

    async def _produce_task(
        self, key: str, inputs_hash: str, submit: Submit, fetch: Fetch, *, provider: str, paid: bool
    ) -> tuple[Path, bool]:
        if not paid:  # a local renderer has no task to resume: its "task id" is free to remake

            async def make() -> Path:
                return await fetch(await submit(_nothing_to_record))

            return await self._produce(key, inputs_hash, make, provider=provider, paid=False)
        decision = await decide_step(self.store, self.job_id, key, inputs_hash)
        if decision.action == "reuse" and decision.step and decision.step.artefact_path:
            return decision.step.artefact_path, True
        if decision.action == "unknown_outcome" and not self.repeat_unknown:
            raise _lost(key, provider, f"{decision.reason}. {self._repeat_hint()}")
        attempt: int | None = None
        if decision.action == "resume" and decision.provider_ref:
            log.info(
                "%s: resuming task %s instead of creating it again", key, decision.provider_ref
            )
            ref = decision.provider_ref
            attempt = decision.step.attempts if decision.step else None
        else:
            self.budget.ensure_room(await self.spent(), self.price(key), what=key)  # fail early
            sent = False

            async def before_send() -> None:
                # The intent becomes durable only now, after the frames are prepared and a
                # rate-limit slot is granted: a worker killed while it waited for a slot has
                # sent nothing, and its step must not read "may have been billed".
                nonlocal attempt, sent
                if not sent:
                    attempt = await self._begin(key, inputs_hash, provider, paid)
                    sent = True

            try:
                ref = await submit(before_send)
            except BaseException as error:
                if sent:  # otherwise nothing left: the step's record is as it was
                    await self._failed(key, error, attempt, submitted=False)
                if _outcome(error, submitted=False) == "unknown":
                    said = error.message if isinstance(error, ProviderError) else str(error)
                    raise _lost(key, provider, f"{said}. {self._repeat_hint()}") from error
                raise
            # The moment the id exists it is durable: a crash from here on resumes, never repays.
            await self.store.record_submitted(self.job_id, key, ref, attempt=attempt)
        try:
            path = await fetch(ref)
        except BaseException as error:
            await self._failed(key, error, attempt, submitted=True)
            raise
        await self._complete(key, path, attempt, paid)
        return path, False

    def _repeat_hint(self) -> str:
        return (
            "Check the provider's console; to send it again anyway (it may be billed twice): "
            f"storyreel resume {self.job_id} --repeat-unknown"
        )

    async def _failed(
        self, key: str, error: BaseException, attempt: int | None, *, submitted: bool = False
    ) -> None:
        """Record a definite failure. Interruptions and lost answers leave the record as it is:
        a submitted task stays resumable, an unanswered paid request stays 'unknown outcome'."""
        if not isinstance(error, Exception):  # cancelled, Ctrl-C, shutdown
            return
        outcome = _outcome(error, submitted=submitted)
        if outcome == "unknown":
            return
        if submitted and outcome != "failed":
            return  # e.g. a download that failed: the task is still there to fetch again
        await self.store.fail(self.job_id, key, str(error), attempt=attempt)


async def _nothing_to_record() -> None:
    """The ``before_send`` of unpaid (local) work: nothing is billed, so nothing to write ahead."""


def _outcome(error: BaseException, *, submitted: bool) -> str:
    """What ``error`` means for the step: storyreel's own outcome; anything else (a bug, an
    error no boundary translated) is a definite failure before submitting, and leaves a
    submitted task alone."""
    if isinstance(error, StoryreelError):
        return error.outcome
    return "transient" if submitted else "failed"


def _lost(key: str, provider: str, message: str) -> UnknownOutcomeError:
    stage, _, index = key.partition(":")
    segment = int(index) + 1 if index.isdigit() and stage not in {"frame", "cast"} else None
    return UnknownOutcomeError(message, stage=stage, provider=provider, segment=segment)
