"""Downloading generated files: stream to a temp file, check the size, rename atomically.

Download URLs are cached per file_id. The real service gives no ``expires_at`` (links reportedly
last ~9 h), so a conservative TTL applies; a 403/404/410, a network failure or a short file
makes us ask ``files/retrieve`` again for a fresh URL, a bounded number of times.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import IO

import httpx

from ._constants import (
    DOWNLOAD,
    DOWNLOAD_CHUNK_BYTES,
    DOWNLOAD_URL_TTL,
    INITIAL_RETRY_DELAY,
    MAX_DOWNLOAD_ATTEMPTS,
    MAX_RETRY_DELAY,
)
from ._exceptions import (
    APIConnectionError,
    APITimeoutError,
    MiniMaxError,
    ServerError,
    make_error,
    safe_trace_id,
)
from ._models import RetrievedFile

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]
Retrieve = Callable[[str], Awaitable[RetrievedFile]]
Progress = Callable[[int, int | None], None]


class Downloader:
    """Owns the URL cache and the streaming of files to disk."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        retrieve: Retrieve,
        sleep: Sleep,
        *,
        clock: Callable[[], float] = time.monotonic,
        ttl: float = DOWNLOAD_URL_TTL,
    ) -> None:
        self._http = http
        self._retrieve = retrieve
        self._sleep = sleep
        self._clock = clock
        self._ttl = ttl
        self._cache: dict[str, tuple[RetrievedFile, float]] = {}

    def remember(self, info: RetrievedFile) -> None:
        self._cache[info.file_id] = (info, self._clock())

    def forget(self, file_id: str) -> None:
        self._cache.pop(file_id, None)

    async def info(self, file_id: str, *, fresh: bool = False) -> RetrievedFile:
        cached = self._cache.get(file_id)
        if cached and not fresh and self._clock() - cached[1] < self._ttl:
            log.debug("download URL of %s from cache", file_id)
            return cached[0]
        return await self._retrieve(file_id)  # the client's retrieve_file remembers it

    async def download(self, file_id: str, dest: Path, on_progress: Progress | None) -> Path:
        dest = Path(dest)
        await asyncio.to_thread(dest.parent.mkdir, parents=True, exist_ok=True)
        error: MiniMaxError | None = None
        for attempt in range(MAX_DOWNLOAD_ATTEMPTS):
            if attempt:
                delay = min(INITIAL_RETRY_DELAY * 2**attempt, MAX_RETRY_DELAY)
                log.debug("download of %s failed (%s); fresh URL in %.1f s", file_id, error, delay)
                await self._sleep(delay)
            info = await self.info(file_id, fresh=attempt > 0)
            try:
                await self._fetch(info, dest, on_progress)
            except MiniMaxError as exc:
                self.forget(file_id)
                error = exc
                continue
            return dest
        assert error is not None
        raise error

    async def _fetch(self, info: RetrievedFile, dest: Path, on_progress: Progress | None) -> None:
        tmp = dest.with_name(f".{dest.name}.{uuid.uuid4().hex[:8]}.part")
        try:
            done, promised = await self._stream(info, tmp, on_progress)
            # The CDN's Content-Length is what this transfer must deliver; files/retrieve's
            # ``bytes`` is only a hint (it has been seen to differ from the file served).
            if promised is not None and done != promised:
                raise ServerError(
                    f"file {info.file_id}: got {done} of {promised} bytes", endpoint=DOWNLOAD
                )
            if info.bytes is not None and done != info.bytes:
                log.debug(
                    "file %s: %d bytes, files/retrieve said %d", info.file_id, done, info.bytes
                )
            await asyncio.to_thread(os.replace, tmp, dest)
        finally:
            await asyncio.to_thread(tmp.unlink, missing_ok=True)

    async def _stream(
        self, info: RetrievedFile, tmp: Path, on_progress: Progress | None
    ) -> tuple[int, int | None]:
        """Bytes written, and the Content-Length the CDN promised (None when it sent none, or
        sent it for a compressed body)."""
        done = 0
        promised: int | None = None
        try:
            async with self._http.stream("GET", info.download_url) as response:
                if response.status_code >= 400:
                    # 403/404/410 mean an expired or revoked link: the caller asks for a new one.
                    raise make_error(
                        DOWNLOAD,
                        http_status=response.status_code,
                        code=None,
                        message=f"download of file {info.file_id} refused",
                        trace_id=safe_trace_id(response.headers.get("Trace-Id")),
                    )
                length = response.headers.get("content-length", "")
                if length.isdigit() and "content-encoding" not in response.headers:
                    promised = int(length)
                total = promised if promised is not None else info.bytes
                handle: IO[bytes] = await asyncio.to_thread(tmp.open, "wb")
                try:
                    async for chunk in response.aiter_bytes(DOWNLOAD_CHUNK_BYTES):
                        await asyncio.to_thread(handle.write, chunk)
                        done += len(chunk)
                        if on_progress is not None:
                            on_progress(done, total)
                finally:
                    await asyncio.to_thread(handle.close)
        except httpx.TimeoutException as exc:
            raise APITimeoutError(
                f"download timed out: {type(exc).__name__}", endpoint=DOWNLOAD
            ) from exc
        except httpx.HTTPError as exc:
            raise APIConnectionError(
                f"download failed: {type(exc).__name__}", endpoint=DOWNLOAD
            ) from exc
        return done, promised
