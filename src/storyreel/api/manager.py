"""The service's job manager.

In-process (the default): runs :meth:`JobRunner.run` in asyncio tasks, a few at a time; cancels
them; resumes unfinished jobs on startup and leaves them resumable on shutdown; fans live events
out to SSE readers on top of the store's events; and turns MiniMax webhooks into early wake-ups
of waiting fetches.

Remote (``STORYREEL_BROKER_URL`` set): jobs go to the workers (:mod:`storyreel.distributed`) and
nothing runs here. The job store is shared, so a job's progress reaches its readers as the
store's events, polled (:mod:`storyreel.pipeline.follow`); cancelling marks the job cancelled
in the store, and the workers take no more of its units of work.
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
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from cachetools import TTLCache

from storyreel.config import Settings
from storyreel.distributed import distributed_enabled, submit_job
from storyreel.errors import JobError
from storyreel.minimax import AsyncMiniMax, MiniMaxError
from storyreel.pipeline.events import Event, EventSink, StepProgress
from storyreel.pipeline.follow import POLL_SECONDS, follow_events
from storyreel.pipeline.jobs import JobOptions, JobRunner
from storyreel.pipeline.store import FINISHED_STATUSES, Job, JobStore
from storyreel.pipeline.store import Event as StoredEvent
from storyreel.providers.minimax_video import WakeRegistry

log = logging.getLogger(__name__)

DEFAULT_MAX_JOBS = 2
# With webhooks on, polling is only the fallback for a lost callback: it may be slower.
WEBHOOK_POLL_SLOWDOWN = 3.0
WEBHOOK_SECRET_FILE = "webhook.secret"
# Restart reads unfinished jobs this many at a time (all of them, however many).
RESUME_PAGE = 500
# Callbacks already handled, so a repeat costs nothing: bounded and expiring, since every
# distinct task id (a flood of made-up ones included) would otherwise stay for good.
HANDLED_CALLBACKS_MAX = 10_000
HANDLED_CALLBACKS_TTL = 24 * 3600.0
CallbackStatus = Literal["Processing", "Success", "Fail"]


@dataclass(frozen=True)
class LiveEvent:
    """One item of a job's live stream. ``seq`` is the store's number; ``None`` for the
    progress ticks the store thins out (they are only live)."""

    type: str
    data: dict[str, Any]
    seq: int | None = None


# Put on every subscriber's queue when the job's task ends.
_END = LiveEvent("end", {})


class QueueUnavailableError(JobError):
    """Remote mode: the job could not be handed to the workers (the broker is unreachable)."""


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


@dataclass
class JobManager:
    """Runs the service's jobs. Build, ``await start()``, and ``await aclose()`` at shutdown."""

    settings: Settings
    store: JobStore
    max_jobs: int = DEFAULT_MAX_JOBS
    minimax: AsyncMiniMax | None = None  # confirms webhook notifications
    wakes: WakeRegistry = field(default_factory=WakeRegistry)
    # Remote mode: how often an event stream reads the store for a job running on a worker.
    poll_seconds: float = POLL_SECONDS
    _tasks: dict[str, asyncio.Task[None]] = field(default_factory=dict)
    _subscribers: dict[str, set[asyncio.Queue[LiveEvent]]] = field(default_factory=dict)
    _user_cancelled: set[str] = field(default_factory=set)
    _background: set[asyncio.Task[Any]] = field(default_factory=set)
    _handled_callbacks: TTLCache[tuple[str, str], bool] = field(
        default_factory=lambda: TTLCache(HANDLED_CALLBACKS_MAX, HANDLED_CALLBACKS_TTL)
    )
    _closing: bool = False

    def __post_init__(self) -> None:
        self.runner = JobRunner(self.settings, self.store)
        self._slots = asyncio.Semaphore(self.max_jobs)
        self.tokens = WebhookTokens.load(self.settings.data_dir)
        self.remote = distributed_enabled(self.settings)

    @property
    def webhooks_on(self) -> bool:
        # Remote mode: workers poll MiniMax and send no callback_url. A notice reaching this
        # process could not wake a fetch waiting in a worker's process, and relaying it
        # (pub/sub) would only shorten a wait the poll already ends.
        return bool(self.settings.public_url) and not self.remote

    def callback_url(self, job_id: str) -> str:
        base = (self.settings.public_url or "").rstrip("/")
        return f"{base}/webhooks/minimax/{self.tokens.token(job_id)}"

    # -- lifecycle --------------------------------------------------------------------------

    async def start(self) -> list[str]:
        """Resume the service's unfinished jobs (queued or running when it last stopped); in
        remote mode, send to the workers those the queue has lost. The ids resumed or sent."""
        jobs_root = (self.settings.data_dir / "jobs").resolve()
        unfinished = [
            job.id
            async for job in self._unfinished_jobs()
            # Jobs of `storyreel make --out DIR` belong to the CLI (it may be running now).
            if job.output_dir.is_relative_to(jobs_root)
        ]
        if self.remote:
            if self.settings.public_url:
                # Clips an in-process run submitted (before the broker was configured) may
                # still call back: know their tokens, to answer them (they wake nothing).
                for job_id in unfinished:
                    self.tokens.token(job_id)
            return await self._send_lost(unfinished)
        for job_id in unfinished:
            self._schedule(job_id)
        if unfinished:
            log.info("resuming %d unfinished job(s)", len(unfinished))
        return unfinished

    async def _unfinished_jobs(self) -> AsyncIterator[Job]:
        """Every running or queued job, page by page (all are read before any is started, so a
        job changing status while we page cannot shift the pages)."""
        for status in ("running", "queued"):
            offset = 0
            while True:
                page = await self.store.list_jobs(status=status, limit=RESUME_PAGE, offset=offset)
                for job in page:
                    yield job
                if len(page) < RESUME_PAGE:
                    break
                offset += RESUME_PAGE

    async def _send_lost(self, unfinished: list[str]) -> list[str]:
        """Remote mode: the workers own unfinished jobs, and dramatiq hands a dead worker's
        messages to another, so nothing is resumed here. Only a job with no message left in
        the queue (waiting, in flight or awaiting a retry) is sent again: the service stopped
        between creating and sending it, it was left unfinished by an in-process run before
        the broker was configured, or Redis lost its data. Sending every unfinished job again
        would be safe too (the workers reuse what is done), but each would re-send all its
        segments, and every duplicate holds a worker thread waiting on its twin's lease."""
        if not unfinished:
            return []
        from storyreel.distributed.health import jobs_in_queue

        try:
            held = await asyncio.to_thread(jobs_in_queue, self.settings)
        except Exception as error:  # the service still serves what it has; sending would fail
            log.warning(
                "could not read the queue (%s: %s): %d unfinished job(s) not checked",
                type(error).__name__,
                error,
                len(unfinished),
            )
            return []
        sent = []
        for job_id in (job_id for job_id in unfinished if job_id not in held):
            try:
                await submit_job(job_id, self.settings)
            except Exception as error:  # left for the next start; the service starts anyway
                log.warning("could not send lost job %s again: %s", job_id, error)
            else:
                sent.append(job_id)
        if sent:
            log.info("sent %d unfinished job(s) the queue had lost to the workers", len(sent))
        return sent

    async def aclose(self) -> None:
        """Stop every job; each is left ``queued`` so the next start resumes it."""
        self._closing = True
        tasks = list(self._tasks.values()) + list(self._background)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)

    # -- jobs -------------------------------------------------------------------------------

    async def submit(self, story: str, options: JobOptions) -> Job:
        job = await self.runner.create(story, options)
        if self.remote:
            await self._send(job.id)
        else:
            self._schedule(job.id)
        return job

    async def _send(self, job_id: str) -> None:
        try:
            await submit_job(job_id, self.settings)
        except Exception as error:
            reason = f"could not queue the job for the workers ({type(error).__name__}: {error})"
            # Failed, not queued: nobody would ever take it. (Had the message gone out after
            # all, the workers skip a failed job.)
            await self.store.set_status(job_id, "failed", error=reason)
            raise QueueUnavailableError(reason) from None

    async def is_active(self, job_id: str) -> bool:
        """Whether the job is running (or waiting for its turn) somewhere: in this process, or
        in remote mode on the workers, as the shared store says."""
        if self.remote:
            return (await self.store.get_job(job_id)).status not in FINISHED_STATUSES
        return job_id in self._tasks

    def jobs_here(self) -> list[str]:
        """Ids of the jobs this process runs or holds waiting for a slot (none in remote mode)."""
        return list(self._tasks)

    async def cancel(self, job_id: str) -> Job:
        """Stop the job. Finished work stays; ``storyreel resume`` can finish it later.

        Remote mode: the job is marked cancelled in the store, and each unit of work checks that
        before it starts (see :mod:`storyreel.distributed.actors`). A unit already running
        finishes (a clip already paid for is still fetched and muxed); what it enqueues next
        finds the job cancelled and does nothing."""
        task = self._tasks.get(job_id)
        if task is not None:
            self._user_cancelled.add(job_id)
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        else:
            job = await self.store.get_job(job_id)
            if job.status not in FINISHED_STATUSES:
                await self.store.set_status(job_id, "cancelled", error="cancelled")
        return await self.store.get_job(job_id)

    def _schedule(self, job_id: str) -> None:
        if job_id in self._tasks:
            return
        task = asyncio.get_running_loop().create_task(self._run(job_id), name=f"job:{job_id}")
        self._tasks[job_id] = task

    def _runner_for(self, job_id: str) -> JobRunner:
        if not self.webhooks_on:
            return JobRunner(
                self.settings,
                self.store,
                prices=self.runner.prices,
                on_event_stored=self._stored,
            )
        minimax = self.settings.minimax
        slower = minimax.model_copy(
            update={"poll_interval": minimax.poll_interval * WEBHOOK_POLL_SLOWDOWN}
        )
        return JobRunner(
            self.settings.model_copy(update={"minimax": slower}),
            self.store,
            provider_kwargs={"callback_url": self.callback_url(job_id), "wakes": self.wakes},
            prices=self.runner.prices,
            on_event_stored=self._stored,
        )

    async def _run(self, job_id: str) -> None:
        try:
            async with self._slots:
                await self._runner_for(job_id).run(job_id, events=self._live(job_id))
        except asyncio.CancelledError:
            if self._closing and job_id not in self._user_cancelled:
                # Shutdown, not the user's choice: the next start picks the job up again.
                await self.store.set_status(job_id, "queued")
            else:
                await self.store.set_status(job_id, "cancelled", error="cancelled")
            raise
        except Exception as error:  # the runner recorded it on the job; the service goes on
            log.info("job %s failed: %s", job_id, error)
        finally:
            self._tasks.pop(job_id, None)
            self._user_cancelled.discard(job_id)
            self._publish(job_id, _END)

    # -- live events ------------------------------------------------------------------------

    def _live(self, job_id: str) -> EventSink:
        def forward(event: Event) -> None:
            # Only progress ticks travel live; everything else comes with its store seq.
            if isinstance(event, StepProgress):
                data = event.to_dict()
                self._publish(job_id, LiveEvent(data.pop("type"), data))

        return forward

    def _stored(self, event: StoredEvent) -> None:
        self._publish(event.job_id, LiveEvent(event.type, event.payload, event.seq))

    def _publish(self, job_id: str, item: LiveEvent) -> None:
        for queue in self._subscribers.get(job_id, ()):
            queue.put_nowait(item)

    @contextlib.contextmanager
    def _subscribe(self, job_id: str) -> Iterator[asyncio.Queue[LiveEvent]]:
        queue: asyncio.Queue[LiveEvent] = asyncio.Queue()
        self._subscribers.setdefault(job_id, set()).add(queue)
        try:
            yield queue
        finally:
            subscribers = self._subscribers.get(job_id, set())
            subscribers.discard(queue)
            if not subscribers:
                self._subscribers.pop(job_id, None)

    async def stream(self, job_id: str, *, after: int = 0) -> AsyncIterator[LiveEvent]:
        """The job's stored events after ``after``, then live ones, then one ``end`` event
        carrying the final status. Ends at once for a job that is not running.

        Remote mode: the stored events as the workers store them (progress ticks too, thinned),
        read every ``poll_seconds`` until the job has finished: ``on_event_stored`` only fires
        in the process that stores the event."""
        if self.remote:
            async for stored in follow_events(
                self.store, job_id, after=after, poll=self.poll_seconds
            ):
                yield LiveEvent(stored.type, stored.payload, stored.seq)
            job = await self.store.get_job(job_id)
            yield LiveEvent("end", {"status": job.status, "error": job.error})
            return
        with self._subscribe(job_id) as queue:
            last = after
            for stored in await self.store.events(job_id, after=last):
                last = stored.seq
                yield LiveEvent(stored.type, stored.payload, stored.seq)
            running = job_id in self._tasks
            while running:
                item = await queue.get()
                if item is _END:
                    running = False
                elif item.seq is None:
                    yield item
                elif item.seq > last:
                    # Read from the store, not the item: stores may finish appends out of order.
                    for stored in await self.store.events(job_id, after=last):
                        last = stored.seq
                        yield LiveEvent(stored.type, stored.payload, stored.seq)
            for stored in await self.store.events(job_id, after=last):
                last = stored.seq
                yield LiveEvent(stored.type, stored.payload, stored.seq)
            job = await self.store.get_job(job_id)
            yield LiveEvent("end", {"status": job.status, "error": job.error})

    # -- webhooks ---------------------------------------------------------------------------

    def on_callback(self, job_id: str, task_id: str, status: CallbackStatus) -> None:
        """A MiniMax notification for ``task_id``: confirm it in the background, then wake the
        waiting fetch. Repeats and ``processing`` cost nothing (nothing to wake for)."""
        if status == "Processing" or (task_id, status) in self._handled_callbacks:
            return
        if self.remote:
            return  # a worker is polling for it; nothing waits here to be woken
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


__all__ = [
    "DEFAULT_MAX_JOBS",
    "JobManager",
    "LiveEvent",
    "QueueUnavailableError",
    "WebhookTokens",
]
