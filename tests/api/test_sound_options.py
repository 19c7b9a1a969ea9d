"""Issue 12 through the API: music (none/auto, never a server path), its volume and the subtitle
style are job options like the others, checked at submit."""

from __future__ import annotations

from pathlib import Path

import pytest

from storyreel.api.app import create_app
from tests.api.helpers import QUICK, STORY, in_process, offline_settings, wait_for


async def test_a_job_with_music_and_a_subtitle_style_runs(tmp_path: Path) -> None:
    options = {"music": "auto", "music_volume": 0.5, "subtitles": "burn", "subtitle_style": "clean"}
    async with in_process(create_app(offline_settings(tmp_path))) as client:
        created = await client.post("/jobs", json={"story": STORY, **QUICK, **options})
        assert created.status_code == 202, created.text
        job = await wait_for(client, created.json()["id"])
    for key, value in options.items():
        assert job["options"][key] == value


@pytest.mark.parametrize(
    "bad",
    [
        {"music": "/etc/passwd"},
        {"music": "loud"},
        {"music_volume": 0},
        {"music_volume": 1.5},
        {"music_volume": True},
        {"subtitle_style": "comic"},
    ],
)
async def test_bad_sound_options_are_422(bad: dict[str, object], tmp_path: Path) -> None:
    async with in_process(create_app(offline_settings(tmp_path))) as client:
        response = await client.post("/jobs", json={"story": STORY, **QUICK, **bad})
    assert response.status_code == 422, response.text
    assert next(iter(bad)) in response.text
