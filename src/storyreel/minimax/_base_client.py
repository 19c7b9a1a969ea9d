"""``BaseClient``: the plumbing every MiniMax resource shares (openai-python's ``_base_client``).

Every request goes through :meth:`BaseClient._call`: client-side rate limit, one attempt,
translation of transport failures and ``base_resp`` codes into named errors, and the tenacity
policy of ``_retry`` around it. In mock mode the transport is an in-process fake
(``_mock.MockMiniMax``), so exactly the same code runs without a request leaving the process.
The endpoints themselves live in the resource modules (``_files``, ``_voices``, ``_speech``,
``_music``, ``_video``) that ``AsyncMiniMax`` composes.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import ssl
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Self, TypeVar

import certifi
import httpx
import pydantic
from pydantic import SecretStr

from ._config import MiniMaxSettings
from ._constants import (
    API_PREFIX,
    CONNECT_TIMEOUT,
    DOWNLOAD_READ_TIMEOUT,
    GATEWAY_TIMEOUTS,
    NOT_REPEATED_BLINDLY,
)
from ._exceptions import (
    APIConnectionError,
    APITimeoutError,
    MiniMaxError,
    ServerError,
    UnknownOutcomeError,
    make_error,
    safe_trace_id,
)
from ._models import int_or_none
from ._ratelimit import RateLimiter, RateLimits
from ._retry import build_retrying, parse_retry_after

log = logging.getLogger(__name__)

T = TypeVar("T")
M = TypeVar("M", bound=pydantic.BaseModel)
Reader = Callable[[str, httpx.Response], Awaitable[T]]
# Awaited right before a request leaves (after validation and the rate-limit wait).
BeforeSend = Callable[[], Awaitable[None]]
# Called as a request starts waiting for its rate-limit slot (before ``BeforeSend``).
BeforeWait = Callable[[], None]

_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


@functools.cache
def _tls_context() -> ssl.SSLContext:
    # Building a CA bundle costs ~40 ms; one shared context keeps client creation cheap.
    return ssl.create_default_context(cafile=certifi.where())


class BaseClient:
    """Settings, the two HTTP clients (API with the key, CDN without), rate slots and the
    request cycle. The resources subclass it; only ``AsyncMiniMax`` is instantiated."""

    def __init__(
        self,
        settings: MiniMaxSettings | None = None,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        rate_limits: RateLimiter | None = None,
    ) -> None:
        """``rate_limits``: where request slots come from; by default this process's own
        buckets at the settings' RPM (none in mock mode)."""
        settings = settings if settings is not None else MiniMaxSettings()
        overrides: dict[str, object] = {}
        if api_key is not None:
            overrides["api_key"] = SecretStr(api_key)
        if base_url is not None:
            overrides["base_url"] = base_url
        if overrides:
            settings = MiniMaxSettings.model_validate({**settings.model_dump(), **overrides})
        self.settings = settings
        self.mocked: bool = settings.mocked
        self._sleep = sleep
        self._secret = settings.api_key.get_secret_value() if settings.api_key else ""
        if self.mocked:
            from ._mock import MockMiniMax  # deferred: only mock mode needs it

            self._mock: MockMiniMax | None = MockMiniMax()
            transport = httpx.MockTransport(self._mock.handle)
        else:
            self._mock = None
        headers = {"User-Agent": "storyreel-minimax"}
        if self._secret and not self.mocked:
            headers["Authorization"] = f"Bearer {self._secret}"
        self._http = httpx.AsyncClient(
            base_url=f"{settings.base_url}{API_PREFIX}/",
            transport=transport,
            headers=headers,
            timeout=httpx.Timeout(settings.request_timeout, connect=CONNECT_TIMEOUT),
            verify=_tls_context(),
        )
        # Download links point at a CDN: never send the API key there.
        self._files_http = httpx.AsyncClient(
            transport=transport,
            headers={"User-Agent": "storyreel-minimax"},
            timeout=httpx.Timeout(DOWNLOAD_READ_TIMEOUT, connect=CONNECT_TIMEOUT),
            follow_redirects=True,
            verify=_tls_context(),
        )
        self._limits: RateLimiter = rate_limits or RateLimits(
            video_rpm=settings.video_rpm,
            tts_rpm=settings.tts_rpm,
            clone_rpm=settings.clone_rpm,
            enabled=not self.mocked,
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.settings.base_url!r}, mocked={self.mocked})"

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()
        await self._files_http.aclose()

    # --- plumbing --------------------------------------------------------------------------

    def _redact(self, text: str) -> str:
        return text.replace(self._secret, "***") if self._secret else text

    def _trace_id(self, response: httpx.Response, body: Any = None) -> str | None:
        """The answer's trace id (header first, then body), as a string safe to log and store.

        It comes from the network: a misbehaving server or proxy could echo the key in it, or
        send megabytes. So the key is redacted and anything but a short token is dropped.
        """
        value = response.headers.get("Trace-Id")
        if not value and isinstance(body, dict) and body.get("trace_id"):
            value = str(body["trace_id"])
        return safe_trace_id(self._redact(value)) if value else None

    async def _call(
        self,
        method: str,
        endpoint: str,
        *,
        read: Reader[T],
        before_send: BeforeSend | None = None,
        before_wait: BeforeWait | None = None,
        **request: Any,
    ) -> T:
        """One API call with rate limit, retries and error translation.

        ``before_send`` is awaited inside the rate-limit slot, right before each attempt's
        request leaves: the moment a paid create may start to cost (see ``generate_video``).
        ``before_wait`` is called as each attempt starts waiting for its slot, so a caller can
        tell the rate-limit wait from the request (storyreel's job timeline does)."""
        # 'paid' here means costly to repeat (see _constants): video creates and voice clones.
        paid = endpoint in NOT_REPEATED_BLINDLY
        reader = read
        retrying = build_retrying(
            max_retries=self.settings.max_retries, paid=paid, sleep=self._sleep
        )
        async for attempt in retrying:
            with attempt:
                result: T = await self._attempt(
                    method, endpoint, reader, paid, request, before_send, before_wait
                )
                return result
        raise AssertionError("unreachable: tenacity reraises")  # pragma: no cover

    async def _json(
        self,
        method: str,
        endpoint: str,
        *,
        before_send: BeforeSend | None = None,
        before_wait: BeforeWait | None = None,
        **request: Any,
    ) -> dict[str, Any]:
        return await self._call(
            method,
            endpoint,
            read=self._read_json,
            before_send=before_send,
            before_wait=before_wait,
            **request,
        )

    async def _attempt(
        self,
        method: str,
        endpoint: str,
        reader: Reader[T],
        paid: bool,
        request: Mapping[str, Any],
        before_send: BeforeSend | None,
        before_wait: BeforeWait | None = None,
    ) -> T:
        if before_wait is not None:
            before_wait()
        async with self._limits.slot(endpoint):
            if before_send is not None:
                await before_send()
            log.debug("%s %s", method, endpoint)
            try:
                response = await self._http.send(
                    self._http.build_request(method, endpoint, **request), stream=True
                )
                try:
                    return await reader(endpoint, response)
                finally:
                    await response.aclose()
            except httpx.HTTPError as exc:
                raise self._transport_error(endpoint, exc, paid=paid) from exc

    def _transport_error(self, endpoint: str, exc: httpx.HTTPError, *, paid: bool) -> MiniMaxError:
        kind = type(exc).__name__
        sent = not isinstance(exc, _NOT_SENT)
        if paid and sent:
            return UnknownOutcomeError(
                f"no answer after the request was sent ({kind}); it may have been accepted and "
                "billed, so it is not repeated automatically",
                endpoint=endpoint,
            )
        cls = APITimeoutError if isinstance(exc, httpx.TimeoutException) else APIConnectionError
        error = cls(self._redact(f"{kind}: {exc}".rstrip(": ")), endpoint=endpoint)
        error.request_sent = sent
        return error

    def _raise_for_body(
        self, endpoint: str, response: httpx.Response, body: object
    ) -> dict[str, Any]:
        """Return the JSON body, or raise the named error (HTTP status, base_resp, non-JSON)."""
        trace_id = self._trace_id(response, body)
        code: int | None = None
        message = ""
        if isinstance(body, dict):
            base = body.get("base_resp")
            if isinstance(base, dict):
                code = int_or_none(base.get("status_code"))
                message = str(base.get("status_msg") or "")
        failed = response.status_code >= 400 or not isinstance(body, dict) or code not in (None, 0)
        if not failed:
            assert isinstance(body, dict)
            return body
        if not message:
            if isinstance(body, dict):
                message = f"HTTP {response.status_code} {response.reason_phrase}"
            else:
                snippet = " ".join(response.text[:120].split())
                message = (
                    f"non-JSON answer (HTTP {response.status_code}, a gateway page?): {snippet!r}"
                )
        if endpoint in NOT_REPEATED_BLINDLY and response.status_code in GATEWAY_TIMEOUTS:
            # The gateway gave up waiting, not the service: the create may have gone through.
            raise UnknownOutcomeError(
                f"HTTP {response.status_code} from the gateway after the request was sent; it "
                "may have been accepted and billed, so it is not repeated automatically",
                endpoint=endpoint,
                http_status=response.status_code,
                trace_id=trace_id,
            )
        raise make_error(
            endpoint,
            http_status=response.status_code,
            code=code if code else None,
            message=self._redact(message),
            trace_id=trace_id,
            retry_after=parse_retry_after(response.headers.get("Retry-After")),
        )

    @staticmethod
    async def _read_body(response: httpx.Response) -> object:
        """The answer's JSON, or None when it is not JSON (a gateway's HTML page)."""
        await response.aread()
        try:
            return response.json()
        except ValueError:
            return None

    async def _read_json(self, endpoint: str, response: httpx.Response) -> dict[str, Any]:
        return self._raise_for_body(endpoint, response, await self._read_body(response))

    def _parse(self, model: type[M], data: object, endpoint: str) -> M:
        try:
            return model.model_validate(data)
        except pydantic.ValidationError as exc:
            raise ServerError(
                f"unexpected answer shape: {exc.error_count()} problem(s), first: "
                f"{exc.errors()[0]['loc']} {exc.errors()[0]['msg']}",
                endpoint=endpoint,
            ) from exc
