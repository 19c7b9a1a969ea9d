"""Worker health in Redis: each worker process beats every few seconds on a thread of its own.

A beat (1) writes ``{namespace}:worker:{id}`` (host, pid, threads, what it is doing) with an
expiry of three beats, so a killed worker disappears from ``storyreel workers`` on its own, and
(2) tells dramatiq's broker the process is alive (and lets it requeue dead workers' messages),
which its busy consumer threads would not do while every thread waits on a video.

:func:`snapshot` gathers what ``storyreel workers`` and the service's ``GET /workers`` show: the
workers alive, the queue's depth and the jobs in flight.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from storyreel.errors import JobError
from storyreel.pipeline.store import Job, JobStatus, JobStore

if TYPE_CHECKING:
    from redis import Redis

    from storyreel.config import Settings

log = logging.getLogger(__name__)

BEATS_TO_EXPIRE = 3


def worker_key(namespace: str, worker_id: str) -> str:
    return f"{namespace}:worker:{worker_id}"


class Health:
    """This process's record: what it is doing now, beaten into Redis by :meth:`start`."""

    def __init__(self, worker_id: str) -> None:
        self.worker_id = worker_id
        self.started_at = time.time()
        self.threads = 0
        self.done = 0
        self._doing: dict[tuple[str, str], float] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def busy(self, job_id: str, what: str) -> None:
        with self._lock:
            self._doing[(job_id, what)] = time.time()

    def idle(self, job_id: str, what: str) -> None:
        with self._lock:
            if self._doing.pop((job_id, what), None) is not None:
                self.done += 1

    def record(self) -> dict[str, Any]:
        with self._lock:
            doing = [
                {"job": job, "work": what, "since": since}
                for (job, what), since in sorted(self._doing.items(), key=lambda kv: kv[1])
            ]
            done = self.done
        return {
            "id": self.worker_id,
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "threads": self.threads,
            "started_at": self.started_at,
            "beat_at": time.time(),
            "done": done,
            "doing": doing,
        }

    def start(
        self,
        client: Redis,
        namespace: str,
        interval: float,
        *,
        also: Callable[[], object] | None = None,
    ) -> None:
        """Beat every ``interval`` seconds on a daemon thread until :meth:`stop`."""
        key = worker_key(namespace, self.worker_id)
        ttl_ms = max(1, int(interval * BEATS_TO_EXPIRE * 1000))

        def beat_forever() -> None:
            while not self._stop.is_set():
                try:
                    client.set(key, json.dumps(self.record()), px=ttl_ms)
                    if also is not None:
                        also()
                except Exception:  # Redis away for a moment: keep beating
                    log.warning("worker heartbeat failed", exc_info=True)
                self._stop.wait(interval)
            try:
                client.delete(key)  # a clean stop leaves the list at once
            except Exception:
                log.debug("could not remove the worker record", exc_info=True)

        self._thread = threading.Thread(
            target=beat_forever, name="storyreel-heartbeat", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)


@dataclass(frozen=True)
class WorkerInfo:
    id: str
    host: str
    pid: int
    threads: int
    started_at: float
    beat_at: float
    done: int
    doing: list[dict[str, Any]]


def list_workers(client: Redis, namespace: str) -> list[WorkerInfo]:
    """The workers alive now (their last beat has not expired), by host and pid."""
    keys = sorted(client.scan_iter(match=worker_key(namespace, "*"), count=500))
    found: list[WorkerInfo] = []
    for raw in client.mget(keys) if keys else []:
        if raw is None:  # expired between the scan and the read
            continue
        data = json.loads(raw)
        found.append(WorkerInfo(**{k: data[k] for k in WorkerInfo.__dataclass_fields__}))
    return sorted(found, key=lambda w: (w.host, w.pid))


@dataclass(frozen=True)
class QueueDepth:
    waiting: int  # enqueued, not yet taken by a worker
    in_flight: int  # taken by a worker, not yet acknowledged
    delayed: int  # waiting for a retry's backoff
    dead: int  # failed for good (dramatiq's dead-letter queue)


def queue_depth(client: Redis, namespace: str, queue: str) -> QueueDepth:
    """Read from dramatiq's Redis layout: a list of ids and a hash of bodies per queue."""
    base = f"{namespace}:{queue}"
    waiting = int(client.llen(base))
    bodies = int(client.hlen(f"{base}.msgs"))
    delayed = int(client.hlen(f"{base}.DQ.msgs"))
    dead = int(client.zcard(f"{base}.XQ"))
    return QueueDepth(waiting, max(0, bodies - waiting), delayed, dead)


