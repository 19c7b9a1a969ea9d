"""The story's language: detected from its text (or given by the user), carried in the plan.

Detection is py3langid (a small, well-kept fork of langid.py whose model ships in the wheel, so
nothing is fetched at run time). Two scripts are settled before asking it: kana means Japanese
and hangul Korean, since a few kana among many kanji are still Japanese and the model, trained on
whole texts, can call such a text Chinese.

Also here: what each stage makes of a language (the espeak-ng voice, MiniMax's
``language_boost``) and the script facts the planner and the subtitles share (which characters
are written without spaces, which are right to left).
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Callable
from functools import cache
from typing import cast

# A BCP 47-ish tag as users type it: "zh", "es", "pt-br", "zh-Hans". Bounded: it reaches file
# names, espeak-ng and MiniMax.
_TAG = re.compile(r"^[a-z]{2,3}(?:-[a-z0-9]{2,8}){0,2}$")
MAX_TAG = 20
DEFAULT_LANGUAGE = "en"
# The first characters decide: enough for the model, bounded work for a 100,000-character story.
DETECT_SAMPLE = 4000

# Scripts written without spaces between words: each character is about a syllable.
SPACELESS_CHARS = (
    "\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff"
)
_NO_SPACE = re.compile(f"[{SPACELESS_CHARS}]")
_KANA = re.compile("[\u3040-\u30ff\u31f0-\u31ff]")
_HANGUL = re.compile("[\uac00-\ud7af\u1100-\u11ff\u3130-\u318f]")
_RTL = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff]")
_ARABIC = re.compile("[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff]")

# espeak-ng names some voices differently from the language's ISO code.
_ESPEAK_ALIASES = {
    "zh": "cmn",
    "zh-cn": "cmn",
    "zh-hans": "cmn",
    "zh-tw": "cmn",
    "zh-hant": "cmn",
    "zh-hk": "yue",
    "en": "en-us",
}
ESPEAK_FALLBACK = "en-us"

# MiniMax T2A ``language_boost`` values (its documented enum), by ISO 639-1 code.
MINIMAX_LANGUAGE_BOOST = {
    "zh": "Chinese",
    "yue": "Chinese,Yue",
    "zh-hk": "Chinese,Yue",
    "en": "English",
    "ar": "Arabic",
    "ru": "Russian",
    "es": "Spanish",
    "fr": "French",
    "pt": "Portuguese",
    "de": "German",
    "tr": "Turkish",
    "nl": "Dutch",
    "uk": "Ukrainian",
    "vi": "Vietnamese",
    "id": "Indonesian",
    "ja": "Japanese",
    "it": "Italian",
    "ko": "Korean",
    "th": "Thai",
    "pl": "Polish",
    "ro": "Romanian",
    "el": "Greek",
    "cs": "Czech",
    "fi": "Finnish",
    "hi": "Hindi",
    "bg": "Bulgarian",
    "da": "Danish",
    "he": "Hebrew",
    "ms": "Malay",
    "fa": "Persian",
    "sk": "Slovak",
    "sv": "Swedish",
    "hr": "Croatian",
    "tl": "Filipino",
    "fil": "Filipino",
    "hu": "Hungarian",
    "no": "Norwegian",
    "nb": "Norwegian",
    "nn": "Nynorsk",
    "sl": "Slovenian",
    "ca": "Catalan",
    "ta": "Tamil",
    "af": "Afrikaans",
}


def normalize_language(value: str) -> str:
    """``value`` as a lower-case language tag ("zh_CN" -> "zh-cn"), or ValueError saying why."""
    tag = value.strip().replace("_", "-").lower()
    if len(tag) > MAX_TAG or not _TAG.match(tag):
        raise ValueError(
            f"{value[:MAX_TAG]!r} is not a language code; use an ISO 639 code such as "
            "en, zh, ar, ru or es"
        )
    return tag


def primary(language: str) -> str:
    """The language without region or script: "zh-cn" -> "zh"."""
    return language.split("-", 1)[0]


_MODEL_LOCK = threading.Lock()


@cache
def _classify() -> Callable[[str], tuple[str, float]]:
    # The model loads on the first classify (about a CPU second): once per process. Detection
    # runs in worker threads, and neither ``cache`` nor py3langid stops two first calls at once
    # from each loading it (a worker's threads loaded it three times), hence the lock.
    with _MODEL_LOCK:
        import py3langid

        py3langid.classify("warm")  # loads it; later calls (any thread) find it loaded
        return cast(Callable[[str], tuple[str, float]], py3langid.classify)


def detect_language(text: str) -> str:
    """The language ``text`` is written in, as an ISO 639-1 code; English when unsure."""
    sample = text[:DETECT_SAMPLE]
    if _KANA.search(sample):
        return "ja"
    if len(_HANGUL.findall(sample)) * 2 > len(_NO_SPACE.findall(sample)) and _HANGUL.search(sample):
        return "ko"
    if not any(ch.isalpha() for ch in sample):
        return DEFAULT_LANGUAGE
    code, _score = _classify()(sample)
    return str(code) if code else DEFAULT_LANGUAGE


def espeak_voice(language: str | None) -> str:
    """The espeak-ng voice that speaks ``language`` (American English when it has none)."""
    if not language:
        return ESPEAK_FALLBACK
    for candidate in (language, primary(language)):
        name = _ESPEAK_ALIASES.get(candidate, candidate)
        if _espeak_has_voice(name):
            return name
    return ESPEAK_FALLBACK


# espeak-ng voice names: a language code with optional variants ("es", "en-us", "zh-yue").
_ESPEAK_NAME = re.compile(r"^[a-z]{2,3}(?:-[a-z0-9]{1,8}){0,2}$")


def is_espeak_voice_name(value: str) -> bool:
    """``value`` is shaped like an espeak-ng voice name (MiniMax voice ids are not: they are
    at least 8 characters of letters, digits, - and _)."""
    return bool(_ESPEAK_NAME.match(value))


def _espeak_has_voice(name: str) -> bool:
    from storyreel.providers.offline import _espeak

    return _espeak.has_voice(name)


def language_boost(language: str | None) -> str | None:
    """MiniMax's ``language_boost`` for ``language`` (None: let the model guess as before)."""
    if not language:
        return None
    return MINIMAX_LANGUAGE_BOOST.get(language) or MINIMAX_LANGUAGE_BOOST.get(primary(language))


