"""A story's text as sentences: splitting (every script), its title, how long it takes to say.

Plain string rules, no model: abbreviations, initials and quoted speech do not end a sentence;
Chinese and Japanese end one without a space and count by characters.
"""

from __future__ import annotations

import math
import re
from functools import reduce

from storyreel.language import SPACELESS_CHARS, join_text, spaceless_count

MAX_TITLE_WORDS = 12
# Abbreviations whose full stop does not end a sentence (compared lower-case, without the dot).
_ABBREVIATIONS = frozenset(
    ("mr", "mrs", "ms", "dr", "prof", "st", "mt", "jr", "sr", "capt", "col", "gen", "lt", "sgt",
     "rev", "hon", "fr", "vs", "etc", "e.g", "i.e", "a.m", "p.m", "no", "fig", "approx", "dept",
     "est", "inc", "ltd", "co", "u.s", "u.k")
)  # fmt: skip
# Typographic quotes and dashes spelled as escapes so they are unmistakable in the source; CJK
# corner brackets and Spanish inverted marks open sentences too.
_CLOSERS = "\"')]\u201d\u2019\u00bb\u300d\u300f\uff09\u300b\u3009"
_OPENERS = "\"'([\u201c\u2018\u00ab\u00bf\u00a1\u300c\u300e\uff08\u300a\u3008"
_DASHES = "-\u2013\u2014"
# Sentence ends: Latin, Cyrillic and Greek marks need a space after them ("3.5", "e.g."), the
# Arabic question mark, Urdu and Devanagari full stops too; the CJK full-width marks end a
# sentence with no space after them (Chinese and Japanese have none).
_SPACED_ENDS = ".!?\u2026\u061f\u06d4\u0964\u203c\u2049"
_CJK_ENDS = "\u3002\uff01\uff1f"
_ENDS = _SPACED_ENDS + _CJK_ENDS
_BOUNDARY = re.compile(
    f"(?:(?P<p1>[{re.escape(_SPACED_ENDS)}]+)(?P<c1>[{re.escape(_CLOSERS)}]*)\\s+)"
    f"|(?:(?P<p2>[{_CJK_ENDS}]+[{re.escape(_SPACED_ENDS)}]*)(?P<c2>[{re.escape(_CLOSERS)}]*)\\s*)"
)
# Clause marks a long sentence may be cut at (with the full-width and Arabic forms).
_CLAUSE = re.compile("(?<=[,;:\u2013\u2014])\\s+|(?<=[\uff0c\uff1b\uff1a\u3001\u060c\u061b])\\s*")
_TITLE_PREFIX = re.compile(r"^\s*(?:#+\s*|title\s*:\s*)", re.IGNORECASE)
# A word in any script: letters and digits, with inner apostrophes and hyphens.
_WORD = re.compile("[^\\W_]+(?:['\u2019-][^\\W_]+)*")
# One spoken atom: a CJK character (with the punctuation after it), or a space-separated word.
_ATOM = re.compile(f"[{SPACELESS_CHARS}][^\\s\\w]*|(?:(?![{SPACELESS_CHARS}])\\S)+")
# A Chinese or Japanese character takes about 0.6 of an English word's time to say (some 4.3
# characters a second against 2.6 words).
SPACELESS_WORDS_PER_CHAR = 0.6


def word_count(text: str) -> int:
    """How long ``text`` takes to say, in English words: spaces count words, and a Chinese or
    Japanese character (written without spaces) counts as a part of one."""
    spaceless = spaceless_count(text)
    if not spaceless:
        return len(text.split())
    others = [a for a in _ATOM.findall(text) if not re.match(f"[{SPACELESS_CHARS}]", a)]
    return len(others) + math.ceil(spaceless * SPACELESS_WORDS_PER_CHAR)


def join_pieces(pieces: list[str]) -> str:
    """Pieces of narration as the script writes them (no space between CJK pieces)."""
    return reduce(join_text, pieces, "")


def drop_end_mark(text: str) -> str:
    """``text`` without a bare closing full stop (quoted speech keeps its closing quote)."""
    text = text.strip()
    return text if text.endswith(tuple(_CLOSERS)) else text.rstrip(_ENDS).strip()


# -- titles --------------------------------------------------------------------------------------


