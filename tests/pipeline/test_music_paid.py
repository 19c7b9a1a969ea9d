"""Issue 12, ``--music auto`` with a real MiniMax key (the fake MiniMax): one paid
music_generation call per job, priced in the estimate and recorded as spend, none on resume."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal
from pathlib import Path

import pytest

from storyreel.cli.running import job_runner
from storyreel.config import Settings
from storyreel.minimax import AsyncMiniMax, MiniMaxValidationError
from storyreel.pipeline.cost import PriceTable
from storyreel.pipeline.jobs import JobOptions
from storyreel.pipeline.render_types import RenderResult
from tests.assembly.test_mix import loudness
from tests.fakes.fake_minimax import FakeMiniMax

STORY = "The keeper climbed the tower at dusk and lit the lamp. Far out, a boat turned for home."
# MiniMax narrates and makes the bed; the rest is offline (free and quick).
OPTIONS = {"planner": "offline", "images": "offline", "video": "offline", "speech": "minimax"}


async def test_music_auto_is_one_paid_call_per_job_and_none_on_resume(
    fake_minimax: FakeMiniMax, tmp_path: Path
) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    options = JobOptions.model_validate(
        {**OPTIONS, "segments": 1, "resolution": "720P", "music": "auto"}
    )
    out = tmp_path / "out"
    async with job_runner(settings) as runner:
        job, _ = await runner.find_or_create(STORY, options, out)
        before = await runner.estimate(job)
        music_price = PriceTable().music_per_track["music-2.0"]
        assert before.by_stage()["music"] == music_price
        assert [line.step for line in before.lines if line.stage == "music"] == ["music"]

        result = await runner.run(job.id)
        assert isinstance(result, RenderResult)
        assert fake_minimax.accepted["music_generation"] == 1
        spend = await runner.store.spend(job.id)
        assert spend.by_step["music"] == music_price
        music_step = await runner.store.get_step(job.id, "music")
        assert music_step is not None and music_step.intent_at is not None  # written ahead
        manifest = json.loads((out / "manifest.json").read_text())
        assert manifest["music"]["track"] == "music.mp3"
        measured = await asyncio.to_thread(loudness, out / "final_video.mp4")
        assert measured.integrated == pytest.approx(-16.0, abs=1.0) and measured.true_peak <= -1.5
        assert (await runner.estimate(job)).total == Decimal(0)  # nothing left to pay

        # Resume (the same job again, e.g. after a crash after the bed): the bed is reused.
        (out / "final_video.mp4").unlink()
        again = await runner.run(job.id)
        assert isinstance(again, RenderResult) and again.video.is_file()
    assert fake_minimax.accepted["music_generation"] == 1


async def test_the_client_validates_before_sending(fake_minimax: FakeMiniMax) -> None:
    async with AsyncMiniMax() as client:
        with pytest.raises(MiniMaxValidationError, match="prompt"):
            await client.music_generation("short")
        with pytest.raises(MiniMaxValidationError, match="model"):
            await client.music_generation("A calm instrumental bed", model="music-9")
        result = await client.music_generation("A calm instrumental bed for a story")
    assert result.audio and result.duration_ms == 12_000
    assert fake_minimax.accepted["music_generation"] == 1
