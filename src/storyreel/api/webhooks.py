"""MiniMax's callbacks for the service's clips: the per-job URL sent with each clip, and turning a
notification into an early wake-up of the fetch waiting for that clip.

Only jobs running in this process are sent a callback URL, and only with a public URL to reach
it (``STORYREEL_PUBLIC_URL``). Workers poll MiniMax and send none: a notice reaching the service
could not wake a fetch waiting in a worker's process, and relaying it (pub/sub) would only
shorten a wait the poll already ends. Polling stays, slower, as the fallback for a lost callback.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import logging
import os
import secrets
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal

from cachetools import TTLCache

from storyreel.config import Settings
from storyreel.errors import JobError
from storyreel.minimax import AsyncMiniMax, MiniMaxError
from storyreel.pipeline.store import JobStore
from storyreel.providers.hooks import WakeRegistry

log = logging.getLogger(__name__)

WEBHOOK_SECRET_FILE = "webhook.secret"
# Callbacks already handled, so a repeat costs nothing: bounded and expiring, since every
# distinct task id (a flood of made-up ones included) would otherwise stay for good.
HANDLED_CALLBACKS_MAX = 10_000
HANDLED_CALLBACKS_TTL = 24 * 3600.0
CallbackStatus = Literal["Processing", "Success", "Fail"]


class WebhookTokens:
    """Per-job callback tokens: HMAC of the job id under a secret kept in the data directory.

    Unguessable without the secret, the same after a restart (a clip submitted before it
    still finds its job), and nothing to store per job.
    """

    def __init__(self, secret: bytes) -> None:
        self._secret = secret
        self._jobs: dict[str, str] = {}

    @classmethod
    def load(cls, data_dir: Path) -> WebhookTokens:
        path = data_dir / WEBHOOK_SECRET_FILE
        data_dir.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileExistsError):
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as out:
                out.write(secrets.token_bytes(32))
        secret = path.read_bytes()
        if len(secret) < 32:
            raise RuntimeError(f"{path} is damaged; delete it to make a new one")
        return cls(secret)

    def token(self, job_id: str) -> str:
        digest = hmac.new(self._secret, job_id.encode(), hashlib.sha256).digest()
        token = base64.urlsafe_b64encode(digest).decode().rstrip("=")
        self._jobs[token] = job_id
        return token

    def job_for(self, token: str) -> str | None:
        for known, job_id in self._jobs.items():
            if hmac.compare_digest(known.encode(), token.encode()):
                return job_id
        return None


class Webhooks:
    """The service's end of MiniMax's callbacks. ``fetches_here``: the jobs run in this process,
    so a fetch may be waiting here to be woken."""

    def __init__(
        self,
        settings: Settings,
        store: JobStore,
        minimax: AsyncMiniMax | None,
        wakes: WakeRegistry,
        *,
        fetches_here: bool,
    ) -> None:
        self.store = store
        self.minimax = minimax  # confirms notifications
        self.wakes = wakes
        self.tokens = WebhookTokens.load(settings.data_dir)
        self._public_url = (settings.public_url or "").rstrip("/")
        # Whether clips are sent with a callback URL.
        self.on = bool(self._public_url) and fetches_here
        self._handled_callbacks: TTLCache[tuple[str, str], bool] = TTLCache(
            HANDLED_CALLBACKS_MAX, HANDLED_CALLBACKS_TTL
        )
        self._background: set[asyncio.Task[Any]] = set()

    def callback_url(self, job_id: str) -> str:
        return f"{self._public_url}/webhooks/minimax/{self.tokens.token(job_id)}"

    def answer_for(self, job_ids: Iterable[str]) -> None:
        """Know these jobs' tokens, so their callbacks are answered (not 404), though they wake
        nothing: with workers, for clips an in-process run submitted before the broker was
        configured."""
        if self._public_url:
            for job_id in job_ids:
                self.tokens.token(job_id)

    def on_callback(self, job_id: str, task_id: str, status: CallbackStatus) -> None:
        """A MiniMax notification for ``task_id``: confirm it in the background, then wake the
        waiting fetch. Repeats and ``processing`` cost nothing (nothing to wake for)."""
        if status == "Processing" or (task_id, status) in self._handled_callbacks:
            return
        if not self.on:
            return  # nothing waits here to be woken: the workers poll for their clips
        self._handled_callbacks[(task_id, status)] = True
        task = asyncio.get_running_loop().create_task(self._confirm(job_id, task_id, status))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _confirm(self, job_id: str, task_id: str, status: CallbackStatus) -> None:
        try:
            steps = await self.store.list_steps(job_id)
        except JobError:
            return  # the job was deleted
        if any(s.provider_ref == task_id and s.state == "done" for s in steps):
            return  # the poll got there first
        if self.minimax is None:
            return
        try:
            # The callback carries no signature: believe only MiniMax's own answer.
            task = await self.minimax.query_video_status(task_id)
        except MiniMaxError as error:
            log.info("could not confirm the callback for %s: %s", task_id, error)
            self._handled_callbacks.pop((task_id, status), None)
            return
        if task.done or task.failed:
            # The fetch may not be waiting yet (its task id is recorded just after the create
            # answers); the wake stays set for it.
            log.debug("callback for %s confirmed (%s): waking its fetch", task_id, task.status)
            self.wakes.notify(task_id)
        else:
            log.info("callback said %s for %s but MiniMax says %s", status, task_id, task.status)
            self._handled_callbacks.pop((task_id, status), None)

    async def aclose(self) -> None:
        """Drop the confirmations still in flight (a fetch's own poll finds what they would)."""
        tasks = list(self._background)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)


__all__ = [
    "HANDLED_CALLBACKS_MAX",
    "CallbackStatus",
    "WebhookTokens",
    "Webhooks",
]
