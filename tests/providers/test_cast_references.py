"""Keyframes of a plan with a cast, drawn against the fake OpenAI on a real local socket: each
edit carries exactly the references of the characters its frame shows, compared by sha256."""

from __future__ import annotations

import hashlib
import itertools
from pathlib import Path

import openai
import pytest
from PIL import Image

from storyreel.config import Settings
from storyreel.pipeline.events import ignore
from storyreel.pipeline.hashing import frame_prompts
from storyreel.pipeline.keyframes import Keyframes
from storyreel.pipeline.layout import OutputLayout
from storyreel.pipeline.ledger import NullLedger
from storyreel.pipeline.steps import Steps
from storyreel.plan import Plan
from storyreel.providers.openai_images import OpenAIImageGen
from tests.fakes.fake_openai import EDIT_MAX_IMAGES, FakeOpenAI

FRAME_SIZE = (1280, 720)
SEGMENT = {"narration": "x", "video_prompt": "[Zoom in] x", "camera": "Zoom in", "duration": 6}


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def picture(path: Path, colour: tuple[int, int, int]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (512, 768), colour).save(path)
    return path


def two_character_plan(tom_picture: str | None) -> Plan:
    prompts = [
        "Mira opens the lighthouse door",
        "Mira and Tom climb the stairs",
        "The lamp alone, shining over the sea",
        "Tom waves from the rocks",
    ]
    segments = [
        {**SEGMENT, "first_frame_prompt": a, "last_frame_prompt": b}
        for a, b in itertools.pairwise(prompts)
    ]
    cast = [
        {"name": "Mira", "description": "a girl in a red coat", "picture": "cast/upload_mira.png"},
        {"name": "Tom", "description": "a boy in a blue jacket", "picture": tom_picture},
    ]
    return Plan.model_validate({"title": "t", "segments": segments, "cast": cast})


async def draw_all(plan: Plan, root: Path) -> Keyframes:
    images = OpenAIImageGen(Settings())
    layout = OutputLayout(root)
    layout.prepare(len(plan.segments))
    frames = Keyframes(Steps(ignore, NullLedger(), concurrency=2, remote_video=False), images,
                       layout, FRAME_SIZE)  # fmt: skip
    try:
        for k in range(len(plan.segments) + 1):
            await frames.frame(plan, k)
        await frames.cast_pictures(plan)
    finally:
        await images.aclose()
    return frames


def edits_by_frame(fake: FakeOpenAI, plan: Plan) -> dict[int, list[str]]:
    """Which frame each edit drew (its prompt ends with the frame's prompt) -> its images."""
    out: dict[int, list[str]] = {}
    for request in fake.edit_requests:
        prompt = str(request["prompt"])
        matches = [k for k, p in enumerate(frame_prompts(plan)) if p in prompt]
        assert len(matches) == 1, prompt
        out[matches[0]] = list(request["images"])
    return out


async def test_each_edit_carries_its_frames_uploaded_references(
    fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    plan = two_character_plan("cast/upload_tom.png")
    mira = picture(tmp_path / "cast/upload_mira.png", (200, 30, 30))
    tom = picture(tmp_path / "cast/upload_tom.png", (30, 60, 200))
    await draw_all(plan, tmp_path)

    assert edits_by_frame(fake_openai, plan) == {
        0: [sha(mira)],
        1: [sha(mira), sha(tom)],
        3: [sha(tom)],
    }
    # The frame showing nobody is drawn from text; no portrait is drawn for an uploaded picture.
    assert fake_openai.accepted["images/generations"] == 1
    assert fake_openai.accepted["images/edits"] == 3
    both = next(r for r in fake_openai.edit_requests if len(r["images"]) == 2)
    assert "Image 1 is Mira: a girl in a red coat" in both["prompt"]
    assert "Image 2 is Tom: a boy in a blue jacket" in both["prompt"]


async def test_a_drawn_portrait_is_the_reference_of_its_frames(
    fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    plan = two_character_plan(None)
    mira = picture(tmp_path / "cast/upload_mira.png", (200, 30, 30))
    await draw_all(plan, tmp_path)

    portrait = OutputLayout(tmp_path).portrait(1)
    assert portrait.is_file()
    assert edits_by_frame(fake_openai, plan) == {
        0: [sha(mira)],
        1: [sha(mira), sha(portrait)],
        3: [sha(portrait)],
    }
    # Tom's portrait (square) and the empty frame were generated; nothing drawn twice.
    assert fake_openai.accepted["images/generations"] == 2
    sizes = [r["size"].split("x") for r in fake_openai.image_requests]
    assert sum(width == height for width, height in sizes) == 1


async def test_the_fake_refuses_more_images_than_an_edit_takes(
    fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    one = picture(tmp_path / "p.png", (1, 2, 3))
    data = one.read_bytes()
    client = openai.AsyncOpenAI(max_retries=0)
    try:
        with pytest.raises(openai.BadRequestError, match="up to 16 images"):
            await client.images.edit(
                model="gpt-image-2.5-flare",
                image=[(f"{n}.png", data, "image/png") for n in range(EDIT_MAX_IMAGES + 1)],
                prompt="too many",
            )
        with pytest.raises(openai.BadRequestError, match="Invalid image file format"):
            gif = tmp_path / "a.gif"
            Image.new("RGB", (64, 64)).save(gif)
            await client.images.edit(
                model="gpt-image-2.5-flare",
                image=[("a.gif", gif.read_bytes(), "image/gif")],
                prompt="a gif",
            )
    finally:
        await client.close()
    assert fake_openai.accepted["images/edits"] == 0
