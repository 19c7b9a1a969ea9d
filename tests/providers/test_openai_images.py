"""OpenAIImageGen against a mocked OpenAI (httpx2.MockTransport, the SDK's transport seam)."""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path
from typing import Any

import httpx2
import pytest
from openai import AsyncOpenAI
from PIL import Image

from storyreel.config import Settings
from storyreel.errors import ConfigError, ProviderError
from storyreel.providers.base import Reference
from storyreel.providers.catalogue import DEFAULTS, request_size
from storyreel.providers.openai_images import OpenAIImageGen

KEY = "sk-test-images-0123456789"


def png_b64(size: tuple[int, int], colour: tuple[int, int, int] = (200, 40, 40)) -> str:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode()


class FakeImages:
    """Answers generations and edits with a PNG of the requested size; records what it saw."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, httpx2.Request]] = []
        self.error: httpx2.Response | None = None

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        kind = request.url.path.rsplit("/", 1)[-1]
        self.requests.append((kind, request))
        if self.error is not None:
            return self.error
        if kind == "generations":
            size = json.loads(request.content)["size"]
        else:
            size = _form_field(request, "size")
        width, height = (int(v) for v in size.split("x"))
        body = {"created": 0, "data": [{"b64_json": png_b64((width, height))}]}
        return httpx2.Response(200, json=body, headers={"x-request-id": "req_img"})


def _form_field(request: httpx2.Request, name: str) -> str:
    content = request.content.decode("latin-1")
    marker = f'name="{name}"\r\n\r\n'
    start = content.index(marker) + len(marker)
    return content[start : content.index("\r\n", start)]


def image_gen(model: str, fake: FakeImages, quality: str | None = None) -> OpenAIImageGen:
    settings = Settings(openai={"api_key": KEY}, image_model=model, image_quality=quality)  # type: ignore[arg-type]
    client = AsyncOpenAI(
        api_key=KEY,
        base_url="http://openai.test/v1",
        max_retries=0,
        http_client=httpx2.AsyncClient(transport=httpx2.MockTransport(fake)),
    )
    return OpenAIImageGen(settings, client=client)


@pytest.mark.parametrize(
    ("model", "canvas", "asked"),
    [
        ("gpt-image-2.5-flare", (1280, 720), (1536, 864)),  # the output's own 16:9
        ("gpt-image-2", (1920, 1080), (1536, 864)),
        ("gpt-image-2", (720, 1280), (864, 1536)),  # portrait
        ("gpt-image-2", (1080, 1080), (1152, 1152)),  # square, the same area
        ("gpt-image-1.5", (1280, 720), (1536, 1024)),  # standard sizes only: cropped after
        ("gpt-image-2.6-flare", (720, 1280), (1024, 1536)),
        ("gpt-image-3-nova", (1280, 720), (1536, 1024)),  # unknown: the sizes every model takes
    ],
)
def test_each_model_is_asked_for_a_size_it_takes(
    model: str, canvas: tuple[int, int], asked: tuple[int, int]
) -> None:
    width, height = request_size(model, canvas)
    assert (width, height) == asked
    # MiniMax's frame rules: short side > 300 px, aspect within 2:5..5:2.
    assert min(width, height) > 300 and 2 / 5 <= width / height <= 5 / 2


async def test_the_default_model_asks_for_the_output_aspect_and_sends_quality(
    tmp_path: Path,
) -> None:
    fake = FakeImages()
    out = tmp_path / "frames" / "f0.png"

    result = await image_gen(DEFAULTS["images"], fake).draw(
        "a red fox on a bridge", out=out, size=(1280, 720), style="watercolour"
    )

    assert result == out
    with Image.open(out) as img:
        assert img.format == "PNG" and img.size == (1280, 720)
        assert img.getpixel((640, 360)) == (200, 40, 40)
    kind, request = fake.requests[0]
    body = json.loads(request.content)
    assert kind == "generations"
    assert body["model"] == "gpt-image-2.5-flare" and body["size"] == "1536x864"
    assert body["quality"] == "medium"  # sent explicitly: the estimate prices this one
    assert "response_format" not in body  # gpt-image models reject it
    assert "a red fox on a bridge" in body["prompt"] and "watercolour" in body["prompt"]
    assert not list(out.parent.glob(".*part"))


async def test_a_standard_size_model_is_cropped_to_the_frame(tmp_path: Path) -> None:
    fake = FakeImages()
    out = tmp_path / "f.png"
    await image_gen("gpt-image-1.5", fake, quality="high").draw("a fox", out=out, size=(1280, 720))
    body = json.loads(fake.requests[0][1].content)
    assert body["size"] == "1536x1024" and body["quality"] == "high"
    with Image.open(out) as img:
        assert img.size == (1280, 720)


def test_a_quality_the_model_lacks_is_refused_before_any_call() -> None:
    fake = FakeImages()
    with pytest.raises(ConfigError, match=r"STORYREEL_IMAGE_QUALITY.*low, medium, high"):
        image_gen("gpt-image-2", fake, quality="xhigh")
    assert image_gen("gpt-image-2.5-sunburst", fake, quality="xhigh").quality == "xhigh"
    assert not fake.requests


async def test_reference_uses_edit_with_the_default_model(tmp_path: Path) -> None:
    fake = FakeImages()
    reference = tmp_path / "prev.png"
    Image.new("RGB", (1280, 720), (1, 2, 3)).save(reference)
    out = tmp_path / "next.png"

    await image_gen(DEFAULTS["images"], fake).draw(
        "the fox jumps",
        out=out,
        size=(1280, 720),
        style="watercolour",
        references=[Reference(reference)],
    )

    kind, request = fake.requests[0]
    assert kind == "edits"
    assert request.headers["content-type"].startswith("multipart/form-data")
    assert _form_field(request, "model") == "gpt-image-2.5-flare"
    assert _form_field(request, "size") == "1536x864"
    assert _form_field(request, "quality") == "medium"
    prompt = _form_field(request, "prompt")
    assert "the fox jumps" in prompt and "reference image" in prompt
    assert b'filename="prev.png"' in request.content and reference.read_bytes() in request.content
    with Image.open(out) as img:
        assert img.size == (1280, 720)


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        ("moderation_blocked", "image_generation_user_error"),  # today's GPT image answer
        ("content_policy_violation", "invalid_request_error"),
    ],
)
async def test_content_policy_error(tmp_path: Path, code: str, kind: str) -> None:
    fake = FakeImages()
    fake.error = httpx2.Response(
        400,
        json={"error": {"message": "rejected by the safety system", "type": kind, "code": code}},
        headers={"x-request-id": "req_bad"},
    )
    out = tmp_path / "o.png"
    with pytest.raises(ProviderError) as info:
        await image_gen(DEFAULTS["images"], fake).draw("x", out=out, size=(1280, 720))
    err = info.value
    assert (err.stage, err.provider, err.code, err.trace_id) == ("frame", "openai", code, "req_bad")
    assert err.content_policy and "content policy" in str(err)
    assert not out.exists()


async def test_undecodable_image_is_provider_error(tmp_path: Path) -> None:
    def handler(request: httpx2.Request) -> httpx2.Response:
        body: dict[str, Any] = {
            "created": 0,
            "data": [{"b64_json": base64.b64encode(b"nope").decode()}],
        }
        return httpx2.Response(200, json=body)

    settings = Settings(openai={"api_key": KEY})  # type: ignore[arg-type]
    client = AsyncOpenAI(
        api_key=KEY,
        base_url="http://openai.test/v1",
        max_retries=0,
        http_client=httpx2.AsyncClient(transport=httpx2.MockTransport(handler)),
    )
    out = tmp_path / "o.png"
    with pytest.raises(ProviderError, match="cannot be decoded"):
        await OpenAIImageGen(settings, client=client).draw("x", out=out, size=(1280, 720))
    assert not out.exists()
