"""Prices, the estimate before paying, the budget guard, and estimate vs recorded spend."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from storyreel.config import Settings
from storyreel.errors import BudgetExceededError, ConfigError, UsageError
from storyreel.pipeline.cost import (
    Budget,
    CostOptions,
    PriceTable,
    estimate,
    estimated_clip_seconds,
    format_usd,
    from_micros,
    load_prices,
    to_micros,
    usd,
)
from storyreel.pipeline.store import SQLiteJobStore
from storyreel.plan import Plan, Segment

PAID = CostOptions()  # openai + minimax, gpt-image-2.5-flare medium 1536x864, Hailuo-02 768P
# gpt-image-1's medium price per 1024x1024 ($0.042, assumed for its successors), scaled by area.
FRAME = Decimal("0.0532")
OFFLINE = CostOptions(planner="offline", images="offline", video="offline", speech="offline")

SHORT = "The keeper lights the lamp."  # ~1.8 s of speech: a 6 s clip
LONG = (
    "Far out at sea the fishing boat turns for home, and the keeper, who has watched the "
    "horizon every night for forty years, sees its light at last."  # ~9.7 s: a 10 s clip
)


def sample_plan() -> Plan:
    narrations = [SHORT, LONG, SHORT, "Morning comes, and the sea is calm again."]
    return Plan(
        title="The lighthouse",
        style="watercolour",
        segments=[
            Segment(
                narration=text,
                video_prompt="[Push in] the lamp turns slowly",
                first_frame_prompt="a lighthouse at dusk",
                last_frame_prompt="the lamp ablaze",
                camera="Push in",
            )
            for text in narrations
        ],
    )


def test_money_is_exact() -> None:
    assert to_micros(usd("0.28")) == 280_000
    assert from_micros(280_000) == Decimal("0.28")
    assert to_micros(usd("0.0000005")) == 1  # half up
    total = sum((from_micros(to_micros(usd("0.1"))) for _ in range(10)), Decimal(0))
    assert total == Decimal(1)
    assert format_usd(usd("2.5")) == "$2.50"
    assert format_usd(usd("0.00425")) == "$0.0043"
    assert format_usd(Decimal(0)) == "$0.00"


def test_default_prices() -> None:
    prices = PriceTable()
    video = prices.video_clip
    assert video(provider="minimax", model="MiniMax-Hailuo-02", resolution="768p", duration=6) == (
        Decimal("0.28")
    )
    assert video(provider="minimax", model="MiniMax-Hailuo-02", resolution="768P", duration=10) == (
        Decimal("0.56")
    )
    assert video(provider="offline", model="anything", resolution="768P", duration=10) == 0
    assert prices.planning(
        provider="openai", model="gpt-4o", input_tokens=1000, output_tokens=1000
    ) == Decimal("0.0125")
    assert prices.speech(provider="minimax", model="speech-02-hd", characters=1500) == Decimal(
        "0.15"
    )
    assert prices.speech(provider="minimax", model="speech-02-turbo", characters=1000) == Decimal(
        "0.06"
    )
    assert prices.image(
        provider="openai", model="gpt-image-1", quality="medium", size="1536x1024"
    ) == Decimal("0.0630")  # OpenAI's own figure for 1536x1024 was $0.063
    assert (
        prices.image(
            provider="openai", model="gpt-image-2.5-flare", quality="medium", size="1536x864"
        )
        == FRAME
    )
    assert prices.clone(provider="minimax") == Decimal("3.00")
    assert prices.clone(provider="offline") == 0


def test_unknown_price_is_refused_not_zero() -> None:
    # Hailuo-02 has no 10 s clip at 1080P: pricing it must fail loudly, not count as free.
    with pytest.raises(UsageError) as caught:
        PriceTable().video_clip(
            provider="minimax", model="MiniMax-Hailuo-02", resolution="1080P", duration=10
        )
    assert caught.value.field == "prices.video.MiniMax-Hailuo-02"
    assert "1080P:10s" in str(caught.value) and "768P:6s" in str(caught.value)
    with pytest.raises(UsageError, match="claude"):
        PriceTable().planning(provider="openai", model="claude-x", input_tokens=1, output_tokens=1)


def test_a_model_new_to_the_table_is_priced_by_its_family_and_said_assumed() -> None:
    prices = PriceTable()
    # A name newer than the catalogue borrows the price of its closest relative.
    assert (
        prices.image(
            provider="openai",
            model="gpt-image-2.5-flare-2027-01-01",
            quality="medium",
            size="1536x864",
        )
        == FRAME
    )
    assert prices.video_clip(
        provider="minimax", model="MiniMax-Hailuo-2.3", resolution="768P", duration=6
    ) == Decimal("0.28")
    options = CostOptions(image_model="gpt-image-3-nova", planner_model="gpt-7")
    lines = {line.stage: line.detail for line in estimate("A fox. A river.", options).lines}
    assert lines["frame"].endswith("(price assumed)")
    assert lines["plan"].endswith("(price assumed)")
    checked = CostOptions(image_model="gpt-image-1", planner_model="gpt-4o")
    lines = {line.stage: line.detail for line in estimate("A fox. A river.", checked).lines}
    assert "assumed" not in lines["frame"] and "assumed" not in lines["plan"]


def test_price_file_json_merges_over_defaults(tmp_path: Path) -> None:
    path = tmp_path / "prices.json"
    path.write_text(
        json.dumps({"video": {"MiniMax-Hailuo-02": {"768P:6s": 0.3}}, "voice_clone": 1.5}),
        encoding="utf-8",
    )
    prices = load_prices(path)
    hailuo = prices.video["MiniMax-Hailuo-02"]
    assert hailuo["768P:6s"] == Decimal("0.3")  # exact, not 0.299999...
    assert hailuo["768P:10s"] == Decimal("0.56")  # untouched defaults stay
    assert prices.voice_clone == Decimal("1.5")
    assert prices.planner["gpt-4o"].input_per_1k == Decimal("0.0025")


def test_price_file_toml_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "prices.toml"
    path.write_text(
        'voice_clone = 2.1\n[speech_per_1k_chars]\n"speech-2.5-hd" = 0.1\n', encoding="utf-8"
    )
    monkeypatch.setenv("STORYREEL_PRICES", str(path))
    prices = load_prices(Settings().prices)
    assert prices.voice_clone == Decimal("2.1")
    assert prices.speech_per_1k_chars["speech-2.5-hd"] == Decimal("0.1")
    assert prices.speech_per_1k_chars["speech-02-hd"] == Decimal("0.10")


@pytest.mark.parametrize(
    ("text", "message"),
    [("{not json", "cannot read"), ('{"voice_clone": -1}', "voice_clone"), ('{"nope": 1}', "nope")],
)
def test_bad_price_file_is_a_config_error(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "prices.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_prices(path)
    with pytest.raises(ConfigError, match="cannot read"):
        load_prices(tmp_path / "missing.json")


def test_clip_length_follows_the_narration() -> None:
    assert estimated_clip_seconds(SHORT) == 6
    assert estimated_clip_seconds(LONG) == 10


def test_estimate_from_a_plan_is_itemised() -> None:
    plan = sample_plan()
    est = estimate(plan, PAID)
    assert {line.step for line in est.lines} == {
        *(f"frame:{k}" for k in range(5)),
        *(f"speech:{i}" for i in range(4)),
        *(f"video:{i}" for i in range(4)),
    }
    stages = est.by_stage()
    assert stages["frame"] == 5 * FRAME
    assert stages["video"] == 3 * Decimal("0.28") + Decimal("0.56")  # segment 1 needs 10 s
    chars = sum(len(s.narration) for s in plan.segments)
    assert stages["speech"] == Decimal("0.10") * chars / 1000
    assert "plan" not in stages  # the plan exists already
    assert est.total == sum(stages.values())
    assert est.by_segment()[1] == FRAME + Decimal("0.56") + Decimal("0.10") * len(LONG) / 1000
    # The orchestrator's exact durations override the guess.
    assert estimate(plan, PAID, durations={1: 6}).by_stage()["video"] == 4 * Decimal("0.28")


def test_estimate_from_a_story_includes_planning_and_voice() -> None:
    story = " ".join([LONG] * 4)
    est = estimate(story, PAID.model_copy(update={"clone_voice": True, "segments": 3}))
    assert est.lines[0].stage == "plan" and Decimal(0) < est.lines[0].usd < Decimal("0.05")
    assert est.by_stage()["voice"] == Decimal("3.00")
    assert len([line for line in est.lines if line.stage == "video"]) == 3
    assert len([line for line in est.lines if line.stage == "frame"]) == 4
    with pytest.raises(UsageError):
        estimate("   ", PAID)


def test_offline_costs_nothing_and_settings_pick_providers(monkeypatch: pytest.MonkeyPatch) -> None:
    assert CostOptions.from_settings(Settings()) == OFFLINE
    assert estimate(sample_plan(), CostOptions.from_settings(Settings())).total == 0
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.setenv("MINIMAX_API_KEY", "mm-test")
    paid = CostOptions.from_settings(Settings(), resolution="1080P")
    assert (paid.planner, paid.images, paid.video, paid.speech) == (
        "openai",
        "openai",
        "minimax",
        "minimax",
    )
    assert paid.resolution == "1080P"


def test_minimax_mock_mode_is_priced_as_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    # Mock mode builds the MiniMax providers, but no request leaves the process: nothing to pay.
    monkeypatch.setenv("MINIMAX_API_KEY", "mm-test")
    monkeypatch.setenv("MINIMAX_MOCK_MODE", "1")
    for choice in ("auto", "minimax"):
        monkeypatch.setenv("STORYREEL_VIDEO", choice)
        options = CostOptions.from_settings(Settings())
        assert (options.video, options.speech) == ("offline", "offline")


def test_without_leaves_what_is_still_to_pay() -> None:
    est = estimate(sample_plan(), PAID)
    rest = est.without(["video:0", "frame:0"])
    assert est.total - rest.total == Decimal("0.28") + FRAME


def test_budget_refuses_an_estimate_over_the_limit() -> None:
    est = estimate(sample_plan(), PAID)  # about $1.99
    Budget(None).check_estimate(est)
    Budget(usd("5")).check_estimate(est)
    with pytest.raises(BudgetExceededError, match=r"passes the budget of \$1.00"):
        Budget(usd("1")).check_estimate(est)
    with pytest.raises(BudgetExceededError, match="already spent"):
        Budget(usd("2.5")).check_estimate(est, spent=usd("1"))


def test_budget_stops_before_the_call_that_would_pass_it() -> None:
    budget = Budget(usd("1.00"))
    assert not budget.would_exceed(usd("0.72"), usd("0.28"))  # reaching the limit is allowed
    assert budget.would_exceed(usd("0.73"), usd("0.28"))
    assert not Budget(None).would_exceed(usd("1000"), usd("1000"))
    assert budget.remaining(usd("0.25")) == usd("0.75")
    with pytest.raises(BudgetExceededError, match="video:3"):
        budget.ensure_room(usd("0.9"), usd("0.28"), what="video:3")


async def test_estimate_matches_recorded_spend_within_ten_percent(tmp_path: Path) -> None:
    """Plan, then pay for every step as a run does, recording actuals from the providers' usage
    figures; the spend the store adds up is within 10% of the estimate shown before the run."""
    plan = sample_plan()
    prices = PriceTable()
    shown = estimate(plan, PAID, prices, include_planning=True)
    # What the providers report after the fact (the planner counts tokens its own way).
    usage_in, usage_out = 812, int(len(plan.model_dump_json()) / 3.6)
    durations = {0: 6, 1: 10, 2: 6, 3: 6}

    async with SQLiteJobStore(tmp_path / "jobs.db") as store:
        job = await store.create_job("story", {}, tmp_path / "out")

        async def pay(key: str, cost: Decimal, ref: str | None = None) -> None:
            intent = await store.begin_paid(job.id, key, f"hash-{key}", "p")
            if ref:
                await store.record_submitted(job.id, key, ref, attempt=intent.attempt)
            await store.complete(job.id, key, path=None, sha256=None, cost_usd=cost)

        await pay(
            "plan",
            prices.planning(
                provider="openai",
                model=PAID.planner_model,
                input_tokens=usage_in,
                output_tokens=usage_out,
            ),
        )
        for k in range(len(plan.segments) + 1):
            await pay(
                f"frame:{k}",
                prices.image(
                    provider="openai", model=PAID.image_model, quality="medium", size="1536x864"
                ),
            )
        for i, segment in enumerate(plan.segments):
            await pay(
                f"speech:{i}",
                prices.speech(
                    provider="minimax", model="speech-02-hd", characters=len(segment.narration)
                ),
            )
            await pay(
                f"video:{i}",
                prices.video_clip(
                    provider="minimax",
                    model="MiniMax-Hailuo-02",
                    resolution="768P",
                    duration=durations[i],
                ),
                ref=f"task-{i}",
            )
        spent = await store.spend(job.id)

    assert abs(spent.total - shown.total) <= shown.total * Decimal("0.10")
    for stage in ("frame", "speech", "video"):
        assert spent.by_stage[stage] == shown.by_stage()[stage], stage
    assert spent.by_segment[1] == shown.by_segment()[1]
