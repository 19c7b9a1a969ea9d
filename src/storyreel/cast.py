"""Which characters each keyframe shows, and the prompts their reference portraits are drawn from.

A frame *shows* a character when its prompt names it: deterministic, visible in ``plan.json``
and editable (write the name into a prompt to put the character in the frame). Names in
scripts written without spaces (Chinese, Japanese, Thai...) match as a substring; others as
whole words, case ignored, so "Mira" is found in "Mira's lantern" but not in "Miranda".
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from storyreel.plan import CAST_DIR, Character, Plan, frame_prompts

# Scripts written without spaces between words: a name there is found as a substring.
_UNSPACED = ("CJK", "HIRAGANA", "KATAKANA", "HANGUL", "THAI", "LAO", "KHMER", "MYANMAR", "TIBETAN")
# The reference portrait's shape: square, a size every GPT image model takes.
PORTRAIT_SIZE = (1024, 1024)


def _unspaced(name: str) -> bool:
    return any(unicodedata.name(ch, "").startswith(_UNSPACED) for ch in name)


def shows(prompt: str, name: str) -> bool:
    """Whether ``prompt`` names the character ``name`` (see the module docstring)."""
    name = name.strip()
    if not name:
        return False
    if _unspaced(name):
        return name.casefold() in prompt.casefold()
    pattern = rf"(?<![\w]){re.escape(name)}(?![\w])"
    return re.search(pattern, prompt, flags=re.IGNORECASE) is not None


def characters_in(prompt: str, cast: list[Character]) -> list[int]:
    """Indexes (in cast order) of the characters ``prompt`` shows."""
    return [n for n, character in enumerate(cast) if shows(prompt, character.name)]


def frame_cast(plan: Plan, prompts: list[str]) -> list[list[int]]:
    """For each keyframe prompt, the cast indexes it shows."""
    return [characters_in(prompt, plan.cast) for prompt in prompts]


def frame_references(plan: Plan, prompt: str, max_references: int) -> list[int]:
    """The cast indexes frame ``prompt`` is drawn with, in cast order: capped at what the model
    takes; all of them (described in words) when it takes no pictures."""
    shown = characters_in(prompt, plan.cast)
    return shown[:max_references] if max_references > 0 else shown


def draws_portraits(plan: Plan, max_references: int) -> list[int]:
    """Cast indexes whose portrait is drawn: no uploaded picture, a model that takes pictures,
    and a frame that shows the character (a portrait no frame uses would be paid for nothing;
    naming the character in a prompt draws it)."""
    if max_references <= 0:
        return []
    shown = {
        n for prompt in frame_prompts(plan) for n in frame_references(plan, prompt, max_references)
    }
    return [n for n, c in enumerate(plan.cast) if c.picture is None and n in shown]


def portrait_prompt(name: str, description: str) -> str:
    """What a character's reference portrait is drawn from: the character alone, whole, plain."""
    return (
        f"Character reference sheet of {name}: {description}. "
        "Full figure standing, facing the viewer, centred, plain light background, "
        "no other people, no text."
    )


def picture_name(sha256: str, suffix: str) -> str:
    """Where an uploaded reference picture is kept, relative to the job: named by its content,
    so a new upload never overwrites a file an earlier frame was drawn from."""
    return f"{CAST_DIR}/upload_{sha256[:16]}{suffix}"


def picture_path(job_dir: Path, character: Character) -> Path | None:
    """The uploaded reference picture of ``character`` in ``job_dir``, if it has one."""
    return None if character.picture is None else job_dir / character.picture


__all__ = [
    "PORTRAIT_SIZE",
    "characters_in",
    "draws_portraits",
    "frame_cast",
    "frame_references",
    "picture_name",
    "picture_path",
    "portrait_prompt",
    "shows",
]
