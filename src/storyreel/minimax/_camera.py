"""Camera commands understood by Hailuo models.

The seed lists 13 commands; the real service documents 15. Both are accepted: the seed's
extra three (Dolly, Orbit, Crane) are what our users write, so the client keeps them valid.
"""

from __future__ import annotations

import re

# The real service's official list (exactly 15).
OFFICIAL_CAMERA_COMMANDS: tuple[str, ...] = (
    "Truck left",
    "Truck right",
    "Pan left",
    "Pan right",
    "Push in",
    "Pull out",
    "Pedestal up",
    "Pedestal down",
    "Tilt up",
    "Tilt down",
    "Zoom in",
    "Zoom out",
    "Shake",
    "Tracking shot",
    "Static shot",
)

# The seed's list; the last six are not in the official list but are part of our product.
SEED_CAMERA_COMMANDS: tuple[str, ...] = (
    "Zoom in",
    "Zoom out",
    "Pan left",
    "Pan right",
    "Tilt up",
    "Tilt down",
    "Dolly forward",
    "Dolly back",
    "Orbit left",
    "Orbit right",
    "Crane up",
    "Crane down",
    "Static shot",
)

CAMERA_COMMANDS: tuple[str, ...] = tuple(
    dict.fromkeys(SEED_CAMERA_COMMANDS + OFFICIAL_CAMERA_COMMANDS)
)
_CANONICAL = {c.lower(): c for c in CAMERA_COMMANDS}
_BRACKETS = re.compile(r"\[([^\[\]]*)\]")


def canonical_camera(command: str) -> str | None:
    """``"zoom IN"`` -> ``"Zoom in"``; ``None`` when it is not a known command."""
    return _CANONICAL.get(" ".join(command.split()).lower())


def bracketed_commands(prompt: str) -> list[str]:
    """Every command inside ``[...]`` in a prompt; ``[Pan left,Pedestal up]`` gives two."""
    found: list[str] = []
    for group in _BRACKETS.findall(prompt):
        found.extend(part.strip() for part in group.split(",") if part.strip())
    return found


def unknown_commands(prompt: str) -> list[str]:
    """Bracketed commands in ``prompt`` that are in neither list."""
    return [c for c in bracketed_commands(prompt) if canonical_camera(c) is None]
