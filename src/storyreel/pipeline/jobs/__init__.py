"""Jobs: a story and its options, made durable in the job store and run (or resumed) to the end.

The CLI and the HTTP service both go through :class:`JobRunner`, so a job started by one can be
listed, resumed or watched by the other. One job a module:

- :mod:`.options`: :class:`JobOptions`, what a job is asked to do (flags and ``POST /jobs``).
- :mod:`.runner`: :class:`JobRunner`, which creates, prices, preflights and runs jobs.
- :mod:`.work`: :class:`JobWork`, one job's pipeline, ledger and plan step, alike in one process
  and on workers.
"""

from __future__ import annotations

from storyreel.pipeline.jobs.options import JobOptions
from storyreel.pipeline.jobs.runner import JobRunner
from storyreel.pipeline.jobs.work import JobWork

__all__ = ["JobOptions", "JobRunner", "JobWork"]
