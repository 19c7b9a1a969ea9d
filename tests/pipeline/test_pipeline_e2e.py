"""Offline end to end (issue 3): a short story becomes a probed ``final_video.mp4`` with its
subtitles and manifest, through the real command in a real process; then the same folder with
``--subtitles burn`` re-makes only the final assembly, and the words show up in the picture."""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import shutil
from pathlib import Path

import av
import numpy as np
import srt

from storyreel.plan import Plan
from tests.pipeline._cli import CLI, STORY, check_output, video_mux

N = 2


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _frame_at(path: Path, seconds: float) -> np.ndarray:
    """The first decoded picture at or after ``seconds``, as an RGB array."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        for frame in container.decode(stream):
            if frame.time is not None and frame.time >= seconds:
                return frame.to_ndarray(format="rgb24").astype(np.int16)
    raise AssertionError(f"no frame at {seconds} s in {path}")


def _check_subtitles(out: Path, duration: float) -> list[srt.Subtitle]:
    plan = Plan.load(out / "plan.json")
    cues = list(srt.parse((out / "final_video.srt").read_text(encoding="utf-8")))
    assert len(cues) >= N
    spoken = " ".join(" ".join(c.content.split()) for c in cues)
    for segment in plan.segments:
        assert " ".join(segment.narration.split()) in spoken
    assert all(a.end <= b.start for a, b in itertools.pairwise(cues))
    assert cues[-1].end.total_seconds() <= duration + 0.05
    return cues


def _check_first_run(out: Path, keep: Path) -> tuple[float, dict[Path, str]]:
    info = check_output(out, N)
    assert info.video is not None and (info.video.width, info.video.height) == (1280, 720)
    assert video_mux(out) == ["copied"] * N  # offline clips are rendered in the output format
    _check_subtitles(out, info.duration)
    shutil.copy(out / "final_video.mp4", keep)
    return info.duration, {p: _sha(p) for p in out.glob("segments/*/segment.mp4")}


def _check_burned(out: Path, plain: Path, segments_before: dict[Path, str]) -> None:
    info = check_output(out, N)
    # The segments were reused as they were: only the final join was made again.
    assert {p: _sha(p) for p in out.glob("segments/*/segment.mp4")} == segments_before
    cues = _check_subtitles(out, info.duration)
    during = (cues[0].start.total_seconds() + cues[0].end.total_seconds()) / 2
    burned, clean = _frame_at(out / "final_video.mp4", during), _frame_at(plain, during)
    height = burned.shape[0]
    # Subtitles sit at the bottom: the lower band changes, the top of the picture does not.
    bottom = np.abs(burned[-height // 4 :] - clean[-height // 4 :]).mean()
    top = np.abs(burned[: height // 4] - clean[: height // 4]).mean()
    assert bottom > 3.0, bottom
    assert top < bottom / 3, (top, bottom)


async def test_offline_story_to_video_then_burned_subtitles(tmp_path: Path) -> None:
    cli = CLI(tmp_path / "logs")
    story = tmp_path / "story.txt"
    await asyncio.to_thread(story.write_text, STORY, encoding="utf-8")
    out = tmp_path / "out"
    # Offline costs nothing: no --yes needed even without a terminal.
    made = await cli.run(
        "make", str(story), "--out", str(out), "--offline", "-n", str(N), "--resolution", "720P"
    )
    assert made.returncode == 0, made.output
    assert f"done {N} segments" in made.stdout
    plain = tmp_path / "plain.mp4"
    duration, segments = await asyncio.to_thread(_check_first_run, out, plain)

    burned = await cli.run(
        "make",
        str(story),
        "--out",
        str(out),
        "--offline",
        "-n",
        str(N),
        "--resolution",
        "720P",
        "--subtitles",
        "burn",
    )
    assert burned.returncode == 0, burned.output
    assert "resuming job" in burned.stderr and "steps reused" in burned.stdout
    await asyncio.to_thread(_check_burned, out, plain, segments)
    assert duration > 0
