"""MiniMax mock mode end to end: its clips are shaped like Hailuo-02's (1366x768 at 768P, H.264
yuv420p, 25 fps), so ``make`` copies each into its segment as it would a real clip."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from storyreel.assembly.probe import probe
from tests.pipeline._cli import CLI, STORY, check_output, video_mux

N = 2


async def test_mock_clips_take_the_copy_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MINIMAX_MOCK_MODE", "1")  # no key: planner and images are offline
    story = tmp_path / "story.txt"
    await asyncio.to_thread(story.write_text, STORY, encoding="utf-8")
    out = tmp_path / "out"

    done = await CLI(tmp_path / "logs").run(
        "make", str(story), "--out", str(out), "-n", str(N), "--yes", "--resolution", "720P",
        seconds=300,  # generous: a loaded machine
    )  # fmt: skip

    assert done.returncode == 0, done.output
    manifest = json.loads(await asyncio.to_thread((out / "manifest.json").read_text))
    assert "mock" in manifest["providers"]["video"], manifest["providers"]
    info = check_output(out, N)
    assert info.video is not None
    assert (info.video.width, info.video.height, info.video.fps) == (1366, 768, 25)
    clip = (await asyncio.to_thread(probe, out / manifest["segments"][0]["clip"])).video
    assert clip is not None
    assert (clip.codec, clip.width, clip.height, clip.fps, clip.pix_fmt) == (
        "h264", 1366, 768, 25, "yuv420p"
    )  # fmt: skip
    assert await asyncio.to_thread(video_mux, out) == ["copied"] * N
