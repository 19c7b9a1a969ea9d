"""The output format follows the video provider's own clips when they are sane (issue 15), so
a clip is stream-copied into its segment instead of re-encoded and frame-rate converted."""

from __future__ import annotations

import pytest

from storyreel.config import Settings
from storyreel.pipeline.output_format import output_spec
from storyreel.providers.minimax_video import MiniMaxVideoGen
from storyreel.providers.offline import OfflineVideoGen


class Native:
    def __init__(self, shape: tuple[int, int, int] | None) -> None:
        self.shape = shape

    def native_clip(self, resolution: str, aspect: str = "16:9") -> tuple[int, int, int] | None:
        return self.shape


@pytest.mark.parametrize(
    ("resolution", "expected"),
    [("720P", (1366, 768, 25)), ("768P", (1366, 768, 25)), ("1080P", (1920, 1080, 25))],
)
async def test_hailuo_02_clips_are_the_output_format(
    resolution: str, expected: tuple[int, int, int]
) -> None:
    video = MiniMaxVideoGen(Settings(_env_file=None))  # type: ignore[call-arg]
    try:
        spec = output_spec(resolution, video)
    finally:
        await video.aclose()
    assert (spec.width, spec.height, spec.fps) == expected
    assert (spec.video_codec, spec.pix_fmt) == ("libx264", "yuv420p")


async def test_another_video_model_keeps_the_requested_format() -> None:
    settings = Settings(_env_file=None, video_model="MiniMax-Hailuo-2.3")  # type: ignore[call-arg]
    video = MiniMaxVideoGen(settings)
    try:
        spec = output_spec("768P", video)
    finally:
        await video.aclose()
    assert (spec.width, spec.height, spec.fps) == (1366, 768, 24)


def test_offline_clips_are_rendered_in_the_requested_format() -> None:
    spec = output_spec("720P", OfflineVideoGen())
    assert (spec.width, spec.height, spec.fps) == (1280, 720, 24)


@pytest.mark.parametrize(
    "shape",
    [(1366, 767, 25), (1366, 768, 5), (1366, 768, 120), (1024, 1024, 25)],
    ids=["odd height", "too few fps", "too many fps", "another aspect"],
)
def test_an_odd_native_format_is_not_adopted(shape: tuple[int, int, int]) -> None:
    spec = output_spec("768P", Native(shape))
    assert (spec.width, spec.height, spec.fps) == (1366, 768, 24)
