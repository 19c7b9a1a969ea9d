"""MiniMaxVideoGen against a stand-in client: frame preparation, submit, fetch, and errors."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import pytest
from PIL import Image

from storyreel import errors
from storyreel.config import Settings
from storyreel.errors import ProviderError
from storyreel.minimax import (
    AsyncMiniMax,
    ContentPolicyError,
    InsufficientBalanceError,
    TaskFailedError,
    TaskTimeoutError,
    UnknownOutcomeError,
    VideoTask,
)
from storyreel.providers.base import ClipRequest
from storyreel.providers.minimax_video import (
    MiniMaxVideoGen,
    WakeRegistry,
    prepare_frames,
)

MP4 = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64


class StubClient:
    """Implements the four client calls the provider uses, recording what it was given."""

    def __init__(self) -> None:
        self.created: list[dict[str, Any]] = []
        self.create_error: Exception | None = None
        self.statuses = ["Queueing", "Processing", "Success"]
        self.wait_error: Exception | None = None
        self.wakes: list[asyncio.Event | None] = []
        self.downloads: list[tuple[str, Path]] = []

    async def generate_video_fl2v(
        self, prompt: str, first_frame_image: Path, last_frame_image: Path, **kwargs: Any
    ) -> str:
        # The prepared frames only live during the call: look at them now.
        sizes = []
        for path in (first_frame_image, last_frame_image):
            with Image.open(path) as img:
                sizes.append((img.format, img.size))
        self.created.append({"prompt": prompt, "frames": sizes, **kwargs})
        if self.create_error is not None:
            raise self.create_error
        return "106916112212032"

    async def wait_for_video(
        self,
        task_id: str,
        *,
        on_status: Callable[[VideoTask], None] | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 - mirrors the client's signature
        wake: asyncio.Event | None = None,
    ) -> VideoTask:
        self.wakes.append(wake)
        if self.wait_error is not None:
            raise self.wait_error
        task = None
        for status in self.statuses:
            file_id = "176844028768320" if status == "Success" else None
            task = VideoTask.model_validate(
                {"task_id": task_id, "status": status, "file_id": file_id}
            )
            if on_status is not None:
                on_status(task)
        assert task is not None
        return task

    async def download_file(
        self, file_id: str, dest: Path, on_progress: Callable[[int, int | None], None] | None = None
    ) -> Path:
        self.downloads.append((file_id, dest))
        await asyncio.to_thread(dest.write_bytes, MP4)
        if on_progress is not None:
            on_progress(len(MP4), len(MP4))
        return dest


def frame(path: Path, size: tuple[int, int], colour: tuple[int, int, int] = (10, 120, 200)) -> Path:
    Image.new("RGB", size, colour).save(path)
    return path


@pytest.fixture
def request_(tmp_path: Path) -> ClipRequest:
    return ClipRequest(
        segment=3,
        prompt="the fox crosses the bridge",
        camera="Pan left",
        first_frame=frame(tmp_path / "f3.png", (1536, 1024)),
        last_frame=frame(tmp_path / "f4.png", (1280, 720)),
        duration=6,
        resolution="768P",
    )


def provider(stub: StubClient, **kwargs: Any) -> MiniMaxVideoGen:
    return MiniMaxVideoGen(Settings(), client=cast(AsyncMiniMax, stub), **kwargs)


async def test_submit_sends_same_size_jpegs_and_settings(request_: ClipRequest) -> None:
    stub = StubClient()
    task_id = await provider(stub, callback_url="https://example.test/hook").submit(request_)

    assert task_id == "106916112212032"
    sent = stub.created[0]
    assert sent["frames"] == [("JPEG", (1536, 1024)), ("JPEG", (1536, 1024))]
    assert sent["prompt"] == "[Pan left] the fox crosses the bridge"
    assert sent["model"] == "MiniMax-Hailuo-02"
    assert (sent["duration"], sent["resolution"]) == (6, "768P")
    assert sent["callback_url"] == "https://example.test/hook"


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        ((1536, 1024), (1536, 1024)),
        ((320, 180), (1365, 768)),  # short side too small: scaled up
        ((3840, 2160), (1920, 1080)),  # large: scaled down to keep the data URL small
        ((1000, 200), (1920, 768)),  # 5:1 cropped to 5:2, then scaled up
        ((200, 1000), (768, 1920)),
        # portrait and square keyframes (GPT any-size 9:16, offline 720P/768P, 1:1) stay as drawn
        ((864, 1536), (864, 1536)),
        ((720, 1280), (720, 1280)),
        ((768, 1366), (768, 1366)),
        ((1024, 1024), (1024, 1024)),
    ],
)
def test_prepare_frames_meets_frame_rules(
    tmp_path: Path, size: tuple[int, int], expected: tuple[int, int]
) -> None:
    first = frame(tmp_path / "a.png", size)
    last = frame(tmp_path / "b.png", (640, 640))
    out_first, out_last = prepare_frames(first, last, tmp_path)
    for path in (out_first, out_last):
        with Image.open(path) as img:
            assert img.format == "JPEG" and img.size == expected
            width, height = img.size
            assert min(width, height) > 300 and 2 / 5 <= width / height <= 5 / 2


def test_a_portrait_first_frame_makes_the_last_one_portrait(tmp_path: Path) -> None:
    # Hailuo-02 follows the first frame: a landscape last frame is cropped to its shape here.
    first = frame(tmp_path / "a.png", (864, 1536))
    last = frame(tmp_path / "b.png", (1536, 864))
    for path in prepare_frames(first, last, tmp_path):
        with Image.open(path) as img:
            assert img.size == (864, 1536)


@pytest.mark.parametrize(
    ("resolution", "aspect", "clip"),
    [
        ("768P", "16:9", (1366, 768, 25)),
        ("768P", "9:16", (768, 1366, 25)),
        ("720P", "9:16", (768, 1366, 25)),  # 720P is made from 768P clips
        ("1080P", "9:16", (1080, 1920, 25)),
        ("768P", "1:1", None),  # undocumented: re-encoded to the canvas
    ],
)
def test_native_clip_follows_the_first_frame_shape(
    resolution: str, aspect: str, clip: tuple[int, int, int] | None
) -> None:
    assert provider(StubClient()).native_clip(resolution, aspect) == clip


def test_the_output_adopts_portrait_clips() -> None:
    from storyreel.pipeline.output_format import output_spec

    spec = output_spec("768P", provider(StubClient()), "9:16")
    assert (spec.width, spec.height, spec.fps) == (768, 1366, 25)
    square = output_spec("768P", provider(StubClient()), "1:1")
    assert (square.width, square.height) == (768, 768)


async def test_fetch_waits_downloads_and_reports_progress(
    request_: ClipRequest, tmp_path: Path
) -> None:
    stub = StubClient()
    wakes = WakeRegistry()
    seen: list[tuple[float, str]] = []
    out = tmp_path / "clips" / "segment_3.mp4"

    result = await provider(stub, wakes=wakes).fetch(
        "106916112212032", request_, out, lambda f, s: seen.append((f, s))
    )

    assert result == out and out.read_bytes() == MP4
    assert stub.downloads[0][0] == "176844028768320"
    assert stub.downloads[0][1] != out  # downloaded beside it, then renamed
    assert not list(out.parent.glob(".*"))
    # The download is announced as it starts (the timeline's mark), then its bytes count.
    statuses = ["Queueing", "Processing", "Success", "Downloading", "Downloading", "Success"]
    assert [s for _, s in seen] == statuses
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert isinstance(stub.wakes[0], asyncio.Event)
    assert "106916112212032" not in wakes  # cleaned up after the wait


def test_wake_registry_keeps_an_early_callback() -> None:
    wakes = WakeRegistry()
    wakes.notify("42")  # the webhook arrives before fetch starts waiting
    assert wakes.event("42").is_set()


async def test_content_policy_at_create_names_segment(request_: ClipRequest) -> None:
    stub = StubClient()
    stub.create_error = ContentPolicyError(
        "input new_sensitive", code=1026, endpoint="video_generation", trace_id="trace-1"
    )
    with pytest.raises(ProviderError) as info:
        await provider(stub).submit(request_)
    err = info.value
    assert (err.stage, err.provider, err.segment, err.code, err.trace_id) == (
        "video",
        "minimax",
        3,
        1026,
        "trace-1",
    )
    assert "content policy" in str(err) and "segment 3's video_prompt" in str(err)
    assert isinstance(err.__cause__, ContentPolicyError)


async def test_task_failing_with_1027_names_segment(request_: ClipRequest, tmp_path: Path) -> None:
    stub = StubClient()
    stub.wait_error = TaskFailedError("output sensitive", task_id="7", code=1027, trace_id="t2")
    out = tmp_path / "c.mp4"
    with pytest.raises(ProviderError) as info:
        await provider(stub).fetch("7", request_, out)
    err = info.value
    assert (err.segment, err.code, err.trace_id) == (3, 1027, "t2")
    assert "generated video" in str(err) and "segment 3" in str(err)
    assert not out.exists()


async def test_other_task_failure_and_timeout(request_: ClipRequest, tmp_path: Path) -> None:
    stub = StubClient()
    stub.wait_error = TaskFailedError("task failed", task_id="7", code=None)
    with pytest.raises(ProviderError, match="video task 7 failed"):
        await provider(stub).fetch("7", request_, tmp_path / "c.mp4")

    stub.wait_error = TaskTimeoutError("still running", task_id="7")
    with pytest.raises(ProviderError) as info:
        await provider(stub).fetch("7", request_, tmp_path / "c.mp4")
    assert info.value.retryable and info.value.code == "timeout"


async def test_unknown_outcome_stays_distinguishable(request_: ClipRequest) -> None:
    stub = StubClient()
    stub.create_error = UnknownOutcomeError("no answer", endpoint="video_generation")
    with pytest.raises(ProviderError) as info:
        await provider(stub).submit(request_)
    err = info.value
    assert err.outcome == "unknown" and isinstance(err, errors.UnknownOutcomeError)
    assert isinstance(err.__cause__, UnknownOutcomeError)
    assert err.segment == 3 and not err.retryable


async def test_balance_error_keeps_code(request_: ClipRequest) -> None:
    stub = StubClient()
    stub.create_error = InsufficientBalanceError("insufficient balance", code=1008, trace_id="t3")
    with pytest.raises(ProviderError) as info:
        await provider(stub).submit(request_)
    assert info.value.code == 1008 and "out of credit" in str(info.value)
    assert info.value.outcome == "failed"
