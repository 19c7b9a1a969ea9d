"""The fake OpenAI works with the official SDK: structured-output plans, real images, faults."""

from __future__ import annotations

import base64
import io
import os
from collections.abc import Iterator
from typing import Any, Literal

import httpx
import openai
import pytest
from openai import OpenAI
from PIL import Image
from pydantic import BaseModel, ConfigDict, Field

from storyreel.minimax._config import MiniMaxSettings
from tests.fakes.fake_minimax import FakeMiniMax
from tests.fakes.fake_openai import FakeOpenAI
from tests.fakes.fixtures import FakeAPIs

STORY = (
    "Mira found a small copper robot in her grandmother's garden. It could not speak, but its "
    "eyes glowed whenever she sang. Every evening she taught it a new song. One night the robot "
    "sang back to her, and the whole garden lit up."
)
CAMERAS = ["Zoom in", "Pan left", "Pan right", "Tilt up", "Push in", "Static shot"]
CAMERA_ENUM: dict[str, Any] = {"enum": CAMERAS}


class Segment(BaseModel):
    model_config = ConfigDict(extra="forbid")
    narration: str
    duration: Literal[6, 10]
    camera: str = Field(json_schema_extra=CAMERA_ENUM)
    video_prompt: str
    first_frame_prompt: str
    last_frame_prompt: str


