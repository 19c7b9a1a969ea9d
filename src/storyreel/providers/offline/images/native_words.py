"""Scene words of other languages, as the English words the scene sets (``words.py``) know.

A Chinese, Arabic, Russian or Spanish story's offline keyframes draw its sea, its night and its
storm too (the lighthouse example in Chinese drew a sunny meadow). Each entry is a stem: Chinese
ones are found anywhere in the text (it has no spaces); the others begin a word (ночь, ночью;
tormenta, tormentas), Arabic words once "the", "and" and such joined to them are taken off
(البحر is "the sea"; found inside words, ليل "night" was found in قليل "few", صباح "morning" in
المصباح "the lamp"). Stems are chosen long enough not to begin other words (Russian лес begins
лестница, "stairs": it matches whole words only).
"""

from __future__ import annotations

import re

# stem -> English scene word: Chinese, found anywhere
INSIDE: dict[str, str] = {
    # Chinese
    "夜": "night", "月亮": "moon", "星": "stars", "黑暗": "dark", "漆黑": "dark",
    "提灯": "lantern", "灯笼": "lantern", "蜡烛": "candle", "黎明": "dawn", "日出": "sunrise",
    "傍晚": "evening", "黄昏": "dusk", "清晨": "morning", "早晨": "morning", "日落": "sunset",
    "暴风雨": "storm", "风暴": "storm", "雷": "thunder", "闪电": "lightning", "雨": "rain",
    "海浪": "waves", "海": "sea", "岛": "island", "船": "boat", "灯塔": "lighthouse",
    "岸": "shore", "港": "harbor", "湖": "lake", "河": "river", "森林": "forest", "树": "trees",
    "山": "mountain", "城市": "city", "街": "street", "村": "village", "她": "she", "他": "he",
    "守护人": "keeper", "脸": "face", "眼睛": "eyes",
}  # fmt: skip
# stem -> English scene word: the word (or an Arabic word's rest) begins with it
WORD_START: dict[str, str] = {
    # Arabic
    "ليل": "night", "قمر": "moon", "نجوم": "stars", "ظلام": "dark", "فانوس": "lantern",
    "فوانيس": "lantern", "شمعة": "candle", "فجر": "dawn", "شروق": "sunrise", "مساء": "evening",
    "غروب": "sunset", "صباح": "morning", "عاصف": "storm", "رعد": "thunder", "برق": "lightning",
    "مطر": "rain", "أمواج": "waves", "موج": "waves", "بحر": "sea", "محيط": "ocean",
    "منارة": "lighthouse", "جزيرة": "island", "قارب": "boat", "سفينة": "ship", "شاطئ": "shore",
    "ساحل": "coast", "ميناء": "harbor", "غابة": "forest", "شجر": "trees", "جبل": "mountain",
    "مدينة": "city", "قرية": "village", "حارس": "keeper", "امرأة": "woman", "رجل": "man",
    # Russian
    "ноч": "night", "полноч": "midnight", "лун": "moon", "звёзд": "stars", "звезд": "stars",
    "темн": "dark", "тьм": "dark", "фонар": "lantern", "свеч": "candle", "рассвет": "dawn",
    "восход": "sunrise", "вечер": "evening", "сумер": "dusk", "утр": "morning",
    "закат": "sunset", "шторм": "storm", "буря": "storm", "бури": "storm", "бурю": "storm",
    "гроз": "thunderstorm",
    "молни": "lightning", "дожд": "rain", "волн": "waves", "море": "sea", "моря": "sea",
    "морск": "sea", "океан": "ocean", "маяк": "lighthouse", "остров": "island", "лодк": "boat",
    "лодоч": "boat", "корабл": "ship", "берег": "shore", "гаван": "harbor", "озер": "lake",
    "река": "river", "реки": "river", "лес": "forest", "леса": "forest", "лесу": "forest",
    "лесн": "forest", "дерев": "trees", "гора": "mountain", "горы": "mountain",
    "горах": "mountain", "город": "city", "улиц": "street", "деревн": "village", "она": "she",
    "он": "he", "смотрител": "keeper", "старик": "old", "старух": "old", "стары": "old",
    "старая": "old",
    # Spanish
    "noche": "night", "medianoche": "midnight", "luna": "moon", "estrell": "stars",
    "oscur": "dark", "linterna": "lantern", "farol": "lantern", "amanecer": "dawn",
    "alba": "dawn", "atardecer": "sunset", "anochecer": "dusk", "tarde": "evening",
    "tormenta": "storm", "trueno": "thunder", "relámpago": "lightning", "lluvi": "rain",
    "olas": "waves", "mar": "sea", "océano": "ocean", "faro": "lighthouse", "isla": "island",
    "barc": "boat", "bote": "boat", "costa": "coast", "orilla": "shore", "puerto": "harbor",
    "lago": "lake", "río": "river", "bosque": "forest", "árbol": "trees", "montaña": "mountain",
    "colina": "hill", "ciudad": "city", "calle": "street", "pueblo": "village", "ella": "she",
    "él": "he", "guardian": "keeper", "guardián": "keeper", "ancian": "old",
}  # fmt: skip
# Stems that would begin too many other words as prefixes: whole words only.
WHOLE: frozenset[str] = frozenset({"он", "она", "лес", "mar", "él", "ella"})

_WORD = re.compile(r"[^\W\d_]+")
# Joined to an Arabic word's front: and, so, with, for, like, the, and combinations (longest
# first, so والبحر loses وال, not only و).
_ARABIC_FRONT = ("وبال", "فبال", "وال", "فال", "بال", "كال", "لل", "ال", "و", "ف", "ب", "ل", "ك")
_ARABIC = re.compile(r"[\u0600-\u06ff]")


def _forms(word: str) -> list[str]:
    """``word``, and for an Arabic word the word without what is joined to its front."""
    if not _ARABIC.match(word):
        return [word]
    return [word, *(word[len(p) :] for p in _ARABIC_FRONT if word.startswith(p))]


def native_scene_words(text: str) -> set[str]:
    """The English scene words that ``text``'s words in those languages name."""
    lowered = text.lower()
    found = {english for stem, english in INSIDE.items() if stem in lowered}
    for form in (f for word in _WORD.findall(lowered) for f in _forms(word)):
        for stem, english in WORD_START.items():
            if form == stem or (stem not in WHOLE and form.startswith(stem)):
                found.add(english)
    return found
