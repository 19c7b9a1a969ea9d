"""Issue 12, the video's shape below the CLI: the canvas table, the planners' composition hints,
the keyframe size the estimate prices and the offline frames and clips drawn for the canvas."""

from __future__ import annotations

from pathlib import Path

import av
import pytest
from PIL import Image

from storyreel.assembly.spec import ASPECTS, CANVASES, OutputSpec, canvas
from storyreel.pipeline.cost.estimate import CostOptions
from storyreel.providers.base import ClipRequest
from storyreel.providers.offline.images import OfflineImageGen
from storyreel.providers.offline.planner import build_plan
from storyreel.providers.offline.video import OfflineVideoGen
from storyreel.providers.openai_planner import SYSTEM_PROMPT, system_prompt


def test_every_aspect_has_even_canvases_of_its_shape() -> None:
    assert ASPECTS == ("16:9", "9:16", "1:1")
    assert canvas("768P", "9:16") == (768, 1366)  # Hailuo-02's 768P portrait
    assert canvas("1080P", "9:16") == (1080, 1920)
    assert canvas("720P", "1:1") == (720, 720)
    for aspect, sizes in CANVASES.items():
        for width, height in sizes.values():
            assert width % 2 == 0 and height % 2 == 0
            assert (width > height, width < height) == (aspect == "16:9", aspect == "9:16")
    with pytest.raises(ValueError, match="aspect"):
        OutputSpec.for_resolution("768P", "4:3")


def test_the_planners_compose_for_the_aspect() -> None:
    assert system_prompt() == SYSTEM_PROMPT and "16:9 landscape frame" in SYSTEM_PROMPT
    assert "9:16 portrait (vertical) frame" in system_prompt("9:16")
    assert "16:9" not in system_prompt("1:1")
    plan = build_plan("A keeper lit the lamp.", aspect="9:16", language="en")
    assert plan.style.endswith("9:16 portrait (vertical) composition")


@pytest.mark.parametrize(
    ("aspect", "size"), [("16:9", "1536x864"), ("9:16", "864x1536"), ("1:1", "1152x1152")]
)
def test_the_estimate_prices_keyframes_of_the_aspect(aspect: str, size: str) -> None:
    assert CostOptions(image_model="gpt-image-2", aspect=aspect).size == size


async def test_offline_frames_and_clips_are_drawn_for_the_canvas(tmp_path: Path) -> None:
    size = canvas("512P", "9:16")
    frames = [
        await OfflineImageGen().draw(prompt, out=tmp_path / f"{n}.png", size=size)
        for n, prompt in enumerate(["a tall lighthouse", "its lamp lit at night"])
    ]
    for path in frames:
        with Image.open(path) as image:
            assert image.size == size
    request = ClipRequest(
        segment=1,
        prompt="the lamp comes on",
        camera="Tilt up",
        first_frame=frames[0],
        last_frame=frames[1],
        duration=1,
        resolution="512P",
        aspect="9:16",
    )
    video = OfflineVideoGen()
    clip = await video.fetch(await video.submit(request), request, tmp_path / "clip.mp4")
    with av.open(str(clip)) as container:
        context = container.streams.video[0].codec_context
        assert (context.width, context.height) == size