def _looks_like_title(line: str, rest: str) -> bool:
    if _TITLE_PREFIX.match(line):
        return True
    if not rest.strip() or not line.split() or word_count(line) > MAX_TITLE_WORDS:
        return False
    return line.rstrip()[-1] not in _ENDS + ",;:\uff0c\uff1b\uff1a\u060c" + _CLOSERS


def split_title(story: str) -> tuple[str | None, str]:
    """A first line that reads like a title (short, no closing punctuation, or ``# ...``)."""
    text = story.strip()
    first, _, rest = text.partition("\n")
    if _looks_like_title(first, rest):
        title = _TITLE_PREFIX.sub("", first).strip().strip("*_ ")
        if title:
            return title, rest.strip()
    return None, text


def fallback_title(body: str) -> str:
    first = split_sentences(paragraphs(body)[0])[0] if body.strip() else ""
    if spaceless_count(first):  # Chinese, Japanese: the first characters of the first sentence
        title = drop_end_mark(first)[:16].rstrip("\uff0c\u3001,")
    else:
        title = " ".join(_WORD.findall(first)[:6]).strip(" '\u2019" + _DASHES)
    return title[:1].upper() + title[1:] if title else "Untitled story"


# -- text -> sentences ---------------------------------------------------------------------------


def _is_boundary(before: str, punct: str, after: str) -> bool:
    if not after:
        return True
    nxt = after.lstrip(_OPENERS + _DASHES + "*_ ")
    if not nxt:
        return True
    if nxt[0].islower():
        # '"Stop!" she cried.' is one sentence; so is "the 3 p.m. train".
        return False
    if punct == ".":
        word = before.split()[-1].lstrip(_OPENERS).lower() if before.split() else ""
        if word.rstrip(".") in _ABBREVIATIONS:
            return False
        if len(word) == 1 and word.isalpha():  # an initial: "J. R. Smith"
            return False
    return True


def split_sentences(text: str) -> list[str]:
    """Sentences of one paragraph, keeping closing quotes with the sentence they close.

    Every script: a sentence that is only Chinese, Arabic or Cyrillic letters is a sentence (an
    ASCII-only word pattern once dropped them all, and with them whole stories)."""
    flat = " ".join(text.split())
    sentences: list[str] = []
    start = 0
    for match in _BOUNDARY.finditer(flat):
        group = "1" if match.group("p1") else "2"
        punct, end = match.group("p" + group), match.end("c" + group)
        if _is_boundary(flat[start : match.start("p" + group)], punct, flat[match.end() :]):
            sentences.append(flat[start:end].strip())
            start = match.end()
    tail = flat[start:].strip()
    if tail:
        sentences.append(tail)
    return [s for s in sentences if _WORD.search(s)]


def paragraphs(text: str) -> list[str]:
    return [p for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]


def split_long(sentence: str, limit: int) -> list[str]:
    """Break a sentence longer than ``limit`` words at clause marks, then evenly by words."""
    if word_count(sentence) <= limit:
        return [sentence]
    clauses = [c.strip() for c in _CLAUSE.split(sentence) if c.strip()]
    pieces: list[str] = []
    for clause in clauses:
        if pieces and word_count(pieces[-1]) + word_count(clause) <= limit:
            pieces[-1] = join_text(pieces[-1], clause)
        else:
            pieces.append(clause)
    out: list[str] = []
    for piece in pieces:
        words = word_count(piece)
        if words <= limit:
            out.append(piece)
            continue
        out.extend(cut(piece, -(-words // limit)))
    return out


def cut(piece: str, parts: int) -> list[str]:
    """``piece`` in ``parts`` pieces of about equal spoken length, between words (or between
    characters of a script without spaces)."""
    atoms = _ATOM.findall(piece)
    target = word_count(piece) / parts
    out: list[list[str]] = [[]]
    spoken = 0.0
    for atom in atoms:
        if out[-1] and spoken >= target * len(out) and len(out) < parts:
            out.append([])
        out[-1].append(atom)
        spoken += (
            word_count(atom)
            if not re.match(f"[{SPACELESS_CHARS}]", atom)
            else (SPACELESS_WORDS_PER_CHAR)
        )
    return [join_pieces(chunk) for chunk in out if chunk]
