"""The job store's logic, written once in SQL that SQLite and PostgreSQL both read.

:class:`SqlJobStore` holds every :class:`~storyreel.pipeline.store.JobStore` method, one group a
module: jobs and spend (:mod:`._sql_jobs`), steps and leases (:mod:`._sql_steps`), events
(:mod:`._sql_events`), on the connection seam and migrations of :mod:`._sql_base`; rows become
models in :mod:`._sql_rows`. A backend (``_sqlite``, ``_postgres``) only says how to reach its
database.
"""

from __future__ import annotations

from storyreel.pipeline.store._sql_events import SqlEvents
from storyreel.pipeline.store._sql_jobs import SqlJobs
from storyreel.pipeline.store._sql_steps import SqlSteps


class SqlJobStore(SqlJobs, SqlSteps, SqlEvents):
    """:class:`~storyreel.pipeline.store.JobStore` on a SQL database; subclasses connect.

    Opens (and migrates) lazily on first use; ``async with`` or :meth:`aclose` closes it.
    """


__all__ = ["SqlJobStore"]
