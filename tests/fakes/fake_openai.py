"""A fake OpenAI API on a real local socket: what the official ``openai`` SDK (v1+) calls with
``base_url=fake.base_url`` (``http://127.0.0.1:PORT/v1``).

- ``POST /v1/chat/completions`` and ``POST /v1/responses`` with a ``json_schema`` response
  format answer JSON valid against that schema. Field names a storyreel plan uses (title, style,
  segments, narration, video_prompt, camera, duration, first/last_frame_prompt, characters) get
  content made from the story in the prompt: one segment per sentence, or exactly N when the
  prompt says "exactly N segments"; a segment's first frame prompt repeats the previous last.
- ``POST /v1/images/generations`` and ``POST /v1/images/edits`` answer real PNGs (or JPEG/WebP)
  of the requested size, with the prompt drawn on them so different prompts differ.
  An edit takes its images as the SDK sends a list (multipart ``image[]``, one part each) or
  one ``image``: at most 16, each a PNG, WebP or JPEG under 50 MB (image_edit_params.py), else
  400; ``edit_requests`` keeps each accepted edit's prompt and its images' sha256, in order.
- ``GET /v1/models`` and ``GET /v1/models/{id}`` (free) list the models this fake serves.

It behaves like today's service, refusals included (the openai SDK's type modules document it):
models shut down (``gpt-image-1``, ``dall-e-3``, ``gpt-4-0613``, ...) or unknown answer 404
``model_not_found``; each image model's size rule is enforced (any ``WxH`` divisible by 16 for
the gpt-image-2 family, else the three standard sizes) and so are its qualities; a schema sent
with ``strict: true`` that strict mode does not accept is a 400; a refused image prompt is
``moderation_blocked`` (type ``image_generation_user_error``).

Counters: ``calls``/``accepted`` keyed ``chat/completions``, ``responses``,
``images/generations``, ``images/edits`` (``accepted`` counts images for the image endpoints).

Run standalone: ``python -m tests.fakes.fake_openai --port 8766 --latency plan=1,image=1``.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import io
import json
import re
import secrets
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_args

from fastapi import FastAPI, Request
from openai.types import ImageModel
from openai.types.shared import ChatModel
from PIL import Image
from starlette.datastructures import UploadFile
from starlette.requests import ClientDisconnect
from starlette.responses import JSONResponse, Response
from starlette.types import Scope

from tests.fakes import media
from tests.fakes.harness import FakeService, Fault, parse_latency

FAKE_OPENAI_KEY = "sk-fake-openai-test-key-0000"
STANDARD_SIZES = frozenset({"1024x1024", "1536x1024", "1024x1536"})
# images.edit's input rules (openai/types/image_edit_params.py, SDK 3.60).
EDIT_MAX_IMAGES = 16
EDIT_MAX_IMAGE_BYTES = 50 * 1024 * 1024
EDIT_IMAGE_FORMATS = frozenset({"PNG", "WEBP", "JPEG"})
# From openai/types/image_generate_params.py (SDK 3.60): the models taking any WIDTHxHEIGHT.
ANY_SIZE_IMAGE_MODELS = frozenset(
    {
        "gpt-image-2",
        "gpt-image-2-2026-04-21",
        "gpt-image-2.5-sunburst",
        "gpt-image-2.5-sunburst-2026-09-08",
        "gpt-image-2.5-flare",
        "gpt-image-2.5-flare-2026-09-08",
    }
)
GPT_IMAGE_QUALITIES = frozenset({"low", "medium", "high", "auto"})
EXTRA_QUALITIES = {m: frozenset({"xhigh", "max"}) for m in ANY_SIZE_IMAGE_MODELS if "2.5" in m}
# Shut down by 2026-12 (the SDK's deprecation notes): the service answers 404 for these.
SHUT_DOWN = frozenset(
    {
        "gpt-image-1",
        "dall-e-2",
        "dall-e-3",
        "gpt-4-0613",
        "gpt-4",
        "gpt-4-turbo",
        "gpt-4-turbo-2024-04-09",
        "gpt-4-1106-preview",
        "gpt-4-0125-preview",
        "gpt-4-turbo-preview",
        "gpt-4-0314",
        "gpt-4.1-nano",
        "gpt-4.1-nano-2025-04-14",
        "gpt-4o-2024-05-13",
        "gpt-3.5-turbo",
        "gpt-3.5-turbo-0125",
        "gpt-3.5-turbo-1106",
        "o1",
        "o1-2024-12-17",
        "o1-mini",
        "o1-preview",
        "o3-mini",
        "o3-mini-2025-01-31",
        "o4-mini",
        "o4-mini-2025-04-16",
        "chatgpt-4o-latest",
        "gpt-5.2-chat-latest",
        "gpt-5.3-chat-latest",
    }
)
SENTENCE = re.compile(r"(?<=[.!?\u2026])[\"'\u201d\u2019)]*\s+")
EXACTLY = re.compile(r"exactly\s+(\d+)\s+segments?", re.IGNORECASE)
STORY = re.compile(r"(?:<story>(.*?)</story>|Story:\s*(.+))", re.IGNORECASE | re.DOTALL)
PREFERRED_CAMERAS = (
    "Zoom in",
    "Pan right",
    "Tilt up",
    "Push in",
    "Pan left",
    "Tracking shot",
    "Zoom out",
    "Static shot",
)
DEFAULT_STYLE = "soft watercolour illustration, warm dusk light, muted teal and amber palette"
MAX_DEFAULT_SEGMENTS = 8
# A plan schema for callers that ask for ``json_object`` without a schema.
PLAN_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "title": {"type": "string"},
        "style": {"type": "string"},
        "segments": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    k: {"type": "string"}
                    for k in (
                        "narration",
                        "video_prompt",
                        "first_frame_prompt",
                        "last_frame_prompt",
                        "camera",
                    )
                }
                | {"duration": {"type": "integer", "enum": [6, 10]}},
            },
        },
    },
}


@dataclass
class _Story:
    """What the planner side of the fake read from the conversation."""

    text: str
    segments: int | None
    chunks: list[str] = field(default_factory=list)

    def split(self) -> list[str]:
        sentences = [s.strip() for s in SENTENCE.split(" ".join(self.text.split())) if s.strip()]
        sentences = sentences or ["Once upon a time."]
        wanted = self.segments or min(len(sentences), MAX_DEFAULT_SEGMENTS)
        if len(sentences) >= wanted:
            # Group neighbouring sentences into ``wanted`` runs of near-equal count.
            groups: list[str] = []
            for index in range(wanted):
                start = index * len(sentences) // wanted
                end = (index + 1) * len(sentences) // wanted
                groups.append(" ".join(sentences[start:end]))
            return groups
        words = " ".join(sentences).split()
        # Fewer sentences than segments asked for: cut the words evenly instead.
        return [
            " ".join(words[i * len(words) // wanted : (i + 1) * len(words) // wanted]) or words[-1]
            for i in range(wanted)
        ]


class FakeOpenAI(FakeService):
    """The fake: ``with FakeOpenAI() as fake:``, then
    ``OpenAI(base_url=fake.base_url, api_key=fake.api_key)``."""

    name = "fake-openai"
    latency_aliases: Mapping[str, tuple[str, ...]] = {
        "plan": ("chat/completions", "responses"),
        "image": ("images/generations", "images/edits"),
    }

    def __init__(
        self, *, api_key: str = FAKE_OPENAI_KEY, state_path: Path | str | None = None
    ) -> None:
        self._image_markers: set[str] = set()
        self._refusal_markers: set[str] = set()
        self.chat_models: set[str] = {m for m in get_args(ChatModel) if m not in SHUT_DOWN}
        self.image_models: set[str] = {m for m in get_args(ImageModel) if m not in SHUT_DOWN}
        self.any_size_models: set[str] = set(ANY_SIZE_IMAGE_MODELS)
        # What each billed image request asked for (model, size, quality), in order.
        self.image_requests: list[dict[str, str]] = []
        # Each accepted edit: its prompt and the sha256 of each image sent, in order.
        self.edit_requests: list[dict[str, Any]] = []
        # Pictures drawn per prompt: like the real service, asking again draws a new picture.
        self._draws: Counter[str] = Counter()
        super().__init__(api_key=api_key, state_path=state_path)

    @property
    def base_url(self) -> str:
        """What ``OPENAI_BASE_URL`` must be: the URL with ``/v1``."""
        return f"{self.url}/v1"

    @property
    def images_made(self) -> int:
        """Images generated or edited so far (what OpenAI would bill)."""
        return self.accepted["images/generations"] + self.accepted["images/edits"]

    # ------------------------------------------------------------------ test controls
    def reject_images_containing(self, marker: str) -> None:
        """Image prompts containing ``marker`` get a 400 ``content_policy_violation``."""
        self._image_markers.add(marker.lower())

    def refuse_prompts_containing(self, marker: str) -> None:
        """Chat/responses prompts containing ``marker`` get a refusal instead of content."""
        self._refusal_markers.add(marker.lower())

    def add_model(self, name: str, *, kind: str = "image", any_size: bool = False) -> None:
        """Serve a model newer than the SDK knows (``kind`` "image" or "chat")."""
        (self.image_models if kind == "image" else self.chat_models).add(name)
        if any_size:
            self.any_size_models.add(name)

    def retire(self, name: str) -> None:
        """Shut ``name`` down: from now on it answers 404 ``model_not_found``."""
        self.chat_models.discard(name)
        self.image_models.discard(name)

    def control_methods(self) -> dict[str, Callable[..., Any]]:
        return {
            "reject_images_containing": self.reject_images_containing,
            "refuse_prompts_containing": self.refuse_prompts_containing,
            "add_model": self.add_model,
            "retire": self.retire,
        }

    def plan_requests(self) -> list[dict[str, Any]]:
        """JSON bodies of every chat completion / response request received."""
        return [r.json for r in self.requests if r.endpoint in {"chat/completions", "responses"}]

    # ------------------------------------------------------------------ harness hooks
    @property
    def paid_calls(self) -> int:
        """Requests the service would bill: plans and images (the model lookups are free)."""
        return sum(
            self.accepted[k]
            for k in ("chat/completions", "responses", "images/generations", "images/edits")
        )

    def endpoint_for(self, method: str, path: str) -> str | None:
        if path.startswith("/v1/models"):
            return "models"
        if path.startswith("/v1/"):
            return path[len("/v1/") :].strip("/")
        return None

    def auth_failure(self, authorization: str | None) -> Response | None:
        scheme, _, token = (authorization or "").partition(" ")
        token = token.strip()
        if not token or scheme.lower() != "bearer":
            return _error(
                401,
                "You didn't provide an API key. You need to provide your API key in an "
                "Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
                "invalid_request_error",
            )
        if not secrets.compare_digest(token, self.api_key):
            # Like the real service, quote a masked form of the *wrong* key.
            masked = f"{token[:3]}{'*' * max(0, len(token) - 7)}{token[-4:]}"
            return _error(
                401,
                f"Incorrect API key provided: {masked}. You can find your API key at "
                "https://platform.openai.com/account/api-keys.",
                "invalid_request_error",
                code="invalid_api_key",
            )
        return None

    def fault_response(self, endpoint: str, fault: Fault) -> Response:
        headers = {"retry-after": f"{fault.retry_after:g}"} if fault.retry_after else None
        if fault.body is not None:
            return Response(fault.body, fault.status, headers=headers, media_type="text/plain")
        status = fault.status if fault.kind == "http" else 400
        if status == 429:
            return _error(
                429,
                fault.message or "Rate limit reached for requests. Please try again later.",
                "requests",
                code="rate_limit_exceeded",
                headers=headers,
            )
        if status >= 500:
            return _error(
                status,
                fault.message
                or "The server had an error while processing your request. Sorry about that!",
                "server_error",
                headers=headers,
            )
        return _error(
            status,
            fault.message or "Invalid request.",
            "invalid_request_error",
            code=str(fault.code) if fault.code else None,
            headers=headers,
        )

    def rate_limited_response(self, endpoint: str) -> Response:
        return _error(
            429,
            "Rate limit reached for requests.",
            "requests",
            code="rate_limit_exceeded",
            headers={"retry-after": "1"},
        )

    def response_headers(self, endpoint: str, scope: Scope) -> list[tuple[bytes, bytes]]:
        return [(b"x-request-id", f"req_{secrets.token_hex(12)}".encode())]

    # ------------------------------------------------------------------ routes
    def add_routes(self, app: FastAPI) -> None:
        app.add_api_route("/v1/chat/completions", self._chat, methods=["POST"])
        app.add_api_route("/v1/responses", self._responses, methods=["POST"])
        app.add_api_route("/v1/images/generations", self._generate, methods=["POST"])
        app.add_api_route("/v1/images/edits", self._edit, methods=["POST"])
        app.add_api_route("/v1/models", self._list_models, methods=["GET"])
        app.add_api_route("/v1/models/{model:path}", self._get_model, methods=["GET"])

    # models ---------------------------------------------------------------------------
    def _model_object(self, name: str) -> dict[str, Any]:
        return {"id": name, "object": "model", "created": 1_700_000_000, "owned_by": "system"}

    async def _list_models(self) -> Response:
        self.accepted["models"] += 1
        names = sorted(self.chat_models | self.image_models)
        return JSONResponse({"object": "list", "data": [self._model_object(n) for n in names]})

    async def _get_model(self, model: str) -> Response:
        if model not in self.chat_models | self.image_models:
            return _model_not_found(model)
        self.accepted["models"] += 1
        return JSONResponse(self._model_object(model))

    async def _body(self, request: Request) -> dict[str, Any] | Response:
        try:
            body = await request.json()
        except ValueError:
            return _error(
                400, "We could not parse the JSON body of your request.", "invalid_request_error"
            )
        if not isinstance(body, dict):
            return _error(400, "The body must be a JSON object.", "invalid_request_error")
        return body

    # chat completions --------------------------------------------------------------
    async def _chat(self, request: Request) -> Response:
        body = await self._body(request)
        if isinstance(body, Response):
            return body
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages or not body.get("model"):
            return _error(400, "'messages' and 'model' are required.", "invalid_request_error")
        if str(body["model"]) not in self.chat_models:
            return _model_not_found(str(body["model"]))
        refused = _strict_schema_problem(body.get("response_format"))
        if refused is not None:
            return refused
        pairs = [
            (str(m.get("role")), _text(m.get("content"))) for m in messages if isinstance(m, dict)
        ]
        content, refusal = self._answer(pairs, body.get("response_format"))
        self.accepted["chat/completions"] += 1
        prompt_tokens = sum(len(t) for _, t in pairs) // 4 + 1
        completion_tokens = len(content or refusal or "") // 4 + 1
        return JSONResponse(
            {
                "id": f"chatcmpl-{secrets.token_hex(12)}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": body["model"],
                "choices": [
                    {
                        "index": 0,
                        "message": {
                            "role": "assistant",
                            "content": content,
                            "refusal": refusal,
                            "annotations": [],
                        },
                        "logprobs": None,
                        "finish_reason": "stop",
                    }
                ],
                "usage": {
                    "prompt_tokens": prompt_tokens,
                    "completion_tokens": completion_tokens,
                    "total_tokens": prompt_tokens + completion_tokens,
                },
                "system_fingerprint": "fp_fake",
                "service_tier": "default",
            }
        )

    def _answer(
        self, messages: list[tuple[str, str]], response_format: object
    ) -> tuple[str | None, str | None]:
        """(content, refusal) for a conversation and the requested response format."""
        everything = " ".join(text for _, text in messages).lower()
        if any(marker in everything for marker in self._refusal_markers):
            return None, "I'm sorry, but I can't help with that request."
        story = _read_story(messages)
        fmt = response_format if isinstance(response_format, dict) else {}
        if fmt.get("type") == "json_schema":
            schema = (fmt.get("json_schema") or {}).get("schema") or fmt.get("schema") or {}
            return json.dumps(_Generator(schema, story).value()), None
        if fmt.get("type") == "json_object":
            return json.dumps(_Generator(PLAN_SCHEMA, story).value()), None
        return f"Here is a short plan for: {story.text[:200]}", None

    # responses ----------------------------------------------------------------------
    async def _responses(self, request: Request) -> Response:
        body = await self._body(request)
        if isinstance(body, Response):
            return body
        if not body.get("model") or body.get("input") in (None, "", []):
            return _error(400, "'model' and 'input' are required.", "invalid_request_error")
        if str(body["model"]) not in self.chat_models:
            return _model_not_found(str(body["model"]))
        messages: list[tuple[str, str]] = []
        if body.get("instructions"):
            messages.append(("system", str(body["instructions"])))
        raw = body["input"]
        if isinstance(raw, str):
            messages.append(("user", raw))
        else:
            messages += [
                (str(item.get("role", "user")), _text(item.get("content")))
                for item in raw
                if isinstance(item, dict)
            ]
        fmt = ((body.get("text") or {}).get("format")) or {}
        content, refusal = self._answer(messages, fmt)
        self.accepted["responses"] += 1
        part: dict[str, Any] = (
            {"type": "refusal", "refusal": refusal}
            if refusal
            else {"type": "output_text", "text": content, "annotations": [], "logprobs": []}
        )
        tokens_in = sum(len(t) for _, t in messages) // 4 + 1
        tokens_out = len(content or refusal or "") // 4 + 1
        return JSONResponse(
            {
                "id": f"resp_{secrets.token_hex(12)}",
                "object": "response",
                "created_at": int(time.time()),
                "status": "completed",
                "model": body["model"],
                "output": [
                    {
                        "type": "message",
                        "id": f"msg_{secrets.token_hex(12)}",
                        "status": "completed",
                        "role": "assistant",
                        "content": [part],
                    }
                ],
                "parallel_tool_calls": True,
                "tool_choice": "auto",
                "tools": [],
                "text": {"format": fmt or {"type": "text"}},
                "usage": {
                    "input_tokens": tokens_in,
                    "input_tokens_details": {"cached_tokens": 0},
                    "output_tokens": tokens_out,
                    "output_tokens_details": {"reasoning_tokens": 0},
                    "total_tokens": tokens_in + tokens_out,
                },
            }
        )

    # images ---------------------------------------------------------------------------
    async def _generate(self, request: Request) -> Response:
        body = await self._body(request)
        if isinstance(body, Response):
            return body
        return await self._images(request, body, base=None)

    async def _edit(self, request: Request) -> Response:
        try:
            # The whole body first: a client killed mid-upload (the worker-kill test) then ends
            # here, before the multipart parser has opened temporary files it would never close.
            await request.body()
        except ClientDisconnect:
            return Response(status_code=499)  # nobody is listening; like the real one, no charge
        async with request.form() as form:
            fields = {k: v for k, v in form.multi_items() if isinstance(v, str)}
            uploads = [
                v
                for k, v in form.multi_items()
                if k in {"image", "image[]"} and isinstance(v, UploadFile)
            ]
            if not uploads:
                return _error(400, "An image is required.", "invalid_request_error", param="image")
            if len(uploads) > EDIT_MAX_IMAGES:
                return _error(
                    400,
                    f"Too many images: {len(uploads)}. You can provide up to "
                    f"{EDIT_MAX_IMAGES} images.",
                    "invalid_request_error",
                    param="image",
                )
            datas = [await upload.read() for upload in uploads]
        images: list[Image.Image] = []
        for data in datas:
            if len(data) >= EDIT_MAX_IMAGE_BYTES:
                return _error(
                    400,
                    "Each image must be less than 50MB.",
                    "invalid_request_error",
                    param="image",
                )
            try:
                image = await asyncio.to_thread(_open_image, data)
            except OSError:
                return _error(
                    400, "The image could not be decoded.", "invalid_request_error", param="image"
                )
            if image.format not in EDIT_IMAGE_FORMATS:
                return _error(
                    400,
                    f"Invalid image file format: {image.format}. Supported formats are png, "
                    "webp and jpg.",
                    "invalid_request_error",
                    param="image",
                    code="invalid_image_format",
                )
            images.append(image)
        base = images[0]
        body: dict[str, Any] = dict(fields)
        if "n" in body:
            body["n"] = int(body["n"])
        body.setdefault("model", "gpt-image-1.5")
        answer = await self._images(request, body, base=base)
        if answer.status_code == 200:
            shas = [hashlib.sha256(data).hexdigest() for data in datas]
            self.edit_requests.append({"prompt": body.get("prompt"), "images": shas})
        return answer

    async def _images(
        self, request: Request, body: dict[str, Any], *, base: Image.Image | None
    ) -> Response:
        endpoint = "images/edits" if base is not None else "images/generations"
        prompt, model = body.get("prompt"), str(body.get("model") or "")
        if not model:
            return _error(400, "'model' is required.", "invalid_request_error", param="model")
        if model not in self.image_models:
            return _model_not_found(model)
        if not isinstance(prompt, str) or not prompt.strip():
            return _error(400, "'prompt' is required.", "invalid_request_error", param="prompt")
        if len(prompt) > 32000:
            return _error(400, "'prompt' is too long.", "invalid_request_error", param="prompt")
        if any(marker in prompt.lower() for marker in self._image_markers):
            return _error(
                400,
                "Your request was rejected by the safety system. If you believe this is an "
                "error, contact us at help.openai.com and include the request ID.",
                "image_generation_user_error",
                code="moderation_blocked",
            )
        size = str(body.get("size") or "auto")
        dims = _size(size, any_size=model in self.any_size_models, base=base)
        if isinstance(dims, Response):
            return dims
        quality = str(body.get("quality") or "auto")
        if quality not in GPT_IMAGE_QUALITIES | EXTRA_QUALITIES.get(model, frozenset()):
            return _error(
                400,
                f"Invalid value: '{quality}'. Supported values are: 'low', 'medium', 'high' "
                "and 'auto'.",
                "invalid_request_error",
                param="quality",
                code="invalid_value",
            )
        response_format = body.get("response_format")
        if response_format is not None:
            return _error(
                400,
                "Unknown parameter: 'response_format'.",
                "invalid_request_error",
                param="response_format",
                code="unknown_parameter",
            )
        n = int(body.get("n") or 1)
        if not 1 <= n <= 10:
            return _error(400, "Invalid 'n'.", "invalid_request_error", param="n")
        fmt = str(body.get("output_format") or "png")
        pil_format = {"jpeg": "JPEG", "jpg": "JPEG", "webp": "WEBP"}.get(fmt, "PNG")
        items = []
        drawn, self._draws[prompt] = self._draws[prompt], self._draws[prompt] + n
        for index in range(n):
            # The first picture of a prompt is labelled with the prompt alone (stable for tests
            # that compare it); a later request for the same prompt is another picture.
            label = prompt if n == 1 and not drawn else f"{prompt} #{drawn + index + 1}"
            data = await asyncio.to_thread(
                media.make_image, *dims, label, fmt=pil_format, base=base
            )
            items.append({"b64_json": base64.b64encode(data).decode()})
        self.accepted[endpoint] += n
        self.image_requests.append({"model": model, "size": size, "quality": quality})
        answer: dict[str, Any] = {
            "created": int(time.time()),
            "data": items,
            "size": f"{dims[0]}x{dims[1]}",
            "output_format": fmt,
            "quality": "medium" if quality == "auto" else quality,
            "background": "opaque",
            "usage": {
                "input_tokens": len(prompt) // 4 + 1,
                "input_tokens_details": {"image_tokens": 0, "text_tokens": len(prompt) // 4 + 1},
                "output_tokens": 1056 * n,
                "total_tokens": len(prompt) // 4 + 1 + 1056 * n,
            },
        }
        return JSONResponse(answer)


# ---------------------------------------------------------------------- plan content
class _Generator:
    """Make a value valid against a (strict) JSON schema, with storyreel-aware content."""

    def __init__(self, schema: dict[str, Any], story: _Story) -> None:
        self.root = schema
        self.story = story
        self.chunks = story.split()
        self.style = DEFAULT_STYLE
        self.title = _title(story.text)
        self.names = _names(story.text)

    def value(self) -> Any:
        return self.make(self.root, "root", {})

    def resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in schema:
            target: Any = self.root
            for part in schema["$ref"].lstrip("#/").split("/"):
                target = target[part]
            schema = {**target, **{k: v for k, v in schema.items() if k != "$ref"}}
        return schema

    def make(self, schema: dict[str, Any], name: str, seg: dict[str, Any]) -> Any:
        schema = self.resolve(schema)
        for key in ("anyOf", "oneOf"):
            if key in schema:
                options = [self.resolve(o) for o in schema[key]]
                usable = [o for o in options if o.get("type") != "null"] or options
                return self.make(usable[0], name, seg)
        if "allOf" in schema:
            merged: dict[str, Any] = {}
            for part in schema["allOf"]:
                merged |= self.resolve(part)
            return self.make(merged, name, seg)
        if "const" in schema:
            return schema["const"]
        kind = schema.get("type")
        if isinstance(kind, list):
            kind = next((k for k in kind if k != "null"), "null")
        if kind is None:
            kind = (
                "object" if "properties" in schema else "array" if "items" in schema else "string"
            )
        if kind == "object":
            props: dict[str, Any] = schema.get("properties", {})
            return {key: self.make(sub, key, seg) for key, sub in props.items()}
        if kind == "array":
            return self.array(schema, name)
        if kind in {"integer", "number"}:
            return self.number(schema, name, seg, integer=kind == "integer")
        if kind == "boolean":
            return False
        if kind == "null":
            return None
        return self.string(schema, name, seg)

    def array(self, schema: dict[str, Any], name: str) -> list[Any]:
        items = self.resolve(schema.get("items") or {"type": "string"})
        props = items.get("properties", {})
        if name == "segments" or "narration" in props or "video_prompt" in props:
            count = len(self.chunks)
            out: list[Any] = []
            previous_last: str | None = None
            for index in range(count):
                seg = self.segment_context(index, previous_last)
                value = self.make(items, "segment", seg)
                out.append(value)
                previous_last = seg["last_frame_prompt"]
            return out
        count = max(int(schema.get("minItems", 1)), 1)
        if name == "characters":
            count = max(count, min(len(self.names), 3))
        count = min(count, int(schema.get("maxItems", count)))
        return [self.make(items, name, {"index": i}) for i in range(count)]

    def segment_context(self, index: int, previous_last: str | None) -> dict[str, Any]:
        narration = self.chunks[index]
        camera = PREFERRED_CAMERAS[index % len(PREFERRED_CAMERAS)]
        last = f"Closing frame: {narration} Wide 16:9 composition. {self.style}."
        first = previous_last or f"Opening frame: {narration} Wide 16:9 composition. {self.style}."
        return {
            "index": index,
            "narration": narration,
            "camera": camera,
            "duration": 10 if len(narration.split()) > 13 else 6,
            "video_prompt": f"[{camera}] The scene moves as the story says: {narration}",
            "first_frame_prompt": first,
            "last_frame_prompt": last,
        }

    def string(self, schema: dict[str, Any], name: str, seg: dict[str, Any]) -> str:
        if "enum" in schema:
            options = [str(o) for o in schema["enum"]]
            wanted = str(seg.get(name, ""))
            if wanted in options:
                return wanted
            if name in {"camera", "camera_command"}:
                preferred = [c for c in PREFERRED_CAMERAS if c in options]
                pool = preferred or options
                choice = pool[int(seg.get("index", 0)) % len(pool)]
                seg[name] = choice
                if "video_prompt" in seg:
                    seg["video_prompt"] = (
                        f"[{choice}] The scene moves as the story says: {seg['narration']}"
                    )
                return choice
            return options[0]
        index = int(seg.get("index", 0))
        texts = {
            "title": self.title,
            "style": self.style,
            "visual_style": self.style,
            "name": self.names[index % len(self.names)],
            "look": "a slender figure in a long red coat and a grey scarf, short dark hair",
            "description": "a slender figure in a long red coat and a grey scarf, short dark hair",
            "text": str(seg.get("narration", self.story.text[:200])),
            "prompt": str(seg.get("video_prompt", self.story.text[:200])),
            "camera_command": str(seg.get("camera", "Zoom in")),
        }
        value = str(seg[name]) if name in seg else texts.get(name, self.story.text[:200] or name)
        if len(value) < int(schema.get("minLength", 0)):
            value = value.ljust(int(schema["minLength"]), ".")
        if "maxLength" in schema:
            value = value[: int(schema["maxLength"])]
        return value

    def number(
        self, schema: dict[str, Any], name: str, seg: dict[str, Any], *, integer: bool
    ) -> float | int:
        wanted = seg.get(name)
        if "enum" in schema:
            options: list[float | int] = list(schema["enum"])
            return wanted if isinstance(wanted, int | float) and wanted in options else options[0]
        value = (
            float(wanted) if isinstance(wanted, int | float) else float(schema.get("minimum", 1))
        )
        if "maximum" in schema:
            value = min(value, float(schema["maximum"]))
        return int(value) if integer else value


def _read_story(messages: list[tuple[str, str]]) -> _Story:
    user_texts = [text for role, text in messages if role == "user"] or [t for _, t in messages]
    text = user_texts[-1] if user_texts else ""
    for candidate in user_texts:
        match = STORY.search(candidate)
        if match:
            text = (match.group(1) or match.group(2) or "").strip()
            break
    segments: int | None = None
    for candidate in [*user_texts, *(t for r, t in messages if r != "user")]:
        found = EXACTLY.search(candidate)
        if found:
            segments = max(1, int(found.group(1)))
            break
    return _Story(text.strip() or "Once upon a time.", segments)


def _text(content: object) -> str:
    """A message's text, whether it is a string or a list of content parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return ""


