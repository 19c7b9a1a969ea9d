"""Error mapping: seed codes, real codes, HTTP statuses and gateway pages."""

from __future__ import annotations

import httpx
import pytest
import respx

from storyreel.minimax import (
    APIConnectionError,
    APITimeoutError,
    AsyncMiniMax,
    AuthenticationError,
    ContentPolicyError,
    DuplicateVoiceError,
    InsufficientBalanceError,
    InvalidRequestError,
    MiniMaxError,
    PermissionDeniedError,
    QuotaExceededError,
    RateLimitError,
    ServerError,
)
from storyreel.minimax._exceptions import error_class

from .conftest import fail

CODES = [
    # the seed's table
    (1004, AuthenticationError),
    (1005, InsufficientBalanceError),
    (2001, ContentPolicyError),
    (3001, InvalidRequestError),
    (5001, ServerError),
    # the real table
    (1000, ServerError),
    (1001, APITimeoutError),
    (1002, RateLimitError),
    (1008, InsufficientBalanceError),
    (1013, ServerError),
    (1024, ServerError),
    (1026, ContentPolicyError),
    (1027, ContentPolicyError),
    (1033, ServerError),
    (1039, RateLimitError),
    (1041, RateLimitError),
    (1042, InvalidRequestError),
    (1043, InvalidRequestError),
    (1044, InvalidRequestError),
    (2013, InvalidRequestError),
    (20132, InvalidRequestError),
    (2037, InvalidRequestError),
    (2038, PermissionDeniedError),
    (2039, DuplicateVoiceError),
    (2042, PermissionDeniedError),
    (2045, RateLimitError),
    (2048, InvalidRequestError),
    (2049, AuthenticationError),
    (2056, QuotaExceededError),
    (1028, QuotaExceededError),
    (1030, QuotaExceededError),
    (2061, QuotaExceededError),
    (987654, MiniMaxError),
]


@pytest.mark.parametrize(("code", "cls"), CODES)
def test_code_maps_to_class(code: int, cls: type[MiniMaxError]) -> None:
    assert error_class("t2a_v2", 200, code, "msg") is cls


def test_1001_depends_on_endpoint_and_message() -> None:
    assert (
        error_class("voice_clone", 200, 1001, "voice clone voice id duplicate")
        is DuplicateVoiceError
    )
    assert error_class("voice_clone", 200, 1001, "request timeout") is APITimeoutError
    assert error_class("t2a_v2", 200, 1001, "voice id duplicate") is APITimeoutError


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, InvalidRequestError),
        (401, AuthenticationError),
        (402, InsufficientBalanceError),
        (403, PermissionDeniedError),
        (404, InvalidRequestError),
        (408, APITimeoutError),
        (429, RateLimitError),
        (500, ServerError),
        (502, ServerError),
        (504, APITimeoutError),
    ],
)
def test_http_status_maps_to_class(status: int, cls: type[MiniMaxError]) -> None:
    assert error_class("files/retrieve", status, None, "") is cls


def test_retryable_flags() -> None:
    assert RateLimitError("x").retryable and ServerError("x").retryable
    assert APIConnectionError("x").retryable and APITimeoutError("x").retryable
    for cls in (AuthenticationError, ContentPolicyError, InvalidRequestError, QuotaExceededError):
        assert not cls("x").retryable


async def test_http_200_with_business_error_raises_with_trace_ids(
    client: AsyncMiniMax, router: respx.MockRouter
) -> None:
    router.get("/query/video_generation").mock(
        return_value=httpx.Response(
            200,
            headers={"Trace-Id": "hdr-trace"},
            json={"base_resp": {"status_code": 1008, "status_msg": "insufficient balance"}},
        )
    )
    with pytest.raises(InsufficientBalanceError) as info:
        await client.query_video_status("1")
    err = info.value
    assert (err.code, err.endpoint, err.trace_id) == (1008, "query/video_generation", "hdr-trace")
    assert str(err) == (
        "MiniMax query/video_generation: insufficient balance [code 1008, trace id hdr-trace]"
    )
    assert "\n" not in str(err)


async def test_trace_id_from_body(client: AsyncMiniMax, router: respx.MockRouter) -> None:
    router.post("/t2a_v2").mock(return_value=fail(2013, "invalid params", trace_id="body-trace"))
    with pytest.raises(InvalidRequestError) as info:
        await client.text_to_audio("hi", "male-qn-qingse")
    assert info.value.trace_id == "body-trace"


async def test_gateway_html_page_becomes_server_error(
    client: AsyncMiniMax, router: respx.MockRouter, sleeps: object
) -> None:
    route = router.post("/files/upload").mock(
        return_value=httpx.Response(502, text="<html><body>502 Bad Gateway</body></html>")
    )
    with pytest.raises(ServerError) as info:
        await client.upload_file(b"abc", filename="a.mp3")
    assert info.value.http_status == 502
    assert "non-JSON" in str(info.value) and "HTTP 502" in str(info.value)
    assert route.call_count == 4  # free call: 1 + 3 retries


async def test_non_json_200_is_an_error(client: AsyncMiniMax, router: respx.MockRouter) -> None:
    router.get("/files/retrieve").mock(return_value=httpx.Response(200, text="OK"))
    with pytest.raises(ServerError):
        await client.retrieve_file("5")


async def test_http_error_with_json_but_no_base_resp(
    client: AsyncMiniMax, router: respx.MockRouter
) -> None:
    router.get("/files/retrieve").mock(return_value=httpx.Response(404, json={"detail": "nope"}))
    with pytest.raises(InvalidRequestError) as info:
        await client.retrieve_file("5")
    assert "HTTP 404" in str(info.value)


async def test_unexpected_shape_is_server_error(
    client: AsyncMiniMax, router: respx.MockRouter
) -> None:
    router.get("/files/retrieve").mock(
        return_value=httpx.Response(200, json={"file": {"bytes": 1}})
    )
    with pytest.raises(ServerError, match="unexpected answer shape"):
        await client.retrieve_file("5")


@pytest.mark.parametrize("echo", ["{key}", "Bearer {key}", "x" * 5000, "line\nbreak"])
async def test_a_trace_id_echoing_the_key_never_reaches_the_error(
    client: AsyncMiniMax, router: respx.MockRouter, echo: str
) -> None:
    # Hostile-input finding 8: the trace id comes from the network and is shown and stored.
    from .conftest import KEY

    trace = echo.format(key=KEY)
    router.get("/query/video_generation").mock(
        return_value=httpx.Response(
            200,
            headers={"Trace-Id": trace} if "\n" not in trace else {},
            json={"base_resp": {"status_code": 1008, "status_msg": "no"}, "trace_id": trace},
        )
    )
    with pytest.raises(InsufficientBalanceError) as info:
        await client.query_video_status("1")
    err = info.value
    for text in (str(err), repr(err), str(err.trace_id)):
        assert KEY not in text
        assert "\n" not in text
        assert len(text) < 400
