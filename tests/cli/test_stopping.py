"""A job stopped by SIGTERM ends as Ctrl-C does: marked cancelled (resumable), never left
"running", and the CLI prints the command that continues it."""

from __future__ import annotations

import asyncio
import re
import signal
from pathlib import Path

from storyreel.config import Settings
from storyreel.pipeline.store import open_store
from tests.cli.conftest import interrupt_when

STORY = (
    "The keeper climbed the tower at dusk. The storm rolled in over the black sea. "
    "A small boat fought the waves. The beam swept across the water. At dawn the boat was safe."
)


async def _status(job_id: str) -> str:
    store = open_store(Settings())
    try:
        return (await store.get_job(job_id)).status
    finally:
        await store.aclose()


def test_sigterm_marks_the_job_cancelled_and_prints_the_resume_command(tmp_path: Path) -> None:
    stopped = interrupt_when(
        ["make", STORY, "--offline", "--out", str(tmp_path / "out")],
        ready=lambda stderr: "running offline" in stderr,
        workdir=tmp_path,
        timeout=120,
        sig=signal.SIGTERM,
        watch="stderr",
    )
    assert stopped.code == 130, stopped.stderr
    found = re.search(r"storyreel resume (\S+)", stopped.stderr)
    assert found, stopped.stderr
    assert asyncio.run(_status(found.group(1))) == "cancelled"
