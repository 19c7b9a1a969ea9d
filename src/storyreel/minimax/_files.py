"""Files: upload, retrieve, download, and fetching the media URLs answers hand out.

Downloads go through the key-less CDN client (``_download.Downloader``, which caches the
temporary URLs ``files/retrieve`` gives).
"""

from __future__ import annotations

import asyncio
import functools
from pathlib import Path

import httpx

from . import _validation as check
from ._base_client import BaseClient
from ._constants import CLONE_AUDIO_FORMATS, DOWNLOAD, RETRIEVE, UPLOAD
from ._download import Downloader, Progress
from ._exceptions import MiniMaxValidationError, make_error
from ._models import RetrievedFile, UploadedFile
from ._retry import build_retrying, parse_retry_after


class FilesResource(BaseClient):
    """The files endpoints; also what speech and music use to fetch a URL answer."""

    @functools.cached_property
    def _downloads(self) -> Downloader:
        # Built on first use: it needs ``retrieve_file``, which the base client does not have.
        return Downloader(self._files_http, self.retrieve_file, self._sleep)

    async def upload_file(
        self, file: Path | bytes, *, purpose: str = "voice_clone", filename: str | None = None
    ) -> UploadedFile:
        """``POST /v1/files/upload`` (multipart). Returns the new file's id."""
        if isinstance(file, bytes):
            data = file
            name = filename or "audio.mp3"
        else:
            path = Path(file)
            if not await asyncio.to_thread(path.is_file):
                raise MiniMaxValidationError(
                    f"{str(path)!r} is not a file", field="file", fix="give an existing file"
                )
            data = await asyncio.to_thread(path.read_bytes)
            name = filename or path.name
        check.validate_upload(purpose, len(data))
        mime = CLONE_AUDIO_FORMATS.get(
            Path(name).suffix.lower().lstrip("."), "application/octet-stream"
        )
        body = await self._json(
            "POST", UPLOAD, files={"file": (name, data, mime)}, data={"purpose": purpose}
        )
        return self._parse(UploadedFile, body.get("file"), UPLOAD)

    async def retrieve_file(self, file_id: str) -> RetrievedFile:
        """``GET /v1/files/retrieve``: metadata and a (temporary) download URL."""
        if not str(file_id).strip():
            raise MiniMaxValidationError("is empty", field="file_id", fix="pass the task's file_id")
        body = await self._json("GET", RETRIEVE, params={"file_id": str(file_id)})
        info = self._parse(RetrievedFile, body.get("file"), RETRIEVE)
        self._downloads.remember(info)
        return info

    async def download_file(
        self, file_id: str, dest: Path, on_progress: Progress | None = None
    ) -> Path:
        """Stream a generated file to ``dest`` (atomic), asking for a fresh URL when needed."""
        return await self._downloads.download(str(file_id), Path(dest), on_progress)

    async def _fetch_url(self, url: str) -> bytes:
        """GET a media URL the service handed out (no API key sent), with free-call retries."""
        retrying = build_retrying(
            max_retries=self.settings.max_retries, paid=False, sleep=self._sleep
        )
        async for attempt in retrying:
            with attempt:
                try:
                    response = await self._files_http.get(url)
                except httpx.HTTPError as exc:
                    raise self._transport_error(DOWNLOAD, exc, paid=False) from exc
                if response.status_code >= 400:
                    raise make_error(
                        DOWNLOAD,
                        http_status=response.status_code,
                        code=None,
                        message="audio URL refused",
                        trace_id=self._trace_id(response),
                        retry_after=parse_retry_after(response.headers.get("Retry-After")),
                    )
                return response.content
        raise AssertionError("unreachable: tenacity reraises")  # pragma: no cover
