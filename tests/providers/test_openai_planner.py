"""OpenAIPlanner against a mocked OpenAI (the SDK's own transport seam: httpx2.MockTransport)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx2
import pytest
from openai import AsyncOpenAI

from storyreel.config import Settings
from storyreel.errors import ConfigError, ProviderError
from storyreel.minimax import OFFICIAL_CAMERA_COMMANDS as CAMERA_COMMANDS
from storyreel.providers.openai_planner import (
    SYSTEM_PROMPT,
    OpenAIPlanner,
    PlanDraft,
    draft_to_plan,
)

KEY = "sk-test-secret-key-0123456789"
Handler = Callable[[httpx2.Request], httpx2.Response]


def segment(
    n: int, *, camera: str = "Zoom in", words: int = 8, duration: int = 6
) -> dict[str, Any]:
    return {
        "narration": " ".join(["word"] * words),
        "duration": duration,
        "camera": camera,
        "video_prompt": f"[{camera}] the fox runs through scene {n}",
        "first_frame_prompt": f"scene {n} start, a red fox, watercolour",
        "last_frame_prompt": f"scene {n} end, a red fox, watercolour",
    }


def draft(count: int = 3, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": "The Fox",
        "style": "watercolour, warm dusk light",
        "characters": [{"name": "Fox", "look": "a small red fox with a white-tipped tail"}],
        "segments": [segment(i) for i in range(1, count + 1)],
    }
    body.update(overrides)
    return body


def completion(
    content: str | None, *, refusal: str | None = None, finish: str = "stop"
) -> httpx2.Response:
    body = {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 0,
        "model": "gpt-4o",
        "choices": [
            {
                "index": 0,
                "finish_reason": finish,
                "message": {"role": "assistant", "content": content, "refusal": refusal},
            }
        ],
    }
    return httpx2.Response(200, json=body, headers={"x-request-id": "req_abc"})


class Recorder:
    """Answers each chat call with the next canned response and keeps the request bodies."""

    def __init__(self, *responses: httpx2.Response) -> None:
        self.responses = list(responses)
        self.bodies: list[dict[str, Any]] = []
        self.headers: list[httpx2.Headers] = []

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        assert request.url.path.endswith("/chat/completions")
        self.bodies.append(json.loads(request.content))
        self.headers.append(request.headers)
        return self.responses.pop(0)


def client_for(handler: Handler) -> AsyncOpenAI:
    return AsyncOpenAI(
        api_key=KEY,
        base_url="http://openai.test/v1",
        max_retries=0,
        http_client=httpx2.AsyncClient(transport=httpx2.MockTransport(handler)),
    )


@pytest.fixture
def settings() -> Settings:
    return Settings(openai={"api_key": KEY})  # type: ignore[arg-type]


async def test_happy_path_sends_strict_schema_and_returns_plan(settings: Settings) -> None:
    calls = Recorder(completion(json.dumps(draft(3))))
    planner = OpenAIPlanner(settings, client=client_for(calls))

    plan = await planner.plan("A fox crosses a river.", segments=3)

    assert [s.camera for s in plan.segments] == ["Zoom in"] * 3
    assert plan.title == "The Fox" and plan.style.startswith("watercolour")
    body = calls.bodies[0]
    assert body["model"] == "gpt-5.5"  # the current default (catalogue.DEFAULTS)
    fmt = body["response_format"]
    assert fmt["type"] == "json_schema" and fmt["json_schema"]["strict"] is True
    seg_schema = fmt["json_schema"]["schema"]["$defs"]["SegmentDraft"]
    assert seg_schema["properties"]["camera"]["enum"] == list(CAMERA_COMMANDS)
    assert seg_schema["properties"]["duration"]["enum"] == [6, 10]
    assert seg_schema["additionalProperties"] is False
    assert set(seg_schema["required"]) == set(seg_schema["properties"])
    assert "exactly 3 segments" in body["messages"][1]["content"]
    assert body["messages"][0]["content"] == SYSTEM_PROMPT
    assert calls.headers[0]["authorization"] == f"Bearer {KEY}"


async def test_model_setting_is_used(settings: Settings) -> None:
    settings.planner_model = "gpt-4o-mini"
    calls = Recorder(completion(json.dumps(draft(1))))
    await OpenAIPlanner(settings, client=client_for(calls)).plan("story")
    assert calls.bodies[0]["model"] == "gpt-4o-mini"
    assert "3 to 8 segments" in calls.bodies[0]["messages"][1]["content"]


async def test_a_measured_pace_is_given_as_clip_sizes(settings: Settings) -> None:
    calls = Recorder(completion(json.dumps(draft(1))))
    await OpenAIPlanner(settings, client=client_for(calls)).plan("story", pace=12.0)
    asked = calls.bodies[0]["messages"][1]["content"]
    # (6 - 0.7) s and (10 - 0.7) s of narration at 12 letters a second
    assert "12.0 letters a second" in asked and "about 64 letters" in asked
    assert "about 112" in asked
    assert "Fill the clip" in calls.bodies[0]["messages"][0]["content"]


async def test_repair_reask_once_then_success(settings: Settings) -> None:
    bad = draft(3)
    bad["segments"][1]["camera"] = "Barrel roll"
    calls = Recorder(completion(json.dumps(bad)), completion(json.dumps(draft(3))))

    plan = await OpenAIPlanner(settings, client=client_for(calls)).plan("story", segments=3)

    assert len(plan.segments) == 3
    assert len(calls.bodies) == 2
    reask = calls.bodies[1]["messages"]
    assert reask[-1]["role"] == "user"
    assert "not valid" in reask[-1]["content"] and "segments.1.camera" in reask[-1]["content"]


async def test_wrong_segment_count_is_reasked(settings: Settings) -> None:
    calls = Recorder(completion(json.dumps(draft(2))), completion(json.dumps(draft(4))))
    plan = await OpenAIPlanner(settings, client=client_for(calls)).plan("story", segments=4)
    assert len(plan.segments) == 4
    assert "expected exactly 4 segments, got 2" in calls.bodies[1]["messages"][-1]["content"]
    # The first answer is shown back to the model so it can correct it.
    assert calls.bodies[1]["messages"][-2]["role"] == "assistant"


async def test_refusal_then_failure_raises_provider_error(settings: Settings) -> None:
    bad = draft(2)
    bad["segments"][0]["video_prompt"] = "[Barrel roll] spin"
    calls = Recorder(
        completion(None, refusal="I can't help with that."), completion(json.dumps(bad))
    )

    with pytest.raises(ProviderError) as info:
        await OpenAIPlanner(settings, client=client_for(calls)).plan("story")

    err = info.value
    assert err.stage == "plan" and err.provider == "openai" and err.code == "invalid_plan"
    assert "Barrel roll" in str(err)
    assert err.trace_id == "req_abc"
    assert len(calls.bodies) == 2
    assert "refused" in calls.bodies[1]["messages"][-1]["content"]


async def test_content_filter_finish_counts_as_a_reask(settings: Settings) -> None:
    calls = Recorder(completion(None, finish="content_filter"), completion(json.dumps(draft(1))))
    plan = await OpenAIPlanner(settings, client=client_for(calls)).plan("story")
    assert len(plan.segments) == 1
    assert "content filter" in calls.bodies[1]["messages"][-1]["content"]


@pytest.mark.parametrize(
    ("status", "body", "code", "needle", "retryable"),
    [
        (
            401,
            {
                "error": {
                    "message": f"Incorrect API key provided: {KEY[:8]}****6789",
                    "code": "invalid_api_key",
                }
            },
            "invalid_api_key",
            "OPENAI_API_KEY",
            False,
        ),
        (
            429,
            {"error": {"message": "Rate limit reached", "code": "rate_limit_exceeded"}},
            "rate_limit_exceeded",
            "rate limited",
            True,
        ),
        (
            429,
            {"error": {"message": "You exceeded your quota", "code": "insufficient_quota"}},
            "insufficient_quota",
            "out of quota",
            False,
        ),
        (
            400,
            {
                "error": {
                    "message": "Your request was rejected by the safety system",
                    "code": "content_policy_violation",
                }
            },
            "content_policy_violation",
            "content policy",
            False,
        ),
    ],
)
async def test_sdk_errors_become_provider_errors(
    settings: Settings, status: int, body: dict[str, Any], code: str, needle: str, retryable: bool
) -> None:
    def handler(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(status, json=body, headers={"x-request-id": "req_err"})

    with pytest.raises(ProviderError) as info:
        await OpenAIPlanner(settings, client=client_for(handler)).plan("story")
    err = info.value
    assert (err.stage, err.provider, err.code, err.trace_id) == ("plan", "openai", code, "req_err")
    assert needle in str(err) and err.retryable is retryable
    assert KEY[:8] not in str(err) and "6789" not in str(err)


async def test_connection_error_is_retryable_provider_error(settings: Settings) -> None:
    def handler(request: httpx2.Request) -> httpx2.Response:
        raise httpx2.ConnectError("refused", request=request)

    with pytest.raises(ProviderError) as info:
        await OpenAIPlanner(settings, client=client_for(handler)).plan("story")
    assert info.value.code == "connection" and info.value.retryable
    assert "openai.test" in str(info.value)


def test_missing_key_is_config_error() -> None:
    with pytest.raises(ConfigError, match="OPENAI_API_KEY"):
        OpenAIPlanner(Settings())


def test_draft_to_plan_repairs_duration_and_aligns_continuity() -> None:
    body = draft(2)
    body["segments"][0]["narration"] = " ".join(["w"] * 20)
    body["segments"][1]["first_frame_prompt"] = "something slightly different"
    plan = draft_to_plan(PlanDraft.model_validate(body))
    assert plan.segments[0].duration == 10
    assert plan.segments[1].first_frame_prompt == plan.segments[0].last_frame_prompt


def test_draft_to_plan_rejects_unknown_bracketed_commands() -> None:
    body = draft(1)
    body["segments"][0]["video_prompt"] = "[Zoom in] then [Barrel roll]"
    with pytest.raises(ValueError, match="Barrel roll"):
        draft_to_plan(PlanDraft.model_validate(body))


def test_video_prompt_gets_camera_prefix() -> None:
    body = draft(1)
    body["segments"][0]["video_prompt"] = "the fox runs"
    plan = draft_to_plan(PlanDraft.model_validate(body))
    assert plan.segments[0].video_prompt.startswith("[Zoom in] ")


def test_the_planner_offers_only_the_documented_camera_commands() -> None:
    from storyreel.minimax import OFFICIAL_CAMERA_COMMANDS, SEED_TO_DOCUMENTED
    from storyreel.providers.openai_planner import SYSTEM_PROMPT, SegmentDraft

    enum = SegmentDraft.model_json_schema()["properties"]["camera"]["enum"]
    assert enum == list(OFFICIAL_CAMERA_COMMANDS) and len(enum) == 15
    for seed_name in SEED_TO_DOCUMENTED:
        assert seed_name not in SYSTEM_PROMPT


async def test_a_plan_of_more_than_60_segments_is_refused(settings: Settings) -> None:
    """Issue 14, finding 1: the 60-segment cap holds for the model's plan too (each is a clip)."""
    from storyreel.limits import MAX_SEGMENTS

    many = json.dumps(draft(MAX_SEGMENTS + 1))
    calls = Recorder(completion(many), completion(many))
    with pytest.raises(ProviderError) as info:
        await OpenAIPlanner(settings, client=client_for(calls)).plan("story")
    assert info.value.code == "invalid_plan"
    assert f"61 segments; at most {MAX_SEGMENTS}" in str(info.value)
    assert f"at most {MAX_SEGMENTS}" in calls.bodies[1]["messages"][-1]["content"]
    assert len(draft_to_plan(PlanDraft.model_validate(draft(MAX_SEGMENTS))).segments) == 60