def _title(story: str) -> str:
    words = re.findall(r"[\w'\u2019-]+", story)[:6]
    return " ".join(words).title() if words else "A Story"


_NOT_NAMES = frozenset(
    [
        "The",
        "A",
        "An",
        "And",
        "But",
        "Then",
        "When",
        "While",
        "After",
        "Before",
        "At",
        "In",
        "On",
        "Of",
        "One",
        "It",
        "He",
        "She",
        "They",
        "We",
        "You",
        "I",
        "His",
        "Her",
        "Their",
        "There",
        "This",
        "That",
        "These",
        "Those",
        "Once",
        "Every",
        "Each",
        "Soon",
        "Now",
        "Later",
        "Finally",
        "Inside",
        "Outside",
    ]
)


def _names(story: str) -> list[str]:
    """Capitalised words that are not common sentence openers: the story's likely characters."""
    found: list[str] = []
    for word in re.findall(r"\b[A-Z][a-z]{2,}\b", story):
        if word not in _NOT_NAMES and word not in found:
            found.append(word)
    return found or ["The traveller"]


def _size(size: str, *, any_size: bool, base: Image.Image | None) -> tuple[int, int] | Response:
    """The size rule of GPT image models: the standard sizes (and ``auto``) for every model;
    any ``WxH`` divisible by 16, aspect 1:3..3:1, at most 3840x2160, for the gpt-image-2 family."""
    if size == "auto":
        return base.size if base is not None else (1024, 1024)
    match = re.fullmatch(r"(\d{2,4})x(\d{2,4})", size)
    if match is not None and size in STANDARD_SIZES:
        return int(match.group(1)), int(match.group(2))
    if match is None or not any_size:
        return _error(
            400,
            f"Invalid value: '{size}'. Supported values are: '1024x1024', '1024x1536', "
            "'1536x1024', and 'auto'.",
            "invalid_request_error",
            param="size",
            code="invalid_value",
        )
    width, height = int(match.group(1)), int(match.group(2))
    long_side, short_side = max(width, height), min(width, height)
    if (
        width % 16
        or height % 16
        or long_side > 3 * short_side
        or long_side > 3840
        or short_side > 2160
    ):
        return _error(
            400,
            f"Invalid size '{size}'. Width and height must be divisible by 16, the aspect ratio "
            "between 1:3 and 3:1, and the resolution at most 3840x2160.",
            "invalid_request_error",
            param="size",
            code="invalid_value",
        )
    return width, height


