"""Small pieces every command shares: settings, story input, running a coroutine."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

from pydantic import ValidationError
from rich.console import Console

from storyreel.config import Settings
from storyreel.errors import ConfigError, UsageError

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
        and (path.suffix.lower() in _STORY_SUFFIXES or path.exists())
    )
    if looks_like_file:
        if not path.is_file():
            raise UsageError(
                f"no such file {story!r}", field="STORY", fix="pass a text file or the story text"
            )
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise UsageError(f"{story} is not UTF-8 text", field="STORY") from None
        name = path.stem
    else:
        text = story
        name = "-".join(re.findall(r"[a-z0-9]+", story.lower())[:5]) or "story"
    if not text.strip():
        raise UsageError("the story is empty", field="STORY", fix="write a few sentences")
    return text, name


def run(coro: Coroutine[Any, Any, T]) -> T:
    """The CLI's one way into async code."""
    return asyncio.run(coro)
