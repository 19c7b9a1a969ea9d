"""What a prompt's words say a panel shows: time of day, weather, places, people, closeness.

Lower-case ASCII words (``[a-z']``): a word in another script matches none of the sets.
"""

from __future__ import annotations

import re

WORDS = re.compile(r"[a-z']+")
NIGHT = {
    "night",
    "moon",
    "moonlight",
    "midnight",
    "stars",
    "starlit",
    "starry",
    "dark",
    "darkness",
}
DUSK = {"sunset", "dusk", "dawn", "sunrise", "evening", "twilight", "morning", "golden"}
STORM = {"storm", "stormy", "thunder", "lightning", "rain", "tempest", "gale", "raining", "waves"}
SEA = {"sea", "ocean", "wave", "waves", "shore", "beach", "harbor", "harbour", "boat", "ship",
        "lighthouse", "lake", "river", "water", "island", "sail", "coast", "bay"}  # fmt: skip
CITY = {"city", "street", "streets", "town", "building", "buildings", "tower", "skyline",
         "market", "village", "castle", "rooftops", "station"}  # fmt: skip
FOREST = {"forest", "tree", "trees", "wood", "woods", "jungle", "garden", "park", "orchard",
           "pine", "pines", "grove"}  # fmt: skip
MOUNTAIN = {"mountain", "mountains", "hill", "hills", "peak", "peaks", "cliff", "cliffs",
             "climb", "climbed", "climbing", "valley", "summit", "ridge"}  # fmt: skip
PEOPLE = {"he", "she", "they", "i", "we", "man", "woman", "girl", "boy", "child", "children",
           "keeper", "king", "queen", "knight", "traveler", "traveller", "stranger", "friend",
           "mother", "father", "old", "sailor", "hero", "figure", "people", "her",
           "his"}  # fmt: skip
CLOSE = {"close-up", "closeup", "close", "face", "eyes", "hands", "detail"}


def prompt_words(prompt: str) -> set[str]:
    """The lower-case words of ``prompt``, to test against the sets above."""
    return set(WORDS.findall(prompt.lower()))
