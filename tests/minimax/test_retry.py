"""Retry policy: free calls retry transient errors; paid creates only when surely not accepted."""

from __future__ import annotations

import httpx
import pytest
import respx

from storyreel.minimax import (
    APIConnectionError,
    APITimeoutError,
    AsyncMiniMax,
    InvalidRequestError,
    RateLimitError,
    ServerError,
    UnknownOutcomeError,
)
from storyreel.minimax._retry import parse_retry_after

from .conftest import Sleeps, fail, ok

TASK = ok(task_id="106916112212032")


async def test_paid_create_read_timeout_is_unknown_outcome_sent_once(
    client: AsyncMiniMax, router: respx.MockRouter, sleeps: Sleeps
) -> None:
    route = router.post("/video_generation").mock(side_effect=httpx.ReadTimeout("slow"))
    with pytest.raises(UnknownOutcomeError) as info:
        await client.generate_video("a cat")
    assert route.call_count == 1
    assert sleeps.calls == []
    assert info.value.endpoint == "video_generation" and not info.value.retryable


@pytest.mark.parametrize("exc", [httpx.RemoteProtocolError("gone"), httpx.ReadError("reset")])
async def test_paid_create_disconnect_is_unknown_outcome(
    client: AsyncMiniMax, router: respx.MockRouter, exc: Exception
) -> None:
    route = router.post("/video_generation").mock(side_effect=exc)
    with pytest.raises(UnknownOutcomeError):
        await client.generate_video("a cat")
    assert route.call_count == 1


@pytest.mark.parametrize(
    "first",
    [
        httpx.RemoteProtocolError("gone"),  # dropped after the request was sent
        httpx.ReadError("reset"),
        httpx.ReadTimeout("slow"),
        httpx.Response(500, text="oops"),
        httpx.Response(502, text="bad gateway"),
        fail(1001, "request timeout"),
        fail(1000, "unknown error"),
    ],
)
async def test_speech_costs_cents_and_is_retried_on_every_transient_failure(
    client: AsyncMiniMax, router: respx.MockRouter, first: object
) -> None:
    route = router.post("/t2a_v2").mock(
        side_effect=[first, ok(data={"audio": "4944330304", "status": 2})]
    )
    result = await client.text_to_audio("hello", "male-qn-qingse")
    assert result.audio == bytes.fromhex("4944330304") and route.call_count == 2


async def test_speech_gives_up_after_four_attempts_with_a_definite_error(
    client: AsyncMiniMax, router: respx.MockRouter
) -> None:
    route = router.post("/t2a_v2").mock(side_effect=httpx.RemoteProtocolError("gone"))
    with pytest.raises(APIConnectionError) as info:
        await client.text_to_audio("hello", "male-qn-qingse")
    assert route.call_count == 4 and not isinstance(info.value, UnknownOutcomeError)


@pytest.mark.parametrize(
    "answer",
    [
        httpx.Response(502, text="bad gateway"),  # a gateway may time out after the task began
        httpx.Response(504, text="gateway timeout"),
    ],
)
async def test_video_create_is_not_repeated_on_a_gateway_error(
    client: AsyncMiniMax, router: respx.MockRouter, answer: httpx.Response
) -> None:
    route = router.post("/video_generation").mock(side_effect=[answer, TASK])
    with pytest.raises(UnknownOutcomeError) as info:
        await client.generate_video("a cat")
    assert route.call_count == 1 and info.value.http_status == answer.status_code


@pytest.mark.parametrize(
    "first",
    [
        httpx.ConnectError("refused"),
        httpx.ConnectTimeout("no route"),
        httpx.Response(429, json={}),
        httpx.Response(503, text="unavailable"),
        fail(1002, "rate limit"),
        fail(1039, "token limit"),
        fail(2045, "rate growth limit"),
    ],
)
async def test_paid_create_retried_when_clearly_not_accepted(
    client: AsyncMiniMax, router: respx.MockRouter, sleeps: Sleeps, first: object
) -> None:
    route = router.post("/video_generation").mock(side_effect=[first, TASK])
    assert await client.generate_video("a cat") == "106916112212032"
    assert route.call_count == 2
    assert len(sleeps.calls) == 1 and 0.5 <= sleeps.calls[0] <= 8


