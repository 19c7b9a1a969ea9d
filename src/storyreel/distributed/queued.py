"""Which jobs the queue still holds a message for. The service asks when it starts, to send again
only the unfinished jobs that have none left anywhere (see ``JobManager.start``)."""

from __future__ import annotations

from storyreel.config import Settings
from storyreel.distributed.broker import QUEUE, check_broker_url
from storyreel.distributed.settings import WorkerSettings


def jobs_in_queue(settings: Settings) -> set[str]:
    """Ids of the jobs with a message in the broker: waiting, taken by a worker and not yet
    acknowledged, or waiting to be retried. (Blocking: call it in a thread.)

    Read from dramatiq's Redis layout, a hash of message bodies per queue (as ``storyreel
    workers`` reads its depths); every storyreel actor's first argument is the job id.
    """
    from dramatiq import Message
    from dramatiq.errors import DecodeError
    from redis import Redis

    base = f"{WorkerSettings().redis_namespace}:{QUEUE}"
    client = Redis.from_url(check_broker_url(settings.broker_url), socket_connect_timeout=5)
    try:
        # One transaction: a message moving from the retry queue to the main one is not missed.
        with client.pipeline(transaction=True) as pipe:
            pipe.hvals(f"{base}.msgs")
            pipe.hvals(f"{base}.DQ.msgs")
            waiting, delayed = pipe.execute()
    finally:
        client.close()
    found: set[str] = set()
    for body in [*waiting, *delayed]:
        try:
            message = Message.decode(body)
        except DecodeError:
            continue  # not ours to judge; the workers will reject it
        if message.args:
            found.add(str(message.args[0]))
    return found


__all__ = ["jobs_in_queue"]
