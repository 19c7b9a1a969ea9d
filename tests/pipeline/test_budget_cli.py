"""Cost before paying: ``--budget`` refuses before any paid call, the estimate is shown and must
be accepted (``--yes``; without a terminal nobody can say yes), and what a run really records as
spent stays within 10% of the estimate it showed."""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest

from storyreel.config import Settings
from storyreel.pipeline.cost import format_usd
from storyreel.pipeline.jobs import JobRunner
from tests.fakes.fixtures import FakeAPIs, assert_nothing_paid
from tests.pipeline._cli import CLI, STORY, StoreView, check_output

N = 2
MAKE = ("make", "story.txt", "--out", "out", "-n", str(N), "--resolution", "720P")
# One short segment: a 6 s clip, quick to render.
SHORT_STORY = "The keeper lights the lamp and the boat comes home."
TOTAL = re.compile(r"^\s*total\W+\$(\d+\.\d+)", re.MULTILINE)


@pytest.fixture
async def view() -> AsyncIterator[StoreView]:
    await asyncio.to_thread(Path("story.txt").write_text, STORY, encoding="utf-8")
    store = StoreView(Path(os.environ["STORYREEL_DATA_DIR"]))
    yield store
    await store.aclose()


def _estimate_shown(stderr: str) -> Decimal:
    totals = TOTAL.findall(stderr)
    assert len(totals) == 1, f"one estimate expected before spending:\n{stderr}"
    return Decimal(totals[0])


async def test_budget_below_the_estimate_refuses_before_any_call(
    fake_apis: FakeAPIs, view: StoreView, tmp_path: Path
) -> None:
    refused = await CLI(tmp_path / "logs").run(*MAKE, "--yes", "--budget", "0.01")
    assert refused.returncode == 2, refused.output
    assert "passes the budget of $0.01" in refused.stderr
    assert_nothing_paid(fake_apis)  # the preflight's free lookups only
    job = await view.job()
    assert job is None or job.spent_usd == 0


async def test_without_yes_and_without_a_terminal_nothing_is_spent(
    fake_apis: FakeAPIs, view: StoreView, tmp_path: Path
) -> None:
    asked = await CLI(tmp_path / "logs").run(*MAKE)
    assert asked.returncode == 2, asked.output
    assert _estimate_shown(asked.stderr) > 0  # the estimate came first...
    assert "--yes" in asked.stderr  # ...then what to do about it
    assert_nothing_paid(fake_apis)  # the preflight's free lookups only
    job = await view.job()
    assert job is None or job.spent_usd == 0


async def test_spend_recorded_is_within_ten_percent_of_the_estimate_shown(
    fake_apis: FakeAPIs, view: StoreView, tmp_path: Path
) -> None:
    minimax, openai = fake_apis
    cli = CLI(tmp_path / "logs")
    await asyncio.to_thread(Path("short.txt").write_text, SHORT_STORY, encoding="utf-8")
    planned = await cli.run("plan", "short.txt", "--out", "out", "-n", "1", "--yes")
    assert planned.returncode == 0, planned.output
    job = await view.job()
    assert job is not None
    plan_spend = (await view.store.spend(job.id)).total
    assert plan_spend > 0

    made = await cli.run("render", "out", "--yes")
    assert made.returncode == 0, made.output
    shown = _estimate_shown(made.stderr)
    await asyncio.to_thread(check_output, Path("out"), 1)

    job = await view.job()
    assert job is not None and job.status == "succeeded"
    spend = await view.store.spend(job.id)
    rendered = spend.total - plan_spend
    assert abs(rendered - shown) <= shown * Decimal("0.10"), (shown, spend)
    # Every paid call is on record, per stage and per step, once.
    assert set(spend.by_stage) == {"plan", "frame", "speech", "video"}
    assert len([k for k in spend.by_step if k.startswith("video:")]) == 1
    assert minimax.accepted["video_generation"] == 1
    assert openai.accepted["chat/completions"] == 1
    assert job.spent_usd == spend.total

    listed = await cli.run("jobs")
    assert listed.returncode == 0, listed.output
    row = next(line for line in listed.stdout.splitlines() if job.id in line)
    assert "succeeded" in row and format_usd(spend.total) in row


async def test_estimate_shown_by_make_is_within_ten_percent_of_what_the_plan_will_cost(
    fake_apis: FakeAPIs, view: StoreView, tmp_path: Path
) -> None:
    cli = CLI(tmp_path / "logs")
    asked = await cli.run(*MAKE)
    assert asked.returncode == 2, asked.output
    shown = _estimate_shown(asked.stderr)
    # The plan costs a cent; from it every figure but the planning is exact (narration-first
    # durations aside), and the render test above shows it within 10% of the spend.
    planned = await cli.run("plan", "story.txt", "--out", "out", "-n", str(N), "--yes")
    assert planned.returncode == 0, planned.output
    job = await view.job()
    assert job is not None
    settings = Settings()
    runner = JobRunner(settings, view.store)
    spent = (await view.store.spend(job.id)).total
    will_cost = spent + (await runner.estimate(job)).total
    assert abs(will_cost - shown) <= will_cost * Decimal("0.10"), (shown, will_cost)