def _model_not_found(model: str) -> JSONResponse:
    return _error(
        404,
        f"The model `{model}` does not exist or you do not have access to it.",
        "invalid_request_error",
        code="model_not_found",
    )


def _strict_schema_problem(response_format: object) -> JSONResponse | None:
    """Strict structured outputs accept only schemas whose every object lists all its properties
    as required and sets ``additionalProperties: false``; anything else is a 400."""
    if not isinstance(response_format, dict) or response_format.get("type") != "json_schema":
        return None
    spec = response_format.get("json_schema") or {}
    if not spec.get("strict"):
        return None
    name = spec.get("name", "response")
    schema = spec.get("schema") or {}
    problem = _first_non_strict(schema, (), schema)
    if problem is None:
        return None
    where, what = problem
    return _error(
        400,
        f"Invalid schema for response_format '{name}': In context={where}, {what}.",
        "invalid_request_error",
        param="response_format",
        code="invalid_json_schema",
    )


def _first_non_strict(
    node: object, where: tuple[str, ...], root: dict[str, Any]
) -> tuple[tuple[str, ...], str] | None:
    if not isinstance(node, dict):
        return None
    if node.get("type") == "object" or "properties" in node:
        props = node.get("properties") or {}
        if node.get("additionalProperties") is not False:
            return where, "'additionalProperties' is required to be supplied and to be false"
        missing = sorted(set(props) - set(node.get("required") or []))
        if missing:
            return where, f"'required' is required to include every key; missing '{missing[0]}'"
    for key in ("properties", "$defs", "definitions"):
        for name, sub in (node.get(key) or {}).items():
            found = _first_non_strict(sub, (*where, key, name), root)
            if found:
                return found
    for key in ("items", "anyOf", "allOf"):
        subs = node.get(key)
        for index, sub in enumerate(subs if isinstance(subs, list) else [subs] if subs else []):
            found = _first_non_strict(sub, (*where, key, str(index)), root)
            if found:
                return found
    return None