# -- script facts --------------------------------------------------------------------------------


def is_spaceless(char: str) -> bool:
    """A character of a script written without spaces (Chinese, Japanese)."""
    return bool(_NO_SPACE.match(char))


def spaceless_count(text: str) -> int:
    return len(_NO_SPACE.findall(text))


def has_arabic(text: str) -> bool:
    return bool(_ARABIC.search(text))


def is_rtl(text: str) -> bool:
    """Mostly right-to-left letters (Arabic, Hebrew, Persian...)."""
    letters = [ch for ch in text if ch.isalpha()]
    return bool(letters) and len(_RTL.findall(text)) * 2 > len(letters)


def join_text(left: str, right: str) -> str:
    """Two pieces of narration joined as the script writes them (no space between CJK)."""
    if not left:
        return right
    if not right:
        return left
    if _cjk_edge(left.rstrip()[-1:]) and _cjk_edge(right.lstrip()[:1]):
        return left.rstrip() + right.lstrip()
    return f"{left.rstrip()} {right.lstrip()}"


_CJK_PUNCT = re.compile("[\u3000-\u303f\uff00-\uffef]")


def _cjk_edge(char: str) -> bool:
    return is_spaceless(char) or bool(_CJK_PUNCT.match(char))


def slug(text: str, *, words: int = 5, max_chars: int = 40) -> str:
    """A file-name-safe name that keeps the story's letters ("Había una vez" -> "había-una-vez").

    Letters and digits of any script stay (NFC, lower-case); everything else separates words.
    """
    normal = unicodedata.normalize("NFC", text).lower()
    tokens = re.findall(r"[^\W_]+", normal)
    name = "-".join(tokens[:words])[:max_chars].strip("-")
    return name or "story"


# -- how fast a language is spoken ---------------------------------------------------------------

_LETTER = re.compile(r"[^\W_]")
# A narrator's pace in letters (a character, in Chinese and Japanese) a second, for a voice not
# measured beforehand (a paid one): a starting point only, the narration is fitted to its clip
# once spoken. Arabic writes few vowels, Chinese a syllable a character: fewer of them a second.
NARRATOR_LETTERS_PER_SECOND = {"zh": 4.5, "yue": 4.5, "ja": 7.0, "ko": 6.0, "ar": 10.0}
DEFAULT_LETTERS_PER_SECOND = 13.0


def spoken_letters(text: str) -> int:
    """What speaking ``text`` takes, counted: its letters and digits, in every script (a
    character of Chinese or Japanese is one)."""
    return len(_LETTER.findall(text))


def narrator_pace(language: str | None) -> float:
    """Letters a second a narrator speaks ``language`` at, when no voice was measured."""
    if not language:
        return DEFAULT_LETTERS_PER_SECOND
    return NARRATOR_LETTERS_PER_SECOND.get(
        language, NARRATOR_LETTERS_PER_SECOND.get(primary(language), DEFAULT_LETTERS_PER_SECOND)
    )
