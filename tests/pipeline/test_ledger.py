"""The ledger's write-ahead for video tasks: the paid intent is recorded right before the request
leaves, not while the provider is still preparing frames or waiting for a rate-limit slot."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest

from storyreel.errors import BudgetExceededError, UnknownOutcomeError
from storyreel.pipeline.cost import Budget
from storyreel.pipeline.ledger import StoreLedger, Submit
from storyreel.pipeline.store import SQLiteJobStore, decide_step
from storyreel.providers.hooks import BeforeSend

KEY, INPUTS = "video:0", "inputs-hash"


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SQLiteJobStore]:
    async with SQLiteJobStore(tmp_path / "storyreel.db") as opened:
        yield opened


@pytest.fixture
async def ledger(store: SQLiteJobStore, tmp_path: Path) -> StoreLedger:
    job = await store.create_job("story", {}, tmp_path / "out")
    return StoreLedger(store, job.id, price=lambda _key: Decimal("0.28"))


async def fetch_to(tmp_path: Path, ref: str) -> Path:
    clip = tmp_path / f"{ref}.mp4"
    clip.write_bytes(b"clip")
    return clip


async def test_interrupted_while_waiting_for_a_slot_leaves_nothing_to_doubt(
    ledger: StoreLedger, store: SQLiteJobStore, tmp_path: Path
) -> None:
    waiting = asyncio.Event()

    async def submit(before_send: BeforeSend) -> str:
        waiting.set()
        await asyncio.Event().wait()  # a rate-limit slot that never comes
        await before_send()
        return "never"

    task = asyncio.create_task(
        ledger.produce_task(
            KEY, INPUTS, submit, lambda ref: fetch_to(tmp_path, ref), provider="p", paid=True
        )
    )
    await waiting.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    step = await store.get_step(ledger.job_id, KEY)
    assert step is None or not step.unknown_outcome
    assert (await decide_step(store, ledger.job_id, KEY, INPUTS)).action == "run"
    # So the next run simply sends it.
    path, reused = await ledger.produce_task(
        KEY, INPUTS, sends("task-1"), lambda ref: fetch_to(tmp_path, ref), provider="p", paid=True
    )
    assert path.name == "task-1.mp4" and not reused
    done = await store.get_step(ledger.job_id, KEY)
    assert done is not None and done.attempts == 1 and done.provider_ref == "task-1"


def sends(task_id: str) -> Submit:
    async def submit(before_send: BeforeSend) -> str:
        await before_send()
        return task_id

    return submit


async def test_interrupted_after_the_request_left_is_an_unknown_outcome(
    ledger: StoreLedger, store: SQLiteJobStore, tmp_path: Path
) -> None:
    async def submit(before_send: BeforeSend) -> str:
        await before_send()
        raise asyncio.CancelledError  # the process stops before the answer comes back

    with pytest.raises(asyncio.CancelledError):
        await ledger.produce_task(
            KEY, INPUTS, submit, lambda ref: fetch_to(tmp_path, ref), provider="p", paid=True
        )
    step = await store.get_step(ledger.job_id, KEY)
    assert step is not None and step.unknown_outcome and step.attempts == 1
    with pytest.raises(UnknownOutcomeError, match="--repeat-unknown"):
        await ledger.produce_task(
            KEY, INPUTS, sends("x"), lambda ref: fetch_to(tmp_path, ref), provider="p", paid=True
        )


async def test_budget_is_checked_before_preparing_and_again_before_sending(
    store: SQLiteJobStore, tmp_path: Path
) -> None:
    job = await store.create_job("story", {}, tmp_path / "out")
    ledger = StoreLedger(
        store, job.id, budget=Budget(Decimal("0.10")), price=lambda _key: Decimal("0.28")
    )
    prepared: list[str] = []

    async def submit(before_send: BeforeSend) -> str:
        prepared.append("frames")
        await before_send()
        return "x"

    with pytest.raises(BudgetExceededError):
        await ledger.produce_task(
            KEY, INPUTS, submit, lambda ref: fetch_to(tmp_path, ref), provider="p", paid=True
        )
    assert prepared == []  # refused before any work
    assert await store.get_step(job.id, KEY) is None
