"""Camera commands understood by Hailuo models.

The seed lists 13 commands; the real service documents 15. Both are accepted from users (the
seed's Dolly, Orbit and Crane are what they write), but only documented ones reach the service:
``documented_prompt`` rewrites the seed's six onto documented moves, in one table.
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

# The seed's names that the service does not document, and what is sent instead. An orbit is a
# truck with a pan the other way (commands in one bracket act together).
SEED_TO_DOCUMENTED: dict[str, str] = {
    "Dolly forward": "Push in",
    "Dolly back": "Pull out",
    "Orbit left": "Truck left,Pan right",
    "Orbit right": "Truck right,Pan left",
    "Crane up": "Pedestal up",
    "Crane down": "Pedestal down",
}

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


def documented_prompt(prompt: str) -> str:
    """``prompt`` with every bracketed command canonical and documented: ``[dolly FORWARD]``
    becomes ``[Push in]``; unknown commands are left for validation to refuse."""

    def rewrite(match: re.Match[str]) -> str:
        parts = []
        for part in match.group(1).split(","):
            name = canonical_camera(part) if part.strip() else None
            if name is None:
                return match.group(0)
            parts.append(SEED_TO_DOCUMENTED.get(name, name))
        return f"[{','.join(parts)}]"

    return _BRACKETS.sub(rewrite, prompt)