# Seconds to wait for Redis before saying it is unreachable (a health view must not hang).
BROKER_TIMEOUT = 5.0
# The most queued and the most running jobs listed (the store's newest first).
JOBS_SHOWN = 100


class BrokerUnreachableError(JobError):
    """The broker (``STORYREEL_BROKER_URL``) could not be read."""


@dataclass(frozen=True)
class JobInFlight:
    id: str
    status: JobStatus
    output_dir: Path
    # Steps done and known so far; None while the job is queued (not read for those).
    steps_done: int | None = None
    steps_total: int | None = None


@dataclass(frozen=True)
class HealthSnapshot:
    workers: list[WorkerInfo]
    depth: QueueDepth
    jobs: list[JobInFlight]  # running, then queued


@contextlib.contextmanager
def broker_client(url: str) -> Iterator[Redis]:
    """A blocking Redis client on the broker that gives up after :data:`BROKER_TIMEOUT`."""
    from redis import Redis

    client = Redis.from_url(
        url, socket_connect_timeout=BROKER_TIMEOUT, socket_timeout=BROKER_TIMEOUT
    )
    try:
        yield client
    finally:
        client.close()


def read_broker(url: str, namespace: str, queue: str) -> tuple[list[WorkerInfo], QueueDepth]:
    """The workers alive and the queue's depth, in one connection. (Blocking: call it in a
    thread.)"""
    with broker_client(url) as client:
        return list_workers(client, namespace), queue_depth(client, namespace, queue)


def jobs_in_queue(settings: Settings) -> set[str]:
    """Ids of the jobs with a message in the broker: waiting, taken by a worker and not yet
    acknowledged, or waiting to be retried. The service asks when it starts, to send again only
    the unfinished jobs that have none left (see ``JobManager.start``). (Blocking: call it in a
    thread.)

    Read from dramatiq's layout (as :func:`queue_depth`): a hash of message bodies per queue;
    every storyreel actor's first argument is the job id.
    """
    from dramatiq import Message
    from dramatiq.errors import DecodeError

    from storyreel.distributed.broker import QUEUE, check_broker_url
    from storyreel.distributed.settings import WorkerSettings

    base = f"{WorkerSettings().redis_namespace}:{QUEUE}"
    # One transaction: a message moving from the retry queue to the main one is not missed.
    with (
        broker_client(check_broker_url(settings.broker_url)) as client,
        client.pipeline(transaction=True) as pipe,
    ):
        pipe.hvals(f"{base}.msgs")
        pipe.hvals(f"{base}.DQ.msgs")
        waiting, delayed = pipe.execute()
    found: set[str] = set()
    for body in [*waiting, *delayed]:
        try:
            message = Message.decode(body)
        except DecodeError:
            continue  # not ours to judge; the workers will reject it
        if message.args:
            found.add(str(message.args[0]))
    return found


async def jobs_in_flight(store: JobStore, jobs: Iterable[Job]) -> list[JobInFlight]:
    """``jobs`` with their step counts (for running ones: a queued job's are not read)."""
    found = []
    for job in jobs:
        done = total = None
        if job.status == "running":
            try:
                steps = await store.list_steps(job.id)
            except JobError:  # deleted since it was listed
                continue
            done, total = sum(1 for s in steps if s.state == "done"), len(steps)
        found.append(JobInFlight(job.id, job.status, job.output_dir, done, total))
    return found


async def snapshot(settings: Settings, store: JobStore) -> HealthSnapshot:
    """What the workers' installation is doing: the workers alive (from their beats), the
    queue's depth (from dramatiq's layout in Redis) and the jobs in flight (from the store).
    Raises :class:`BrokerUnreachableError` when Redis does not answer."""
    from storyreel.distributed.broker import QUEUE, check_broker_url
    from storyreel.distributed.settings import WorkerSettings

    url = check_broker_url(settings.broker_url)
    namespace = WorkerSettings().redis_namespace
    try:
        workers, depth = await asyncio.to_thread(read_broker, url, namespace, QUEUE)
    except Exception as error:
        # The redis client's message names host and port, never the URL's password.
        raise BrokerUnreachableError(
            f"cannot read the broker at STORYREEL_BROKER_URL ({type(error).__name__}: {error})"
        ) from None
    running = await store.list_jobs(status="running", limit=JOBS_SHOWN)
    queued = await store.list_jobs(status="queued", limit=JOBS_SHOWN)
    return HealthSnapshot(workers, depth, await jobs_in_flight(store, [*running, *queued]))
