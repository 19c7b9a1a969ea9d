"""Atomic file writes: a crash never leaves a half-written frame, clip or plan under its final
name, so "the file exists" keeps meaning "the step is done", and a reader in another process
(a worker) sees the old file or the new one, never half of one."""

from __future__ import annotations

import asyncio
import os
import tempfile
from pathlib import Path


def partial_path(out: Path) -> Path:
    """A sibling name for work in progress; same folder so the final rename is atomic."""
    return out.with_name(f".{out.name}.part")


def write_bytes_atomic_sync(out: Path, data: bytes) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return out


async def write_bytes_atomic(out: Path, data: bytes) -> Path:
    """Write ``data`` to ``out`` via a temporary sibling and a rename."""
    return await asyncio.to_thread(write_bytes_atomic_sync, out, data)
