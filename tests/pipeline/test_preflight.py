"""Nothing is paid for a job that cannot succeed (issue 10): a retired or unknown model, a
rejected key or a missing voice stops the job before its first paid call, with one line naming
what to fix; a passing preflight is remembered; ``storyreel doctor`` shows the same checks."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path

import pytest

from storyreel.config import Settings
from storyreel.minimax import AsyncMiniMax
from storyreel.pipeline import preflight
from storyreel.providers import catalogue
from storyreel.providers._openai_common import build_openai_client
from tests.fakes.fixtures import FakeAPIs, assert_nothing_paid
from tests.pipeline._cli import CLI

ALL_REAL = {"planner": "openai", "images": "openai", "video": "minimax", "speech": "minimax"}
STORY = "The keeper lights the lamp and the boat comes home."


@pytest.fixture(autouse=True)
def _fresh_memory() -> None:
    preflight.forget()


@pytest.fixture
async def story(tmp_path: Path) -> AsyncIterator[Path]:
    path = tmp_path / "story.txt"
    await asyncio.to_thread(path.write_text, STORY, encoding="utf-8")
    yield path


async def run_preflight(settings: Settings, **calls: object) -> preflight.Report:
    openai_client = build_openai_client(settings.openai)
    minimax = AsyncMiniMax(settings.minimax)
    try:
        return await preflight.preflight(
            settings,
            preflight.Calls(stages=ALL_REAL, **calls),  # type: ignore[arg-type]
            openai_client=openai_client,
            minimax=minimax,
        )
    finally:
        await openai_client.close()
        await minimax.aclose()


# -- the catalogue's dates ----------------------------------------------------------------------


def test_the_defaults_have_no_announced_shutdown() -> None:
    for kind, name in catalogue.DEFAULTS.items():
        assert catalogue.lookup(kind, name).lifecycle is None, name


@pytest.mark.parametrize(
    ("kind", "name", "today", "verdict"),
    [
        ("images", "gpt-image-1", date(2026, 12, 3), "past"),
        ("images", "dall-e-3", date(2026, 12, 3), "past"),
        ("planner", "gpt-4-0613", date(2026, 12, 3), "past"),
        ("planner", "gpt-4o", date(2026, 12, 3), "warn"),  # 2027-01-14: 42 days
        ("planner", "gpt-4o", date(2026, 11, 1), None),  # 74 days: no word yet
        ("planner", "gpt-4o", date(2027, 1, 14), "past"),  # the day itself
        ("planner", "gpt-5.5", date(2026, 12, 3), None),
    ],
)
def test_a_shutdown_is_refused_when_past_and_warned_within_60_days(
    kind: catalogue.Kind, name: str, today: date, verdict: str | None
) -> None:
    notice = catalogue.shutdown_notice(kind, name, "STORYREEL_X_MODEL", today)
    if verdict is None:
        assert notice is None
        return
    assert notice is not None and notice.past == (verdict == "past")
    text = notice.text()
    assert name in text and "STORYREEL_X_MODEL" in text and "\n" not in text
    assert notice.info.lifecycle is not None and notice.info.lifecycle.replacement in text


# -- the preflight against the fakes -------------------------------------------------------------


async def test_a_passing_preflight_is_remembered(fake_apis: FakeAPIs) -> None:
    settings = Settings()
    first = await run_preflight(settings, voice_id="English_expressive_narrator")
    assert first.ok and not first.remembered, first.checks
    lookups = fake_apis.openai.accepted["models"], fake_apis.minimax.calls["get_voice"]
    assert lookups == (2, 1)  # both OpenAI models, one get_voice
    second = await run_preflight(settings, voice_id="English_expressive_narrator")
    assert second.ok and second.remembered
    assert (fake_apis.openai.accepted["models"], fake_apis.minimax.calls["get_voice"]) == lookups
    assert_nothing_paid(fake_apis)


@pytest.mark.parametrize(
    ("settings", "calls", "named"),
    [
        ({"planner_model": "gpt-9-nova"}, {}, "gpt-9-nova"),  # unknown to the service: 404
        ({"image_model": "gpt-image-1"}, {}, "gpt-image-1"),  # shut down 2026-10-23
        ({"image_quality": "ultra"}, {}, "STORYREEL_IMAGE_QUALITY"),
        ({"tts_model": "speech-9-hd"}, {}, "STORYREEL_TTS_MODEL"),  # a typo, before any plan
        ({"minimax": {"api_key": "mm-wrong"}}, {}, "MINIMAX_API_KEY"),
        ({}, {"voice_id": "NoSuchVoice01"}, "NoSuchVoice01"),
        ({"video_model": "MiniMax-Hailuo-02"}, {"resolution": "512P"}, "--resolution"),
    ],
)
async def test_a_failing_check_names_what_to_fix(
    fake_apis: FakeAPIs, settings: dict[str, object], calls: dict[str, object], named: str
) -> None:
    configured = Settings(**settings)  # type: ignore[arg-type]
    report = await run_preflight(configured, **calls)
    assert not report.ok
    with pytest.raises(Exception) as refused:
        report.raise_for_failure()
    assert named in str(refused.value) and "\n" not in str(refused.value)
    assert refused.value.exit_code == 2  # type: ignore[attr-defined]
    assert_nothing_paid(fake_apis)
    # A failure is not remembered: fixing the setting is seen at once.
    assert not (await run_preflight(configured, **calls)).remembered


async def test_a_voice_to_be_cloned_need_not_exist_yet(fake_apis: FakeAPIs) -> None:
    report = await run_preflight(Settings(), voice_id="MyNewVoice01", clones_voice=True)
    assert report.ok, report.checks


# -- whole commands --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("variable", "model"),
    [
        ("STORYREEL_IMAGE_MODEL", "dall-e-3"),
        ("STORYREEL_IMAGE_MODEL", "gpt-image-1"),
        ("STORYREEL_PLANNER_MODEL", "gpt-4-0613"),
    ],
)
async def test_a_retired_model_stops_make_before_any_paid_call(
    fake_apis: FakeAPIs, story: Path, tmp_path: Path, variable: str, model: str
) -> None:
    done = await CLI(tmp_path / "logs").run(
        "make", str(story), "--out", str(tmp_path / "out"), "--yes", extra_env={variable: model}
    )
    assert done.returncode == 2, done.output
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and model in errors[0] and variable in errors[0], done.stderr
    assert_nothing_paid(fake_apis)


async def test_doctor_offline_and_against_the_fakes(
    fake_apis: FakeAPIs, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli = CLI(tmp_path / "logs")
    ready = await cli.run("doctor")
    assert ready.returncode == 0, ready.output
    for name in ("FFmpeg", "offline speech", "job store", "OpenAI planner model", "MiniMax key"):
        assert name in ready.stdout
    assert "ready" in ready.stdout and " fail " not in ready.stdout
    retired = await cli.run("doctor", extra_env={"STORYREEL_IMAGE_MODEL": "dall-e-3"})
    assert retired.returncode == 2 and "dall-e-3 was shut down" in retired.stdout
    assert_nothing_paid(fake_apis)
    offline = await cli.run(
        "doctor", extra_env={"OPENAI_API_KEY": "", "MINIMAX_API_KEY": "", "OPENAI_BASE_URL": ""}
    )
    assert offline.returncode == 0, offline.output
    assert "planner offline" in offline.stdout and "MiniMax key" not in offline.stdout
