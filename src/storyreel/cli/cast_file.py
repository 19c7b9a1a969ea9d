"""``--cast FILE``: the story's characters, given by the user instead of found by the planner.

Two formats. JSON: a list (or ``{"cast": [...]}``) of ``{"name", "description", "picture"?}``.
Text: one character a line, ``Name: description`` or ``Name: description | picture.png``;
blank lines and lines starting with ``#`` are skipped. A picture path is relative to the cast
file; it must be a PNG, JPEG or WebP under 20 MB with a short side over 300 px and an aspect
between 2:5 and 5:2 (the video model's frame rules, stricter than the image model's), and is
copied into the job folder (``cast/upload_<sha>.<ext>``) so the job never reads outside it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from storyreel.cast import picture_name
from storyreel.errors import UsageError
from storyreel.files import write_bytes_atomic_sync
from storyreel.minimax import MiniMaxValidationError
from storyreel.minimax._file_checks import check_image_bytes  # the frame rules, one home
from storyreel.plan import MAX_CAST, Character, problem_line

FLAG = "--cast"
MAX_CAST_FILE_BYTES = 64 * 1024
SUFFIXES = {"image/png": ".png", "image/jpeg": ".jpg", "image/webp": ".webp"}


@dataclass(frozen=True)
class CastEntry:
    character: Character  # without its picture yet
    picture: bytes | None
    suffix: str = ".png"


def _fail(message: str, fix: str) -> UsageError:
    return UsageError(message, field=FLAG, fix=fix)


def _raw_entries(text: str, path: Path) -> list[Any]:
    if text.lstrip().startswith(("[", "{")):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise _fail(
                f"{path} line {error.lineno}: {error.msg}", "fix the JSON, or use Name: text"
            ) from None
        data = data.get("cast") if isinstance(data, dict) else data
        if not isinstance(data, list):
            raise _fail(f"{path} holds no list of characters", 'write [{"name": ..., ...}]')
        return data
    entries: list[Any] = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, rest = line.partition(":")
        if not sep:
            raise _fail(f"{path} line {number} has no ':'", "write Name: description")
        description, _, picture = rest.partition("|")
        entry = {"name": name.strip(), "description": description.strip()}
        if picture.strip():
            entry["picture"] = picture.strip()
        entries.append(entry)
    return entries


def _picture(raw: object, base: Path, name: str) -> tuple[bytes, str]:
    if not isinstance(raw, str) or not raw.strip():
        raise _fail(f"{name}'s picture is not a file path", "give a path relative to the file")
    path = base / raw.strip()
    if not path.is_file():
        raise _fail(f"{name}'s picture {path} is not a file", "check the path")
    data = path.read_bytes()
    try:
        mime = check_image_bytes(data, "picture")
    except MiniMaxValidationError as error:
        why = str(error).split("picture: ", 1)[-1]
        raise UsageError(f"{name}'s picture {path} {why}", field=FLAG) from None
    return data, SUFFIXES[mime]


def read_cast_file(path: Path) -> list[CastEntry]:
    """The characters of ``path``, checked; a :class:`UsageError` (exit 2) names the problem."""
    if not path.is_file():
        raise _fail(f"no such file {path}", "give a JSON or a 'Name: description' text file")
    if path.stat().st_size > MAX_CAST_FILE_BYTES:
        raise _fail(f"{path} is over {MAX_CAST_FILE_BYTES // 1024} KB", "list only the cast")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise _fail(f"{path} is not UTF-8 text", "save it as UTF-8") from None
    raw_entries = _raw_entries(text, path)
    if not raw_entries:
        raise _fail(f"{path} names no character", "write one 'Name: description' a line")
    if len(raw_entries) > MAX_CAST:
        raise _fail(f"{path} has {len(raw_entries)} characters", f"keep at most {MAX_CAST}")
    entries: list[CastEntry] = []
    seen: set[str] = set()
    for n, raw in enumerate(raw_entries):
        if not isinstance(raw, dict):
            raise _fail(f"{path} entry {n + 1} is not an object", "write {name, description}")
        fields = {k: raw[k] for k in ("name", "description") if k in raw}
        unknown = sorted(set(raw) - {"name", "description", "picture"})
        if unknown:
            raise _fail(f"{path} entry {n + 1}: unknown field {unknown[0]!r}", "remove it")
        try:
            character = Character.model_validate(fields)
        except ValidationError as error:
            line = problem_line(error.errors()[0])
            raise _fail(f"{path} entry {n + 1} {line}", "fix that entry") from None
        if character.name.casefold() in seen:
            raise _fail(f"{path} names {character.name!r} twice", "rename one")
        seen.add(character.name.casefold())
        if raw.get("picture") is None:
            entries.append(CastEntry(character, None))
        else:
            data, suffix = _picture(raw["picture"], path.parent, character.name)
            entries.append(CastEntry(character, data, suffix))
    return entries


def install_cast(entries: list[CastEntry], job_dir: Path) -> list[Character]:
    """Copy the pictures into ``job_dir`` and give each character its picture's job path."""
    cast: list[Character] = []
    for entry in entries:
        if entry.picture is None:
            cast.append(entry.character)
            continue
        relative = picture_name(hashlib.sha256(entry.picture).hexdigest(), entry.suffix)
        (job_dir / relative).parent.mkdir(parents=True, exist_ok=True)
        write_bytes_atomic_sync(job_dir / relative, entry.picture)
        cast.append(entry.character.model_copy(update={"picture": relative}))
    return cast
