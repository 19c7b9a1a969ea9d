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
from storyreel.errors import ProviderError
from storyreel.providers.openai_images import API_SIZES, OpenAIImageGen

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


def image_gen(model: str, fake: FakeImages) -> OpenAIImageGen:
    settings = Settings(openai={"api_key": KEY}, image_model=model)  # type: ignore[arg-type]
    client = AsyncOpenAI(
        api_key=KEY,
        base_url="http://openai.test/v1",
        max_retries=0,
        http_client=httpx2.AsyncClient(transport=httpx2.MockTransport(fake)),
    )
    return OpenAIImageGen(settings, client=client)


def test_sizes_meet_minimax_frame_rules() -> None:
    for width, height in API_SIZES.values():
        assert min(width, height) > 300 and 2 / 5 <= width / height <= 5 / 2 and width > height


async def test_gpt_image_1_generates_and_crops_to_requested_size(tmp_path: Path) -> None:
    fake = FakeImages()
    out = tmp_path / "frames" / "f0.png"

    result = await image_gen("gpt-image-1", fake).draw(
        "a red fox on a bridge", out=out, size=(1280, 720), style="watercolour"
    )

    assert result == out
    with Image.open(out) as img:
        assert img.format == "PNG" and img.size == (1280, 720)
        assert img.getpixel((640, 360)) == (200, 40, 40)
    kind, request = fake.requests[0]
    body = json.loads(request.content)
    assert kind == "generations"
    assert body["model"] == "gpt-image-1" and body["size"] == "1536x1024"
    assert "response_format" not in body  # gpt-image models reject it
    assert "a red fox on a bridge" in body["prompt"] and "watercolour" in body["prompt"]
    assert not list(out.parent.glob(".*part"))


async def test_dall_e_3_asks_for_b64_at_1792x1024(tmp_path: Path) -> None:
    fake = FakeImages()
    out = tmp_path / "f.png"
    await image_gen("dall-e-3", fake).draw("a fox", out=out, size=(1792, 1024))
    body = json.loads(fake.requests[0][1].content)
    assert body["model"] == "dall-e-3" and body["size"] == "1792x1024"
    assert body["response_format"] == "b64_json"
    with Image.open(out) as img:
        assert img.size == (1792, 1024)


async def test_reference_uses_edit_with_gpt_image_1(tmp_path: Path) -> None:
    fake = FakeImages()
    reference = tmp_path / "prev.png"
    Image.new("RGB", (1280, 720), (1, 2, 3)).save(reference)
    out = tmp_path / "next.png"

    await image_gen("gpt-image-1", fake).draw(
        "the fox jumps", out=out, size=(1280, 720), style="watercolour", reference=reference
    )

    kind, request = fake.requests[0]
    assert kind == "edits"
    assert request.headers["content-type"].startswith("multipart/form-data")
    assert _form_field(request, "model") == "gpt-image-1"
    prompt = _form_field(request, "prompt")
    assert "the fox jumps" in prompt and "reference image" in prompt
    assert b'filename="prev.png"' in request.content and reference.read_bytes() in request.content
    with Image.open(out) as img:
        assert img.size == (1280, 720)


async def test_dall_e_3_ignores_reference(tmp_path: Path) -> None:
    fake = FakeImages()
    reference = tmp_path / "prev.png"
    Image.new("RGB", (64, 64)).save(reference)
    await image_gen("dall-e-3", fake).draw(
        "x", out=tmp_path / "o.png", size=(1792, 1024), reference=reference
    )
    assert fake.requests[0][0] == "generations"


async def test_content_policy_error(tmp_path: Path) -> None:
    fake = FakeImages()
    fake.error = httpx2.Response(
        400,
        json={
            "error": {
                "message": "rejected by the safety system",
                "code": "content_policy_violation",
            }
        },
        headers={"x-request-id": "req_bad"},
    )
    out = tmp_path / "o.png"
    with pytest.raises(ProviderError) as info:
        await image_gen("gpt-image-1", fake).draw("x", out=out, size=(1280, 720))
    err = info.value
    assert (err.stage, err.provider, err.code, err.trace_id) == (
        "frame",
        "openai",
        "content_policy_violation",
        "req_bad",
    )
    assert "content policy" in str(err)
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