def _open_image(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def _error(
    status: int,
    message: str,
    kind: str,
    *,
    code: str | None = None,
    param: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    return JSONResponse(
        {"error": {"message": message, "type": kind, "param": param, "code": code}},
        status,
        headers=headers,
    )


def main(argv: list[str] | None = None) -> None:
    from tests.fakes.server import serve_forever

    parser = argparse.ArgumentParser(prog="python -m tests.fakes.fake_openai")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8766, help="0 picks a free port")
    parser.add_argument("--api-key", default=FAKE_OPENAI_KEY)
    parser.add_argument(
        "--latency",
        action="append",
        default=[],
        metavar="NAME=SECONDS",
        help="plan=1, image=1, or any endpoint name (chat/completions, images/edits, ...)",
    )
    parser.add_argument("--rpm", action="append", default=[], metavar="ENDPOINT=N")
    parser.add_argument("--state", type=Path, help="keep counters in this JSON file")
    args = parser.parse_args(argv)
    fake = FakeOpenAI(api_key=args.api_key, state_path=args.state)
    for name, seconds in parse_latency(args.latency).items():
        fake.set_latency(name, seconds)
    fake.rpm_limits.update({k: int(v) for k, v in parse_latency(args.rpm).items()})
    serve_forever(fake, host=args.host, port=args.port)


if __name__ == "__main__":
    main()
