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
