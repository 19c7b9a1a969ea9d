"""What workers and submitters read from the environment, beside :class:`storyreel.config.Settings`
(which holds ``STORYREEL_BROKER_URL`` and ``STORYREEL_DATABASE_URL``)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class WorkerSettings(BaseSettings):
    """``STORYREEL_REDIS_NAMESPACE`` and ``STORYREEL_WORKER_*``.

    The defaults suit production: a worker silent for a minute is taken for dead and its
    messages go back to the queue; tests shorten every figure.
    """

    model_config = SettingsConfigDict(env_prefix="STORYREEL_", env_file=".env", extra="ignore")

    # Every Redis key (queues, heartbeats, rate-limit windows) starts with this, so several
    # storyreel installations (or test runs) can share one Redis.
    redis_namespace: str = "storyreel"
    # Seconds without a heartbeat before a worker counts as dead and its messages are requeued.
    worker_heartbeat_timeout: float = Field(60.0, gt=0)
    # A step's lease in the job store: another worker takes it over this long after its owner
    # stopped renewing it (renewed every third of it while the step runs).
    worker_lease_seconds: float = Field(30.0, gt=0)
    # The longest one unit of work may run: a segment waits for its video (minutes, more when
    # the provider queues), so an hour by default.
    worker_time_limit: float = Field(3600.0, gt=0)
    # Redeliveries of a unit of work that failed for a passing reason (network, 5xx, database).
    worker_max_retries: int = Field(5, ge=0)

    @property
    def heartbeat_interval(self) -> float:
        return min(5.0, self.worker_heartbeat_timeout / 4)
