"""The job store's event log: numbered per job, appended under the job's write lock."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from storyreel.pipeline.store._models import Event
from storyreel.pipeline.store._sql_base import Db, SqlBase
from storyreel.pipeline.store._sql_rows import dumps, require_job, to_event


class SqlEvents(SqlBase):
    """Appending a job's events and reading them back from a sequence number."""

    async def append_event(self, job_id: str, type: str, payload: Mapping[str, Any]) -> Event:
        body = dumps(payload)

        async def append(db: Db) -> Event:
            await require_job(db, job_id)
            row = await db.one(
                "SELECT COALESCE(MAX(seq), 0) + 1 AS seq FROM events WHERE job_id = ?", (job_id,)
            )
            seq, now = int(row["seq"]) if row else 1, self._clock()
            await db.execute(
                "INSERT INTO events (job_id, seq, type, payload, at) VALUES (?, ?, ?, ?, ?)",
                (job_id, seq, type, body, now),
            )
            return Event(job_id, seq, type, json.loads(body), now)

        return await self._write(job_id, append)

    async def events(self, job_id: str, *, after: int = 0, limit: int | None = None) -> list[Event]:
        sql = "SELECT * FROM events WHERE job_id = ? AND seq > ? ORDER BY seq"
        args: tuple[Any, ...] = (job_id, after)
        if limit is not None:
            sql, args = f"{sql} LIMIT ?", (*args, limit)

        async def select(db: Db) -> list[Event]:
            return [to_event(row) for row in await db.all(sql, args)]

        return await self._read(select)
