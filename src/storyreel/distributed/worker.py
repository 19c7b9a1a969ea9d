"""Running workers: one dramatiq worker per process, or a supervisor of several processes."""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
import threading
import time
from types import FrameType

from storyreel.config import Settings
from storyreel.distributed.actors import broker_with_actors
from storyreel.distributed.broker import QUEUE
from storyreel.distributed.settings import WorkerSettings

log = logging.getLogger(__name__)

# How long a stopping worker lets running work finish; what is left is taken over by another
# worker once this one's heartbeat and leases run out.
STOP_GRACE_MS = 10_000
RESTART_DELAY = 2.0


def _stop_on_signals() -> threading.Event:
    stop = threading.Event()

    def handler(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)
    return stop


def run_worker(settings: Settings, worker: WorkerSettings, *, threads: int) -> None:
    """One worker process: consume storyreel's queue with ``threads`` threads until a signal."""
    from dramatiq import Worker
    from dramatiq.asyncio import get_event_loop_thread
    from redis import Redis

    from storyreel.distributed.runtime import close_runtime, health, worker_id

    broker = broker_with_actors(settings.broker_url, worker)
    consumer = Worker(broker, queues={QUEUE}, worker_threads=threads)
    # Take a message only when a thread is free: a busy worker must not sit on messages that
    # an idle one could start now (the default prefetches two per thread).
    consumer.queue_prefetch = threads
    record = health()
    record.threads = threads
    beats = Redis.from_url(str(settings.broker_url))
    record.start(beats, worker.redis_namespace, worker.heartbeat_interval, also=broker.beat)
    stop = _stop_on_signals()
    consumer.start()
    log.warning("worker %s: %d thread(s) on queue %r", worker_id(), threads, QUEUE)
    try:
        stop.wait()
    finally:
        loop_thread = get_event_loop_thread()
        consumer.stop(timeout=STOP_GRACE_MS)
        if loop_thread is not None and loop_thread.loop.is_running():
            loop_thread.run_coroutine(close_runtime())
        record.stop()
        beats.close()


def supervise(processes: int, threads: int, *, verbose: bool = False) -> int:
    """Run ``processes`` worker processes, restarting any that dies, until a signal."""
    argv = [sys.executable, "-m", "storyreel.cli"]
    if verbose:
        argv.append("--verbose")
    argv += ["worker", "--processes", "1", "--threads", str(threads)]
    stop = _stop_on_signals()
    children = [subprocess.Popen(argv) for _ in range(processes)]
    while not stop.wait(0.5):
        for n, child in enumerate(children):
            if child.poll() is not None:
                log.warning(
                    "worker process %d exited with %s; restarting", child.pid, child.returncode
                )
                time.sleep(RESTART_DELAY)
                children[n] = subprocess.Popen(argv)
    for child in children:
        child.send_signal(signal.SIGTERM)
    for child in children:
        try:
            child.wait(timeout=STOP_GRACE_MS / 1000 + 5)
        except subprocess.TimeoutExpired:
            child.kill()
    return 0