class Character(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    look: str


class Draft(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str
    style: str
    characters: list[Character]
    segments: list[Segment]


@pytest.fixture
def client(fake_openai: FakeOpenAI) -> Iterator[OpenAI]:
    with OpenAI(base_url=fake_openai.base_url, api_key=fake_openai.api_key, max_retries=0) as sdk:
        yield sdk


def _decode(b64: str | None) -> Image.Image:
    assert b64
    image = Image.open(io.BytesIO(base64.b64decode(b64)))
    image.load()
    return image


def _check_plan(draft: Draft, count: int) -> None:
    assert len(draft.segments) == count
    assert draft.title and draft.style
    assert " ".join(s.narration for s in draft.segments).split() == STORY.split()
    for before, after in zip(draft.segments, draft.segments[1:], strict=False):
        assert after.first_frame_prompt == before.last_frame_prompt  # continuity
    for seg in draft.segments:
        assert seg.camera in CAMERAS
        assert seg.video_prompt.startswith(f"[{seg.camera}] ")
        assert seg.duration == (10 if len(seg.narration.split()) > 13 else 6)
    assert "Mira" in [c.name for c in draft.characters]


@pytest.mark.parametrize("count", [2, 4, 7])
def test_chat_completions_parse_answers_a_plan_of_the_requested_size(
    client: OpenAI, fake_openai: FakeOpenAI, count: int
) -> None:
    completion = client.chat.completions.parse(
        model="gpt-4o",
        messages=[
            {"role": "system", "content": "You plan narrated videos."},
            {
                "role": "user",
                "content": f"Split it into exactly {count} segments.\n\nStory:\n{STORY}",
            },
        ],
        response_format=Draft,
    )
    draft = completion.choices[0].message.parsed
    assert draft is not None
    _check_plan(draft, count)
    assert completion.usage is not None and completion.usage.total_tokens > 0
    sent = fake_openai.plan_requests()[0]["response_format"]
    assert sent["type"] == "json_schema" and sent["json_schema"]["strict"] is True


def test_without_a_count_there_is_one_segment_per_sentence(client: OpenAI) -> None:
    completion = client.chat.completions.parse(
        model="gpt-4o",
        messages=[{"role": "user", "content": f"Story: {STORY}"}],
        response_format=Draft,
    )
    draft = completion.choices[0].message.parsed
    assert draft is not None
    _check_plan(draft, 4)


def test_responses_parse_works_too(client: OpenAI, fake_openai: FakeOpenAI) -> None:
    response = client.responses.parse(
        model="gpt-4o",
        instructions="Split it into exactly 3 segments.",
        input=[{"role": "user", "content": f"<story>{STORY}</story>"}],
        text_format=Draft,
    )
    assert response.output_parsed is not None
    _check_plan(response.output_parsed, 3)
    assert fake_openai.accepted["responses"] == 1


def test_refusals_for_a_marked_prompt(client: OpenAI, fake_openai: FakeOpenAI) -> None:
    fake_openai.refuse_prompts_containing("dragonfire")
    completion = client.chat.completions.parse(
        model="gpt-4o",
        messages=[{"role": "user", "content": "Story: The dragonfire burned."}],
        response_format=Draft,
    )
    message = completion.choices[0].message
    assert message.parsed is None and message.refusal


@pytest.mark.parametrize(
    ("model", "size", "extra"),
    [
        ("gpt-image-1", "1536x1024", {}),
        ("gpt-image-1", "1024x1024", {"output_format": "jpeg"}),
        ("dall-e-3", "1792x1024", {"response_format": "b64_json"}),
    ],
)
def test_images_generate_real_pictures_of_the_requested_size(
    client: OpenAI, model: str, size: str, extra: dict[str, str]
) -> None:
    answer = client.images.generate(model=model, prompt="a copper robot", size=size, **extra)  # type: ignore[call-overload]
    assert answer.data
    image = _decode(answer.data[0].b64_json)
    assert f"{image.width}x{image.height}" == size
    assert image.format == ("JPEG" if extra.get("output_format") == "jpeg" else "PNG")


def test_different_prompts_draw_different_pictures_and_urls_work(client: OpenAI) -> None:
    first = client.images.generate(model="dall-e-3", prompt="a garden at dusk", size="1024x1024")
    second = client.images.generate(model="dall-e-3", prompt="a robot singing", size="1024x1024")
    assert first.data and second.data and first.data[0].url and second.data[0].url
    one, two = httpx.get(first.data[0].url).content, httpx.get(second.data[0].url).content
    assert Image.open(io.BytesIO(one)).size == (1024, 1024)
    assert one != two


def test_image_requests_are_validated(client: OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as bad_size:
        client.images.generate(model="dall-e-3", prompt="x", size="1536x1024")
    assert bad_size.value.code == "invalid_value"
    with pytest.raises(openai.BadRequestError):
        client.images.generate(model="gpt-image-1", prompt="x", response_format="b64_json")


def test_images_edit_starts_from_the_reference(client: OpenAI, fake_openai: FakeOpenAI) -> None:
    reference = Image.new("RGB", (1536, 1024), (200, 30, 30))
    buffer = io.BytesIO()
    reference.save(buffer, format="PNG")
    edited = client.images.edit(
        model="gpt-image-1",
        image=("ref.png", buffer.getvalue(), "image/png"),
        prompt="the same scene, later",
        size="1536x1024",
    )
    assert edited.data
    image = _decode(edited.data[0].b64_json).convert("RGB")
    assert image.size == (1536, 1024)
    red, green, _ = image.getpixel((5, 1020))  # type: ignore[misc]
    assert red > green  # the red reference shows through the tint
    assert fake_openai.images_made == 1 and fake_openai.calls["images/edits"] == 1


def test_faults_and_content_policy(client: OpenAI, fake_openai: FakeOpenAI) -> None:
    fake_openai.fail_next("images/generations", status=429, retry_after=3)
    fake_openai.fail_next("images/generations", status=500)
    fake_openai.reject_images_containing("gore")
    with pytest.raises(openai.RateLimitError) as limited:
        client.images.generate(model="gpt-image-1", prompt="fine")
    assert limited.value.response.headers["retry-after"] == "3"
    with pytest.raises(openai.InternalServerError):
        client.images.generate(model="gpt-image-1", prompt="fine")
    with pytest.raises(openai.BadRequestError) as policy:
        client.images.generate(model="gpt-image-1", prompt="lots of GORE")
    assert policy.value.code == "content_policy_violation"
    assert client.images.generate(model="gpt-image-1", prompt="fine").data
    assert fake_openai.calls["images/generations"] == 4 and fake_openai.images_made == 1


def test_the_sdk_retries_a_429_honouring_retry_after(fake_openai: FakeOpenAI) -> None:
    fake_openai.fail_next("chat/completions", status=429, retry_after=0.01)
    with OpenAI(base_url=fake_openai.base_url, api_key=fake_openai.api_key, max_retries=1) as sdk:
        sdk.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}])
    assert fake_openai.calls["chat/completions"] == 2
    assert fake_openai.accepted["chat/completions"] == 1


def test_a_wrong_key_is_a_401_that_does_not_repeat_the_real_key(fake_openai: FakeOpenAI) -> None:
    with (
        OpenAI(base_url=fake_openai.base_url, api_key="sk-wrong-key-1234", max_retries=0) as sdk,
        pytest.raises(openai.AuthenticationError) as denied,
    ):
        sdk.images.generate(model="gpt-image-1", prompt="x")
    assert denied.value.code == "invalid_api_key"
    assert fake_openai.api_key not in str(denied.value)


def test_fixtures_point_the_environment_at_the_fakes(fake_apis: FakeAPIs) -> None:
    minimax, openai_fake = fake_apis
    assert isinstance(minimax, FakeMiniMax) and isinstance(openai_fake, FakeOpenAI)
    assert os.environ["OPENAI_BASE_URL"] == openai_fake.base_url
    assert os.environ["OPENAI_API_KEY"] == openai_fake.api_key
    settings = MiniMaxSettings()
    assert settings.base_url == minimax.url and not settings.mocked
    assert settings.poll_initial_delay == 0
    with OpenAI() as sdk:  # the SDK reads OPENAI_BASE_URL / OPENAI_API_KEY itself
        assert sdk.images.generate(model="gpt-image-1", prompt="env").data
    assert openai_fake.images_made == 1
