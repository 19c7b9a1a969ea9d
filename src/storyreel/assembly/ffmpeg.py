"""Running FFmpeg: the binary comes from the ``imageio-ffmpeg`` wheel, never from PATH, so a
machine with a system ffmpeg cannot make tests pass by accident.

Building argv is done elsewhere (pure functions); this module only runs it: asynchronously,
parsing ``-progress`` output, keeping the stderr tail for the error, killing the child on cancel.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from functools import cache
from pathlib import Path

import imageio_ffmpeg

from storyreel.errors import FFmpegError

log = logging.getLogger(__name__)

STDERR_TAIL_LINES = 30


@contextlib.contextmanager
def atomic_output(out: Path) -> Iterator[Path]:
    """Yield a temporary path next to ``out``; on success it is renamed to ``out`` atomically.

    On any error or cancellation the temporary file is removed, so a killed run never leaves a
    half-written file under the final name.
    """
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.partial")
    try:
        yield tmp
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)


@cache
def ffmpeg_exe() -> str:
    """Path of the wheel's ffmpeg binary."""
    return str(imageio_ffmpeg.get_ffmpeg_exe())


async def run_ffmpeg(
    args: Sequence[str],
    *,
    expected_seconds: float | None = None,
    on_progress: Callable[[float], None] | None = None,
) -> str:
    """Run ``ffmpeg`` with ``args`` (without the program name); return the tail of its stderr
    (where filters such as ``ebur128`` print their summary).

    ``on_progress`` gets the fraction done in [0, 1] when ``expected_seconds`` is known.
    Raises :class:`FFmpegError` with the argv and the stderr tail on failure.
    """
    argv = [
        ffmpeg_exe(),
        "-hide_banner",
        "-nostdin",
        "-y",
        "-progress",
        "pipe:1",
        "-nostats",
        *args,
    ]
    log.debug("ffmpeg %s", " ".join(args))
    proc = await asyncio.create_subprocess_exec(
        *argv, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    tail: deque[str] = deque(maxlen=STDERR_TAIL_LINES)

    async def read_progress() -> None:
        assert proc.stdout is not None
        async for raw in proc.stdout:
            key, _, value = raw.decode(errors="replace").strip().partition("=")
            if key == "out_time_us" and on_progress and expected_seconds:
                try:
                    done = int(value) / 1_000_000 / expected_seconds
                except ValueError:
                    continue
                on_progress(max(0.0, min(1.0, done)))

    async def read_stderr() -> None:
        assert proc.stderr is not None
        async for raw in proc.stderr:
            tail.append(raw.decode(errors="replace").rstrip())

    try:
        await asyncio.gather(read_progress(), read_stderr())
        returncode = await proc.wait()
    except BaseException:
        # Cancelled (Ctrl-C, job cancelled): never leave an ffmpeg running behind us.
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        raise
    if returncode != 0:
        raise FFmpegError(argv, returncode, "\n".join(tail))
    if on_progress:
        on_progress(1.0)
    return "\n".join(tail)
