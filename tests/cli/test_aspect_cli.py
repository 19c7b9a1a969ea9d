"""Issue 12, the video's shape: an offline make in each aspect gives a video of that shape, every
stage of it too (keyframes, clip, segment, storyboard), and burned 9:16 captions stay in the
frame, above the phone's bottom overlay. Media are checked by probing the written files."""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path

import av
import numpy as np
import pytest
import srt
from PIL import Image

from storyreel.assembly.spec import canvas
from storyreel.assembly.subtitles import PORTRAIT_SAFE_BOTTOM
from tests.cli.conftest import Invoke
from tests.fakes.fake_minimax import FakeMiniMax

STORY = "The keeper climbed the tower at dusk and lit the lamp for the boats far out at sea."


@pytest.fixture
def story(tmp_path: Path) -> Path:
    path = tmp_path / "story.txt"
    path.write_text(STORY, encoding="utf-8")
    return path


def _video_size(path: Path) -> tuple[int, int]:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        return stream.codec_context.width, stream.codec_context.height


def _make(cli: Invoke, story: Path, out: Path, aspect: str, *extra: str) -> None:
    args = ["make", str(story), "--out", str(out), "--offline", "-n", "1", "--resolution", "720P"]
    made = cli(*args, "--aspect", aspect, *extra)
    assert made.code == 0, made.output


def _assert_shape(out: Path, aspect: str) -> None:
    size = canvas("720P", aspect)
    assert _video_size(out / "final_video.mp4") == size
    assert _video_size(out / "segments" / "01" / "clip.mp4") == size
    assert _video_size(out / "segments" / "01" / "segment.mp4") == size
    for frame in sorted((out / "frames").glob("frame_*.png")):
        with Image.open(frame) as image:
            assert image.size == size, frame
    with Image.open(out / "storyboard.png") as board:
        board.load()  # it renders, whole
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["aspect"] == aspect


@pytest.mark.parametrize("aspect", ["16:9", "1:1"])
def test_offline_make_in_each_aspect_has_its_shape(
    aspect: str, cli: Invoke, story: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    _make(cli, story, out, aspect)
    _assert_shape(out, aspect)


def test_portrait_make_and_its_burned_captions_stay_in_the_safe_area(
    cli: Invoke, story: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    _make(cli, story, out, "9:16")
    width, height = canvas("720P", "9:16")
    assert (width, height) == (720, 1280)
    _assert_shape(out, "9:16")
    plan = json.loads((out / "plan.json").read_text())
    assert "9:16 portrait" in plan["style"]  # the frames are composed for the shape

    # Burned in again over the same segments: the caption is what changed between the two.
    plain = tmp_path / "plain.mp4"
    (out / "final_video.mp4").rename(plain)
    _make(cli, story, out, "9:16", "--subtitles", "burn")
    first_cue = next(srt.parse((out / "final_video.srt").read_text()))
    at = first_cue.start.total_seconds() + 0.5
    frame, before = _frame_at(out / "final_video.mp4", at), _frame_at(plain, at)
    assert frame.shape[:2] == (height, width)
    changed = np.abs(frame.astype(int) - before.astype(int)).max(axis=-1) > 60
    rows, cols = np.nonzero(changed)
    assert rows.size > 0
    # inside the frame with room to spare, and above the bottom overlay of phone apps
    assert rows.min() > height // 2 and rows.max() < height - PORTRAIT_SAFE_BOTTOM * height
    assert cols.min() > 0 and cols.max() < width - 1


def _frame_at(path: Path, seconds: float) -> np.ndarray:
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            if float(frame.pts * frame.time_base) >= seconds:
                return np.asarray(frame.to_image())
    raise AssertionError(f"no frame at {seconds} s")


def test_an_unknown_aspect_is_one_line_exit_2_before_any_job(
    cli: Invoke, story: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    result = cli("make", str(story), "--out", str(out), "--offline", "--aspect", "4:3")
    assert result.code == 2, result.output
    assert result.flat_stderr.startswith("error: --aspect: "), result.stderr
    assert all(choice in result.flat_stderr for choice in ("16:9", "9:16", "1:1"))
    assert len(result.stderr.strip().splitlines()) <= 2, result.stderr  # one line (rich may wrap)
    assert not out.exists()
    assert str(out) not in cli("jobs").output  # no job, nothing paid
    plan = cli("plan", str(story), "--out", str(out), "--offline", "--aspect", "2:1")
    assert plan.code == 2 and "--aspect" in plan.flat_stderr


def test_portrait_clips_from_the_fake_minimax_are_copied_portrait(
    fake_minimax: FakeMiniMax,
    cli: Invoke,
    story: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MINIMAX_POLL_INTERVAL", "0.05")
    out = tmp_path / "out"
    stages = ["--planner", "offline", "--images", "offline", "--speech", "offline"]
    made = cli(
        "make", str(story), "--out", str(out), "-n", "1", "--aspect", "9:16", "--yes",
        *stages, "--video", "minimax",
    )  # fmt: skip
    assert made.code == 0, made.output
    (body,) = fake_minimax.video_requests()
    first = base64.b64decode(body["first_frame_image"].split(",", 1)[1])
    with Image.open(io.BytesIO(first)) as image:
        assert image.size == (768, 1366)  # sent portrait, within MiniMax's frame rules
    # Hailuo-02's 768P portrait clip is the output's format: 768x1366 at 25 fps, copied.
    assert _video_size(out / "segments" / "01" / "clip.mp4") == (768, 1366)
    assert _video_size(out / "final_video.mp4") == (768, 1366)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["segments"][0]["video_mux"] == "copied", manifest


def test_plan_keeps_the_aspect_and_render_can_change_it(
    cli: Invoke, story: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    planned = cli("plan", str(story), "--out", str(out), "--offline", "-n", "1", "--aspect", "1:1")
    assert planned.code == 0, planned.output
    assert cli("render", str(out), "--aspect", "5:4").code == 2  # checked before anything runs
    rendered = cli("render", str(out), "--aspect", "9:16", "--yes")
    assert rendered.code == 0, rendered.output
    assert _video_size(out / "final_video.mp4") == canvas("768P", "9:16")
    with Image.open(out / "frames" / "frame_00.png") as image:
        assert image.size == canvas("768P", "9:16")  # drawn again for the new canvas
