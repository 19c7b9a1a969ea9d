"""What a prompt's words say a panel shows: time of day, weather, places, people, closeness.

Lower-case ASCII words (``[a-z']``); words in other languages are read by ``native_words.py``
into the English words of these sets.
"""

from __future__ import annotations

import re

from storyreel.providers.offline.images.native_words import native_scene_words

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
    # Lights carried or lit mean it is dark out: "swung lanterns against the black sky" drew a
    # sunny day.
    "nightfall",
    "tonight",
    "lantern",
    "lanterns",
    "candle",
    "candles",
    "candlelight",
}
DUSK = {"sunset", "dusk", "dawn", "sunrise", "evening", "twilight", "morning", "golden",
        "daybreak", "sundown", "dusky"}  # fmt: skip
STORM = {"storm", "stormy", "storms", "thunder", "thunderstorm", "lightning", "rain", "rainy",
         "tempest", "gale", "raining", "waves", "downpour", "squall", "hurricane",
         "typhoon"}  # fmt: skip
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


# "black" alone is a coat or a cat; a black sky is night.
DARK_SKY = re.compile(r"\b(?:black|pitch-black|inky|starless|moonless)\s+(?:sky|skies|night|sea)\b")


def prompt_words(prompt: str) -> set[str]:
    """The lower-case words of ``prompt``, to test against the sets above ("night" added when
    it names a dark sky)."""
    text = prompt.lower()
    words = set(WORDS.findall(text)) | native_scene_words(text)
    if DARK_SKY.search(text):
        words.add("night")
    return words
