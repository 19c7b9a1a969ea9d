"""The offline planner's cast: the story's recurring named characters, found by plain rules.

A name is a capitalised word that is not a sentence's ordinary opener ("The", "Then", "She"...),
seen in at least two sentences (place names slip through; edit the cast). The description is what
the story says the character wears ("a red coat", "grey hair") near its name, else a neutral
one. Scripts without capitals (Chinese, Arabic...) give no cast here: pass one (``--cast``).
"""

from __future__ import annotations

import re

from storyreel.plan import MAX_CAST, MAX_CHARACTER_DESCRIPTION, MAX_CHARACTER_NAME, Character

_WORD = re.compile(r"\b[A-Z][a-z]{2,}\b")
_LOOK = re.compile(
    r"\b(?:a|an|her|his|their)\s+((?:[a-z]+\s+){0,2}(?:coat|cloak|jacket|dress|robe|shirt|"
    r"sweater|tunic|scarf|shawl|hat|cap|hood|boots|hair|beard|eyes))\b"
)
_NOT_NAMES = frozenset(
    (
        "The", "And", "But", "Then", "When", "While", "After", "Before", "One", "She", "They",
        "You", "His", "Her", "Their", "There", "This", "That", "These", "Those", "Once",
        "Every", "Each", "Soon", "Now", "Later", "Finally", "Yet", "Still", "Far", "Above",
        "Below", "Under", "Over", "Into", "Out", "Down", "All", "Some", "Not", "Nothing",
        "Everyone", "Somewhere", "Morning", "Evening", "Night", "Day", "Today", "Tomorrow",
        "Yesterday", "What", "Why", "How", "Where", "Who", "Its", "Our", "Your", "Suddenly",
        "Last", "Long", "Ago", "With", "Without", "Through", "Across", "Beyond", "Outside",
        "Inside", "Near",
    )
)  # fmt: skip


def find_cast(sentences: list[str]) -> list[Character]:
    """The recurring named characters of ``sentences``, in order of first appearance."""
    counts: dict[str, int] = {}
    for sentence in sentences:
        for word in dict.fromkeys(_WORD.findall(sentence)):
            if word not in _NOT_NAMES:
                counts[word] = counts.get(word, 0) + 1
    names = [name for name, seen in counts.items() if seen >= 2][:MAX_CAST]
    looks = _looks(names, sentences)
    return [
        Character(
            name=name[:MAX_CHARACTER_NAME],
            description=(
                f"{name} with {', '.join(looks[name][:4])}"
                if looks[name]
                else f"{name}, a storybook character, the same face, hair and clothes throughout"
            )[:MAX_CHARACTER_DESCRIPTION],
        )
        for name in names
    ]


def _looks(names: list[str], sentences: list[str]) -> dict[str, list[str]]:
    """What the story says each name wears: a look belongs to the name last mentioned before it
    in its sentence ("Mira wore a red coat and Tom a blue jacket")."""
    looks: dict[str, list[str]] = {name: [] for name in names}
    for sentence in sentences:
        mentions = sorted(
            (match.start(), name)
            for name in names
            for match in re.finditer(rf"\b{re.escape(name)}\b", sentence)
        )
        for found in _LOOK.finditer(sentence):
            owners = [name for at, name in mentions if at < found.start()]
            if owners and found.group(1) not in looks[owners[-1]]:
                looks[owners[-1]].append(found.group(1))
    return looks
