"""What one worker process keeps between units of work: settings, the job store, the job runner
(with the MiniMax client whose rate limits live in Redis), its worker id and health beat.

Made on first use inside the worker's event loop (dramatiq runs every async actor of a process
on one loop thread), so the store's pool and the clients belong to that loop.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any

from storyreel.config import Settings
from storyreel.distributed.health import Health
from storyreel.distributed.settings import WorkerSettings
from storyreel.pipeline.jobs import JobOptions, JobRunner, JobWork
from storyreel.pipeline.store import Job, JobStore, SQLiteJobStore, open_store

if TYPE_CHECKING:
    from storyreel.pipeline.events import EventSink
    from storyreel.providers.factory import Providers

log = logging.getLogger(__name__)

# Filled by declare_actors: name -> dramatiq actor, so a unit of work can enqueue the next.
ACTORS: dict[str, Any] = {}


@cache
def worker_id() -> str:
    """This process's name in leases and heartbeats: host, pid and a random tail (pids repeat)."""
    return f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(2)}"


@cache
def health() -> Health:
    """This process's health record (the worker command starts its beat)."""
    return Health(worker_id())


@dataclass
class Runtime:
    settings: Settings
    worker: WorkerSettings
    store: JobStore
    runner: JobRunner
    worker_id: str
    health: Health
    actors: dict[str, Any] = field(default_factory=lambda: ACTORS)
    closers: list[Any] = field(default_factory=list)
    redis: Any = None  # redis.asyncio.Redis on the broker, for job-wide locks

    def options(self, job: Job) -> JobOptions:
        return JobOptions.model_validate(job.options)

    def work(self, job: Job, providers: Providers, events: EventSink) -> JobWork:
        """One unit of work's pipeline. Its lease owner is ``{worker id}/{random}``: the threads
        of one process must not share a lease, or two segments would both draw a shared frame."""
        return self.runner.work_for(
            job,
            providers,
            events,
            worker_id=f"{self.worker_id}/{secrets.token_hex(3)}",
            lease_seconds=self.worker.worker_lease_seconds,
        )

    async def aclose(self) -> None:
        for close in reversed(self.closers):
            await close()
        await self.store.aclose()


_runtime: Runtime | None = None
_building: asyncio.Lock | None = None


async def runtime() -> Runtime:
    """This process's runtime, made once."""
    global _runtime, _building
    if _runtime is not None:
        return _runtime
    if _building is None:
        _building = asyncio.Lock()
    async with _building:
        if _runtime is None:
            _runtime = await build_runtime(Settings(), WorkerSettings())
    return _runtime


async def build_runtime(settings: Settings, worker: WorkerSettings) -> Runtime:
    store = open_store(settings)
    if isinstance(store, SQLiteJobStore):
        log.warning(
            "workers are using the SQLite store in %s: fine on one machine; set "
            "STORYREEL_DATABASE_URL=postgresql://... for several",
            store.path,
        )
    runner = JobRunner(settings, store)
    closers: list[Any] = []
    redis: Any = None
    if settings.broker_url:
        from redis.asyncio import Redis

        redis = Redis.from_url(settings.broker_url)
        closers.append(redis.aclose)
    minimax = settings.minimax
    key = minimax.api_key.get_secret_value().strip() if minimax.api_key else ""
    if key and not minimax.mocked and redis is not None:
        # One MiniMax client per process, its request slots shared by every worker.
        from storyreel.distributed.ratelimit import RedisRateLimits
        from storyreel.minimax import AsyncMiniMax

        limits = RedisRateLimits.for_minimax(redis, minimax, namespace=worker.redis_namespace)
        client = AsyncMiniMax(minimax, rate_limits=limits)
        runner.provider_kwargs["minimax"] = client
        closers.append(client.aclose)
    return Runtime(
        settings, worker, store, runner, worker_id(), health(), closers=closers, redis=redis
    )


async def close_runtime() -> None:
    global _runtime
    rt, _runtime = _runtime, None
    if rt is not None:
        await rt.aclose()
