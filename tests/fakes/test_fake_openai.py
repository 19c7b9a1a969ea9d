"""The fake OpenAI works with the official SDK: structured-output plans, real images, faults."""

from __future__ import annotations

import base64
import io
import os
from collections.abc import Iterator
from typing import Any, Literal

import openai
import pytest
from openai import OpenAI
from PIL import Image
from pydantic import BaseModel, ConfigDict, Field

from storyreel.minimax import MiniMaxSettings
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
        ("gpt-image-2.5-flare", "1536x864", {}),
        ("gpt-image-2", "864x1536", {"output_format": "jpeg"}),
        ("gpt-image-1.5", "1536x1024", {"quality": "high"}),
        ("gpt-image-2.6-flare", "1024x1024", {}),
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


def test_different_prompts_draw_different_pictures(client: OpenAI) -> None:
    first = client.images.generate(model="gpt-image-2", prompt="a garden at dusk", size="1024x1024")
    second = client.images.generate(model="gpt-image-2", prompt="a robot singing", size="1024x1024")
    assert first.data and second.data
    assert first.data[0].b64_json != second.data[0].b64_json


@pytest.mark.parametrize(
    ("model", "size"),
    [
        ("gpt-image-1.5", "1536x864"),  # standard sizes only
        ("gpt-image-2.6-sunburst", "1536x864"),  # not in the any-size list of the SDK docs
        ("gpt-image-2.5-flare", "1530x864"),  # not divisible by 16
        ("gpt-image-2.5-flare", "3200x1024"),  # wider than 3:1
        ("gpt-image-2.5-flare", "4096x2304"),  # above 3840x2160
        ("gpt-image-1-mini", "1792x1024"),  # a DALL-E size, standard-only model
    ],
)
def test_each_image_model_size_rule_is_enforced(client: OpenAI, model: str, size: str) -> None:
    with pytest.raises(openai.BadRequestError) as bad_size:
        client.images.generate(model=model, prompt="x", size=size)  # type: ignore[call-overload]
    assert bad_size.value.code == "invalid_value" and bad_size.value.param == "size"


def test_image_requests_are_validated(client: OpenAI) -> None:
    with pytest.raises(openai.BadRequestError):
        client.images.generate(model="gpt-image-2", prompt="x", response_format="b64_json")
    with pytest.raises(openai.BadRequestError) as quality:
        client.images.generate(model="gpt-image-2", prompt="x", quality="hd")
    assert quality.value.param == "quality"
    with pytest.raises(openai.BadRequestError):
        client.images.generate(model="gpt-image-2", prompt="x", quality="xhigh")
    assert client.images.generate(model="gpt-image-2.5-sunburst", prompt="x", quality="xhigh").data


@pytest.mark.parametrize("model", ["gpt-image-1", "dall-e-3", "dall-e-2", "gpt-image-9"])
def test_retired_and_unknown_image_models_are_404_model_not_found(
    client: OpenAI, fake_openai: FakeOpenAI, model: str
) -> None:
    with pytest.raises(openai.NotFoundError) as gone:
        client.images.generate(model=model, prompt="x")
    assert gone.value.code == "model_not_found"
    assert fake_openai.images_made == 0


def test_retired_chat_models_are_404_and_models_endpoints_are_served(
    client: OpenAI, fake_openai: FakeOpenAI
) -> None:
    with pytest.raises(openai.NotFoundError) as gone:
        client.chat.completions.create(
            model="gpt-4-0613", messages=[{"role": "user", "content": "hi"}]
        )
    assert gone.value.code == "model_not_found"
    assert client.models.retrieve("gpt-5.5").id == "gpt-5.5"
    with pytest.raises(openai.NotFoundError):
        client.models.retrieve("gpt-image-1")
    listed = {model.id for model in client.models.list()}
    assert {"gpt-5.5", "gpt-image-2.5-flare"} <= listed and "dall-e-3" not in listed
    fake_openai.add_model("gpt-image-3-nova")
    assert client.models.retrieve("gpt-image-3-nova").id == "gpt-image-3-nova"
    assert fake_openai.paid_calls == 0


def test_a_schema_strict_mode_does_not_accept_is_a_400(client: OpenAI) -> None:
    loose = {
        "type": "object",
        "properties": {"title": {"type": "string"}, "style": {"type": "string"}},
        "required": ["title"],
        "additionalProperties": False,
    }
    with pytest.raises(openai.BadRequestError) as refused:
        client.chat.completions.create(
            model="gpt-5.5",
            messages=[{"role": "user", "content": "Story: hi."}],
            response_format={
                "type": "json_schema",
                "json_schema": {"name": "Plan", "strict": True, "schema": loose},
            },
        )
    assert refused.value.code == "invalid_json_schema" and "style" in refused.value.message


def test_images_edit_starts_from_the_reference(client: OpenAI, fake_openai: FakeOpenAI) -> None:
    reference = Image.new("RGB", (1536, 1024), (200, 30, 30))
    buffer = io.BytesIO()
    reference.save(buffer, format="PNG")
    edited = client.images.edit(
        model="gpt-image-2.5-flare",
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
        client.images.generate(model="gpt-image-2", prompt="fine")
    assert limited.value.response.headers["retry-after"] == "3"
    with pytest.raises(openai.InternalServerError):
        client.images.generate(model="gpt-image-2", prompt="fine")
    with pytest.raises(openai.BadRequestError) as policy:
        client.images.generate(model="gpt-image-2", prompt="lots of GORE")
    assert policy.value.code == "moderation_blocked"
    assert policy.value.type == "image_generation_user_error"
    assert client.images.generate(model="gpt-image-2", prompt="fine").data
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
        sdk.images.generate(model="gpt-image-2", prompt="x")
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
        assert sdk.images.generate(model="gpt-image-2", prompt="env").data
    assert openai_fake.images_made == 1
