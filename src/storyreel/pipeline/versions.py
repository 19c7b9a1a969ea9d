"""Earlier clips of a segment: a remake keeps the clip it replaces, so the user can go back.

Take N of segment i's clip is kept as ``segments/0i/versions/take_00N.mp4``; the current take
(``Plan.takes["video:I"]``, 1 unless made again) is ``clip.mp4`` itself.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from storyreel.pipeline.layout import OutputLayout
from storyreel.plan import Plan

_TAKE = re.compile(r"^take_(\d{3,})\.mp4$")


@dataclass(frozen=True)
class ClipVersion:
    version: int
    path: Path
    current: bool


def version_path(layout: OutputLayout, i: int, take: int) -> Path:
    return layout.segment_dir(i) / "versions" / f"take_{take:03d}.mp4"


def clip_versions(layout: OutputLayout, plan: Plan, i: int) -> list[ClipVersion]:
    """Every take of segment ``i``'s clip on disk, oldest first; the current one is the clip."""
    current = plan.take(f"video:{i}")
    found: dict[int, ClipVersion] = {}
    folder = layout.segment_dir(i) / "versions"
    if folder.is_dir():
        for path in folder.iterdir():
            match = _TAKE.match(path.name)
            if match and int(match.group(1)) != current:
                found[int(match.group(1))] = ClipVersion(int(match.group(1)), path, False)
    if layout.clip(i).is_file():
        found[current] = ClipVersion(current, layout.clip(i), True)
    return [found[take] for take in sorted(found)]


def next_take(layout: OutputLayout, plan: Plan, i: int) -> int:
    """The take a remake of segment ``i`` makes: one past every take kept."""
    return max([plan.take(f"video:{i}"), *(v.version for v in clip_versions(layout, plan, i))]) + 1


def keep_current(layout: OutputLayout, plan: Plan, i: int) -> None:
    """Copy the current clip into the versions before it is replaced (once per take)."""
    clip, kept = layout.clip(i), version_path(layout, i, plan.take(f"video:{i}"))
    if clip.is_file() and not kept.is_file():
        kept.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(clip, kept)


def restore(layout: OutputLayout, plan: Plan, i: int, take: int) -> Path:
    """Make take ``take`` the current clip again (the current one is kept first)."""
    keep_current(layout, plan, i)
    source = version_path(layout, i, take)
    partial = layout.clip(i).with_suffix(".mp4.part")
    shutil.copyfile(source, partial)
    partial.replace(layout.clip(i))
    return layout.clip(i)


__all__ = ["ClipVersion", "clip_versions", "keep_current", "next_take", "restore", "version_path"]
