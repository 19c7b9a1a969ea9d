"""Input limits shared by every boundary (the HTTP schema, the CLI, the planner).

One place so the API and the CLI refuse the same input with the same numbers:

- ``MAX_STORY_CHARS``: the longest story accepted (100,000 characters, about 60 pages); beyond it
  planning time and the plan's size stop being bounded by anything a user meant to ask for.
- ``MAX_SEGMENTS``: the most segments a plan may have, in every planning mode.
- ``MAX_REQUEST_BYTES``: the largest JSON body any route reads (a full story is well under it).
"""

from __future__ import annotations

MAX_STORY_CHARS = 100_000
MAX_SEGMENTS = 60
MAX_REQUEST_BYTES = 1_000_000

# C0 controls but tab, newline and carriage return, DEL, and C1 controls. A NUL reached espeak as
# the end of a C string (cutting the narration short) and landed in the subtitles.
_CONTROL = dict.fromkeys([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), *range(0x7F, 0xA0)])


def strip_controls(text: str) -> str:
    """``text`` without control characters (line breaks and tabs are kept)."""
    return text.translate(_CONTROL)
