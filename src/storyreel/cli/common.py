"""Small pieces every command shares: settings, story input, running a coroutine."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

from pydantic import ValidationError
from rich.console import Console

from storyreel.config import Settings
from storyreel.errors import ConfigError, UsageError
from storyreel.language import slug, spaceless_count
from storyreel.limits import MAX_STORY_CHARS, strip_controls

T = TypeVar("T")

console = Console()
err_console = Console(stderr=True)

_STORY_SUFFIXES = {".txt", ".md", ".story"}


def load_settings(**overrides: Any) -> Settings:
    """Read settings from the environment; a malformed value is a one-line ConfigError."""
    try:
        return Settings(**overrides)
    except ValidationError as problem:
        first = problem.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "settings"
        raise ConfigError(first["msg"], field=where, fix="check the environment or .env") from None


def read_story(story: str) -> tuple[str, str]:
    """``story`` is a text file or the text itself. Returns (text, a short name for the output)."""
    if not story.strip():
        raise UsageError("the story is empty", field="STORY", fix="write a few sentences")
    path = Path(story)
    looks_like_file = (
        "\n" not in story
        and len(story) < 4096
        # is_symlink: a dangling link or a link loop is a file the user meant, not story text.
        and (
            path.suffix.lower() in _STORY_SUFFIXES
            or path.exists()
            or path.is_symlink()
            # "examples/lighthouse" (the .txt forgotten) is a path, not a one-line story; a
            # Chinese line has no spaces either, so it stays text unless it exists as a file.
            or (
                any(sep in story for sep in "/\\")
                and not any(c.isspace() for c in story)
                and not spaceless_count(story)
            )
        )
    )
    if looks_like_file:
        try:
            is_file = path.is_file()
            size = path.stat().st_size if is_file else 0
        except OSError as error:  # a symlink loop, a permission problem
            raise UsageError(
                f"cannot read {story!r}: {error.strerror or error}",
                field="STORY",
                fix="pass a readable text file or the story text",
            ) from None
        if is_file and size > 4 * MAX_STORY_CHARS:  # UTF-8 is at most 4 bytes a character
            _too_long(size)
        if not is_file:
            found = _with_story_suffix(path)
            raise UsageError(
                f"no such file {story!r}",
                field="STORY",
                fix=f"did you mean {found}?" if found else "pass a text file or the story text",
            )
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise UsageError(f"{story} is not UTF-8 text", field="STORY") from None
        except OSError as error:
            raise UsageError(
                f"cannot read {story!r}: {error.strerror or error}", field="STORY"
            ) from None
        name = path.stem
    else:
        text = story
        name = slug(story)
    text = strip_controls(text)
    if not text.strip():
        raise UsageError("the story is empty", field="STORY", fix="write a few sentences")
    if len(text) > MAX_STORY_CHARS:
        _too_long(len(text))
    return text, name


def _with_story_suffix(path: Path) -> str | None:
    """``examples/lighthouse`` -> ``examples/lighthouse.txt`` when that file exists."""
    if not path.name or path.suffix:
        return None
    near = (path.with_name(path.name + suffix) for suffix in sorted(_STORY_SUFFIXES))
    return next((str(p) for p in near if p.is_file()), None)


def _too_long(size: int) -> None:
    raise UsageError(
        f"the story is too long ({size:,} characters or bytes; at most {MAX_STORY_CHARS:,})",
        field="STORY",
        fix="split it into shorter stories",
    )


def check_out_dir(out: Path) -> Path:
    """``out`` as a folder the job can write into, or one line naming --out (before paying)."""
    if out.exists() and not out.is_dir():
        raise UsageError(
            f"{str(out)!r} is a file, not a folder", field="--out", fix="name a folder for the job"
        )
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UsageError(
            f"cannot create {str(out)!r}: {error.strerror or error}",
            field="--out",
            fix="name a folder you can write to",
        ) from None
    # mkdir succeeds on an existing read-only folder; root passes os.access, so try a write too.
    probe = out / f".storyreel-write-check-{os.getpid()}"
    try:
        probe.touch()
        probe.unlink()
    except OSError as error:
        raise UsageError(
            f"cannot write in {str(out)!r}: {error.strerror or error}",
            field="--out",
            fix="name a folder you can write to",
        ) from None
    return out


def music_choice(value: str) -> str:
    """``--music``: ``none``, ``auto``, or a usable audio file (checked now, before anything is
    paid, and kept as an absolute path so a resume from elsewhere finds it)."""
    word = value.strip().lower()
    if word in ("none", "auto"):
        return word
    from storyreel.assembly.mix import check_music_file

    path = Path(value).expanduser()
    check_music_file(path)
    return str(path.resolve())


def run(coro: Coroutine[Any, Any, T]) -> T:
    """The CLI's one way into async code, and the boundary of the commands that call the MiniMax
    client directly (voice, tts, video): its errors leave here as storyreel's."""
    from storyreel.minimax import MiniMaxError
    from storyreel.providers._minimax_common import vendor_error

    try:
        return asyncio.run(_stopped_by_sigterm(coro))
    except asyncio.CancelledError:  # SIGTERM: the same end as Ctrl-C (exit 130, job resumable)
        raise KeyboardInterrupt from None
    except MiniMaxError as exc:
        raise vendor_error(exc) from exc


async def _stopped_by_sigterm(coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro``; SIGTERM cancels it as Ctrl-C does, so the job is recorded as cancelled
    (resumable) instead of the process dying with the job left "running"."""
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    try:
        if task is not None:
            loop.add_signal_handler(signal.SIGTERM, task.cancel)
    except (NotImplementedError, RuntimeError):  # Windows, or not the main thread
        return await coro
    try:
        return await coro
    finally:
        loop.remove_signal_handler(signal.SIGTERM)