@pytest.mark.parametrize(
    ("answer", "cls"),
    [
        (httpx.Response(500, text="oops"), ServerError),
        (fail(1000, "unknown error"), ServerError),
        (fail(1001, "request timeout"), APITimeoutError),
        (fail(1041, "conn limit"), RateLimitError),
        (fail(2013, "invalid params"), InvalidRequestError),
    ],
)
async def test_paid_create_not_retried_otherwise(
    client: AsyncMiniMax, router: respx.MockRouter, answer: httpx.Response, cls: type[Exception]
) -> None:
    route = router.post("/voice_clone").mock(return_value=answer)
    with pytest.raises(cls):
        await client.voice_clone("362069085524212", "Narrator01")
    assert route.call_count == 1


@pytest.mark.parametrize(
    "first",
    [
        httpx.ReadTimeout("slow"),
        httpx.RemoteProtocolError("gone"),
        httpx.Response(500, text="oops"),
        fail(1000, "unknown error"),
        fail(1001, "request timeout"),
        fail(1013, "internal"),
        fail(1024, "internal"),
        fail(1033, "system error"),
        fail(1041, "conn limit"),
    ],
)
async def test_free_calls_retry_all_transient_errors(
    client: AsyncMiniMax, router: respx.MockRouter, first: object
) -> None:
    route = router.get("/query/video_generation").mock(
        side_effect=[first, ok(task_id="1", status="Processing")]
    )
    task = await client.query_video_status("1")
    assert task.status == "Processing" and route.call_count == 2


async def test_free_call_gives_up_after_max_retries(
    client: AsyncMiniMax, router: respx.MockRouter, sleeps: Sleeps
) -> None:
    route = router.get("/files/retrieve").mock(side_effect=httpx.ConnectError("down"))
    with pytest.raises(APIConnectionError) as info:
        await client.retrieve_file("1")
    assert route.call_count == 4
    assert not info.value.request_sent
    # exponential from 0.5 s with up to 0.5 s jitter, capped at 8 s
    assert len(sleeps.calls) == 3
    assert 0.5 <= sleeps.calls[0] <= 1.0 and 1.0 <= sleeps.calls[1] <= 1.5
    assert 2.0 <= sleeps.calls[2] <= 2.5


async def test_free_read_timeout_is_timeout_error(
    client: AsyncMiniMax, router: respx.MockRouter
) -> None:
    router.get("/files/retrieve").mock(side_effect=httpx.ReadTimeout("slow"))
    with pytest.raises(APITimeoutError) as info:
        await client.retrieve_file("1")
    assert info.value.request_sent


async def test_retry_after_is_honoured(
    client: AsyncMiniMax, router: respx.MockRouter, sleeps: Sleeps
) -> None:
    router.post("/t2a_v2").mock(
        side_effect=[
            httpx.Response(429, headers={"Retry-After": "3"}, json={}),
            ok(data={"audio": "4944330304", "status": 2}),
        ]
    )
    result = await client.text_to_audio("hello", "male-qn-qingse")
    assert result.audio == bytes.fromhex("4944330304")
    assert sleeps.calls == [3.0]


async def test_long_retry_after_is_not_waited(
    client: AsyncMiniMax, router: respx.MockRouter, sleeps: Sleeps
) -> None:
    route = router.get("/files/retrieve").mock(
        return_value=httpx.Response(429, headers={"Retry-After": "3600"}, json={})
    )
    with pytest.raises(RateLimitError) as info:
        await client.retrieve_file("1")
    assert route.call_count == 1 and sleeps.calls == []
    assert info.value.retry_after == 3600


async def test_max_retries_zero(settings: object, router: respx.MockRouter) -> None:
    from storyreel.minimax import MiniMaxSettings

    assert isinstance(settings, MiniMaxSettings)
    route = router.get("/files/retrieve").mock(return_value=httpx.Response(503, text="x"))
    async with AsyncMiniMax(settings.model_copy(update={"max_retries": 0}), sleep=Sleeps()) as mm:
        with pytest.raises(ServerError):
            await mm.retrieve_file("1")
    assert route.call_count == 1


def test_parse_retry_after() -> None:
    assert parse_retry_after(None) is None
    assert parse_retry_after("2.5") == 2.5
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
    assert parse_retry_after("Wed, 21 Oct 2999 07:28:00") > 1e6  # type: ignore[operator]
    assert parse_retry_after("soon") is None
