"""Dramatiq on Redis: the broker every submitter and worker of one installation shares.

Dramatiq's Redis broker counts a worker dead when it has not spoken for ``heartbeat_timeout``
and puts its unacknowledged messages back on the queue during "maintenance", which it runs on
a random share of its commands. Two things here make that prompt and safe for work that waits
minutes on a video:

- each worker beats on its own thread (:mod:`storyreel.distributed.health`) through the broker,
  so a worker whose threads are all busy waiting is not taken for dead;
- that beat always runs maintenance, so a dead worker's messages are requeued within about one
  heartbeat timeout instead of whenever the dice say so.
"""

from __future__ import annotations

import threading
from typing import Any

from dramatiq.brokers.redis import RedisBroker
from dramatiq.middleware import AsyncIO, CurrentMessage

from storyreel.distributed.settings import WorkerSettings
from storyreel.errors import ConfigError

QUEUE = "storyreel"
# The command the health beat sends (dramatiq's own queue-size query): always with maintenance.
BEAT_COMMAND = "qsize"


class StoryreelBroker(RedisBroker):
    """:class:`RedisBroker` whose heartbeat command also requeues dead workers' messages."""

    def _should_do_maintenance(self, command: str) -> int:
        if command == BEAT_COMMAND:
            return 1
        return int(super()._should_do_maintenance(command))

    def beat(self) -> int:
        """Say this process is alive (and tidy up after dead ones); the queue's size."""
        return int(self.do_qsize(QUEUE))


_lock = threading.Lock()
_brokers: dict[tuple[str, str], StoryreelBroker] = {}


def check_broker_url(url: str | None) -> str:
    if not url or not url.startswith(("redis://", "rediss://", "unix://")):
        raise ConfigError(
            "distributed work needs a Redis broker",
            field="STORYREEL_BROKER_URL",
            fix="set STORYREEL_BROKER_URL=redis://HOST:6379/0",
        )
    return url


def get_broker(url: str | None, worker: WorkerSettings | None = None) -> StoryreelBroker:
    """The broker for ``url`` (one per process and URL), set as dramatiq's global broker.
    ``actors.broker_with_actors`` is the one that also declares storyreel's actors on it (the
    broker knows nothing of the actors: the arrow runs from them to it)."""
    url = check_broker_url(url)
    worker = worker or WorkerSettings()
    key = (url, worker.redis_namespace)
    with _lock:
        broker = _brokers.get(key)
        if broker is None:
            broker = _make_broker(url, worker)
            _brokers[key] = broker
        return broker


def _make_broker(url: str, worker: WorkerSettings) -> StoryreelBroker:
    import dramatiq

    broker = StoryreelBroker(  # type: ignore[no-untyped-call]
        url=url,
        namespace=worker.redis_namespace,
        heartbeat_timeout=int(worker.worker_heartbeat_timeout * 1000),
    )
    broker.add_middleware(AsyncIO())
    broker.add_middleware(CurrentMessage())
    _configure_defaults(broker, worker)
    dramatiq.set_broker(broker)
    return broker


def _configure_defaults(broker: Any, worker: WorkerSettings) -> None:
    """Time limit and retries for every actor (each actor may narrow them)."""
    from dramatiq.middleware import Retries, TimeLimit

    for middleware in broker.middleware:
        if isinstance(middleware, TimeLimit):
            middleware.time_limit = int(worker.worker_time_limit * 1000)
        if isinstance(middleware, Retries):
            middleware.max_retries = worker.worker_max_retries
            middleware.min_backoff = 2_000
            middleware.max_backoff = 120_000
