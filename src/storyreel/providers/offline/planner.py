"""Offline planner: turns a story into a plan with plain rules, no model.

Sentences are grouped so each segment's narration fits a 6 s or 10 s clip at a natural
speaking pace; the camera follows the words where they are obvious ("climbed" looks up, "far
away" pulls out) and otherwise rotates through a varied sequence; the frame prompts are drawn
from the narration itself. Deterministic: the same story always gives the same plan.
"""

from __future__ import annotations

import asyncio
import bisect
import itertools
import math
import re
from dataclasses import dataclass
from functools import reduce

from storyreel.assembly.timing import Duration
from storyreel.errors import UsageError
from storyreel.language import SPACELESS_CHARS, detect_language, join_text, spaceless_count
from storyreel.limits import MAX_SEGMENTS
from storyreel.plan import Plan, Segment
from storyreel.providers.offline._base import OfflineProvider

WORDS_PER_SECOND = 2.6
SHORT_WORDS = 13  # fits a 6 s clip with a breath before and after
LONG_WORDS = 24  # fits a 10 s clip
PARAGRAPH_PENALTY = 0.35  # keep paragraphs apart unless merging saves a poorly filled clip
MAX_TITLE_WORDS = 12
STYLE = (
    "Hand-drawn storybook illustration, soft cinematic light, muted warm palette, "
    "consistent characters and setting from frame to frame, 16:9 composition"
)

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


@dataclass(frozen=True)
class _Unit:
    """A sentence (or a piece of a long one) and the paragraph it came from."""

    text: str
    paragraph: int

    @property
    def words(self) -> int:
        return word_count(self.text)


def word_count(text: str) -> int:
    """How long ``text`` takes to say, in English words: spaces count words, and a Chinese or
    Japanese character (written without spaces) counts as a part of one."""
    spaceless = spaceless_count(text)
    if not spaceless:
        return len(text.split())
    others = [a for a in _ATOM.findall(text) if not re.match(f"[{SPACELESS_CHARS}]", a)]
    return len(others) + math.ceil(spaceless * SPACELESS_WORDS_PER_CHAR)


def _join(pieces: list[str]) -> str:
    """Pieces of narration as the script writes them (no space between CJK pieces)."""
    return reduce(join_text, pieces, "")


def duration_for(words: int) -> Duration:
    """6 s when the narration fits a short clip, else 10 s (longer speech holds the last frame)."""
    return 6 if words <= SHORT_WORDS else 10


# -- text -> sentences ---------------------------------------------------------------------------


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


def _split_long(sentence: str, limit: int) -> list[str]:
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
        out.extend(_cut(piece, -(-words // limit)))
    return out


def _cut(piece: str, parts: int) -> list[str]:
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
    return [_join(chunk) for chunk in out if chunk]


def _units(body: str) -> list[_Unit]:
    return [
        _Unit(piece, k)
        for k, paragraph in enumerate(paragraphs(body))
        for sentence in split_sentences(paragraph)
        for piece in _split_long(sentence, LONG_WORDS)
    ]


def _split_further(units: list[_Unit], wanted: int) -> list[_Unit]:
    """Split the longest units (at a clause mark, else in half) until there are ``wanted``."""
    units = list(units)
    while len(units) < wanted:
        i = max(range(len(units)), key=lambda k: (units[k].words, -k))
        unit = units[i]
        pieces = _split_long(unit.text, max(1, unit.words - 1))
        if len(pieces) < 2:
            pieces = _cut(unit.text, 2)
        # Keep only the first cut so each step adds exactly one unit.
        first, rest = pieces[0], _join(pieces[1:])
        units[i : i + 1] = [_Unit(first, unit.paragraph), _Unit(rest, unit.paragraph)]
    return units


# -- sentences -> groups -------------------------------------------------------------------------


def _group_cost(units: list[_Unit]) -> float:
    words = sum(u.words for u in units)
    capacity = SHORT_WORDS if words <= SHORT_WORDS else LONG_WORDS
    crossings = len({u.paragraph for u in units}) - 1
    return (1 - min(words, capacity) / capacity) ** 2 + PARAGRAPH_PENALTY * crossings


def group_auto(units: list[_Unit]) -> list[list[_Unit]]:
    """Fewest poorly filled clips: a shortest path over where each segment starts."""
    n = len(units)
    best: list[tuple[float, int]] = [(0.0, 0)] + [(float("inf"), 0)] * n
    for end in range(1, n + 1):
        words = 0
        for start in range(end - 1, -1, -1):
            words += units[start].words
            if words > LONG_WORDS and start < end - 1:
                break
            cost = best[start][0] + _group_cost(units[start:end])
            if cost < best[end][0] - 1e-12:
                best[end] = (cost, start)
    return _backtrack(units, [b[1] for b in best])


def group_exact(units: list[_Unit], count: int) -> list[list[_Unit]]:
    """Exactly ``count`` contiguous groups with word counts as even as possible.

    The least sum of squared differences from the mean group size, as a dynamic programme over
    where each group ends. Trying every start for every end made it quadratic in the sentences
    (29 s for a 100,000-character story at 60 segments); only ends near their ideal place are
    tried, in a window provably wide enough to hold the best answer (:func:`_cut_window`).
    """
    n = len(units)
    prefix = [0]
    for unit in units:
        prefix.append(prefix[-1] + unit.words)
    target = prefix[-1] / count
    # A narrow window first (two of the longest sentences): when the best grouping inside it is
    # cheap enough that nothing outside can beat it, it is the answer; else the proven window.
    cost, back = _group_within(prefix, count, target, 2 * max(u.words for u in units))
    if _reach(cost, count) > 2 * max(u.words for u in units):
        cost, back = _group_within(prefix, count, target, _cut_window(prefix, count, target))
    groups: list[list[_Unit]] = []
    end = n
    for k in range(count, 0, -1):
        start = back[k][end]
        groups.append(units[start:end])
        end = start
    return groups[::-1]


def _group_within(
    prefix: list[int], count: int, target: float, window: float
) -> tuple[float, list[dict[int, int]]]:
    """The best grouping whose k-th cut is within ``window`` words of ``k * target``: its cost
    (infinite when there is none) and, per group, each end's best start."""
    n = len(prefix) - 1
    inf = float("inf")
    cost = {0: 0.0}  # the best cost of groups 1..k ending at each end, for the last k
    back: list[dict[int, int]] = [{}]
    for k in range(1, count + 1):
        lo, hi = (n, n) if k == count else _ends_near(prefix, k * target, window, k, n - count + k)
        starts = sorted(cost, reverse=True)  # largest start first: ties keep the old choice
        layer: dict[int, float] = {}
        chosen: dict[int, int] = {}
        for end in range(lo, hi + 1):
            best, best_start = inf, 0
            for start in starts:
                if start >= end:
                    continue
                value = cost[start] + (prefix[end] - prefix[start] - target) ** 2
                if value < best - 1e-12:
                    best, best_start = value, start
            if best < inf:
                layer[end], chosen[end] = best, best_start
        cost = layer
        back.append(chosen)
    return cost.get(n, inf), back


def _reach(cost: float, count: int) -> float:
    """How far from its ideal place a cut of any grouping costing at most ``cost`` can be:
    reaching ``|d_k| = m`` and coming back costs at least ``4 * m**2 / count`` (Cauchy-Schwarz,
    with ``d_k`` the k-th cut's distance in words and the cost the sum of
    ``(d_k - d_{k-1})**2``, ``d_0 = d_count = 0``)."""
    return math.sqrt(cost * count / 4) * (1 + 1e-9) + 1e-6


def _cut_window(prefix: list[int], count: int, target: float) -> float:
    """A window that holds the best grouping: the reach of a feasible one, each cut at the end
    nearest its ideal place (no grouping dearer than it can be the best)."""
    n = len(prefix) - 1
    cuts = [0]
    for k in range(1, count):
        ideal = k * target
        near = bisect.bisect_left(prefix, ideal)
        if near > 0 and (near > n or ideal - prefix[near - 1] <= prefix[near] - ideal):
            near -= 1
        cuts.append(min(max(near, cuts[-1] + 1), n - count + k))
    cuts.append(n)
    feasible = sum((prefix[b] - prefix[a] - target) ** 2 for a, b in itertools.pairwise(cuts))
    return _reach(feasible, count)


def _ends_near(
    prefix: list[int], ideal: float, window: float, lowest: int, highest: int
) -> tuple[int, int]:
    """The first and last end (within ``lowest..highest``) whose words are ``window`` of ideal."""
    lo = bisect.bisect_left(prefix, ideal - window)
    hi = bisect.bisect_right(prefix, ideal + window) - 1
    return max(lo, lowest), min(hi, highest)


def _backtrack(units: list[_Unit], starts: list[int]) -> list[list[_Unit]]:
    groups: list[list[_Unit]] = []
    end = len(units)
    while end > 0:
        start = starts[end]
        groups.append(units[start:end])
        end = start
    return groups[::-1]


# -- camera --------------------------------------------------------------------------------------

# First matching rule wins; each offers two commands so consecutive segments can differ.
_CAMERA_RULES: tuple[tuple[re.Pattern[str], tuple[str, str]], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), commands)
    for pattern, commands in (
        (r"\b(storm|thunder|earthquake|explo\w*|crash\w*|shook|shake|trembl\w*|quake\w*)\b",
         ("Shake", "Static shot")),
        (r"\b(climb\w*|rose|rise[sn]?|rising|ascend\w*|soar\w*|flew up|looked up|towering|"
         r"up the|upward\w*|summit|sky)\b", ("Tilt up", "Crane up")),
        (r"\b(fell|fall\w*|descend\w*|sank|sink\w*|dove|dive\w*|down (?:the|into|to)|"
         r"below|beneath|looked down)\b", ("Tilt down", "Crane down")),
        (r"\b(far (?:out|away|off)|distance|distant|horizon|vast|whole|across the|"
         r"as far as|landscape|panorama)\b", ("Zoom out", "Pull out")),
        (r"\b(around|circl\w*|surround\w*|spun|spinning|orbit\w*|whirl\w*)\b",
         ("Orbit right", "Orbit left")),
        (r"\b(walk\w*|ran|run\w*|chas\w*|follow\w*|rac\w*|hurr\w*|march\w*|rode|riding|"
         r"journey\w*|travel\w*|along)\b", ("Tracking shot", "Truck right")),
        (r"\b(enter\w*|approach\w*|toward\w*|towards|stepped into|into the|door\w*)\b",
         ("Dolly forward", "Push in")),
        (r"\b(left behind|leav\w*|retreat\w*|away from|backed|farewell|goodbye|departed)\b",
         ("Dolly back", "Pull out")),
        (r"\b(face|eyes|whisper\w*|letter|tiny|small|closer|detail|noticed|secret|"
         r"hand|hands|glint\w*)\b", ("Zoom in", "Push in")),
        (r"\b(street|shore|river|road|row|market|crowd|coast|beach|skyline)\b",
         ("Pan right", "Pan left")),
        (r"\b(silence|silent|still|quiet|waited|waiting|paused|calm|slept|asleep)\b",
         ("Static shot", "Push in")),
    )
)  # fmt: skip

# For sentences with no telling word: a sequence that alternates push/pan/tilt/pull so no two
# neighbours look alike.
_ROTATION = (
    "Push in",
    "Pan right",
    "Tilt up",
    "Zoom out",
    "Truck left",
    "Dolly forward",
    "Orbit right",
    "Pan left",
    "Crane up",
    "Zoom in",
    "Truck right",
    "Pull out",
)
_RECENT = 2  # a command is not reused within this many segments (unless the words insist)


def choose_cameras(narrations: list[str]) -> list[str]:
    chosen: list[str] = []
    turn = 0
    for text in narrations:
        recent = chosen[-_RECENT:]
        pick = None
        for pattern, commands in _CAMERA_RULES:
            if pattern.search(text):
                pick = next((c for c in commands if c not in recent), None)
                if pick:
                    break
        if pick is None:
            for step in range(len(_ROTATION)):
                candidate = _ROTATION[(turn + step) % len(_ROTATION)]
                if candidate not in recent:
                    pick = candidate
                    turn = (turn + step + 1) % len(_ROTATION)
                    break
        chosen.append(pick or "Static shot")
    return chosen


# -- prompts -------------------------------------------------------------------------------------

_FRAMING: dict[str, tuple[str, str]] = {
    "Zoom in": ("wide shot", "close-up"),
    "Push in": ("medium-wide shot", "close medium shot"),
    "Dolly forward": ("wide shot", "medium shot, closer to the subject"),
    "Zoom out": ("close-up", "wide establishing shot"),
    "Pull out": ("medium shot", "wide shot"),
    "Dolly back": ("medium shot", "wide shot, the subject smaller in the frame"),
    "Tilt up": ("low view of the ground", "view tilted up toward the sky"),
    "Pedestal up": ("low eye-level view", "higher view"),
    "Crane up": ("ground-level view", "high view from above"),
    "Tilt down": ("view of the sky and tops", "view tilted down to the ground"),
    "Pedestal down": ("high eye-level view", "lower view"),
    "Crane down": ("high view from above", "ground-level view"),
    "Pan left": ("view to the right", "view turned to the left"),
    "Pan right": ("view to the left", "view turned to the right"),
    "Truck left": ("side view", "side view, moved left"),
    "Truck right": ("side view", "side view, moved right"),
    "Orbit left": ("three-quarter view", "opposite three-quarter view"),
    "Orbit right": ("three-quarter view", "opposite three-quarter view"),
    "Tracking shot": ("side view following the subject", "side view, further along the way"),
    "Shake": ("unsteady wide shot", "unsteady wide shot"),
    "Static shot": ("steady medium shot", "steady medium shot"),
}
_MOTION: dict[str, str] = {
    "Zoom in": "The camera slowly zooms in",
    "Zoom out": "The camera slowly zooms out to reveal the scene",
    "Push in": "The camera pushes in gently",
    "Pull out": "The camera pulls out",
    "Dolly forward": "The camera dollies forward",
    "Dolly back": "The camera dollies back",
    "Pan left": "The camera pans left",
    "Pan right": "The camera pans right",
    "Truck left": "The camera trucks left",
    "Truck right": "The camera trucks right",
    "Tilt up": "The camera tilts up",
    "Tilt down": "The camera tilts down",
    "Pedestal up": "The camera rises on a pedestal",
    "Pedestal down": "The camera lowers on a pedestal",
    "Crane up": "The camera cranes up",
    "Crane down": "The camera cranes down",
    "Orbit left": "The camera orbits left around the subject",
    "Orbit right": "The camera orbits right around the subject",
    "Shake": "The camera shakes",
    "Tracking shot": "The camera tracks alongside the subject",
    "Static shot": "The camera holds still",
}


def _scene(text: str) -> str:
    text = text.strip()
    # Keep quoted speech intact; only a bare closing full stop is dropped.
    return text if text.endswith(tuple(_CLOSERS)) else text.rstrip(_ENDS).strip()


def _prompts(narration: str, sentences: list[str], camera: str) -> tuple[str, str, str]:
    start, end = _FRAMING.get(camera, ("medium shot", "medium shot"))
    first = f"{start.capitalize()}, as the shot begins: {_scene(sentences[0])}."
    # The last frame is where the action has got to when the clip ends.
    last = f"{end.capitalize()}, at the end of the action: {_scene(sentences[-1])}."
    video = (
        f"[{camera}] {_MOTION.get(camera, 'The camera moves')}. {narration.strip()} "
        "Smooth, continuous motion from the first frame to the last; "
        "consistent characters and lighting."
    )
    return video, first, last


def _fallback_title(body: str) -> str:
    first = split_sentences(paragraphs(body)[0])[0] if body.strip() else ""
    if spaceless_count(first):  # Chinese, Japanese: the first characters of the first sentence
        title = _scene(first)[:16].rstrip("\uff0c\u3001,")
    else:
        title = " ".join(_WORD.findall(first)[:6]).strip(" '\u2019" + _DASHES)
    return title[:1].upper() + title[1:] if title else "Untitled story"


class OfflinePlanner(OfflineProvider):
    """Rule-based planner: no key, no network, same story in, same plan out."""

    async def plan(self, story: str, *, segments: int | None = None) -> Plan:
        # In a thread: detecting the language loads its model (about a second) the first time.
        return await asyncio.to_thread(build_plan, story, segments=segments)


def build_plan(story: str, *, segments: int | None = None, language: str | None = None) -> Plan:
    """The synchronous core of :class:`OfflinePlanner` (plain string work, and the language
    detected from the story unless given)."""
    if not story or not story.strip():
        raise UsageError(
            "the story is empty", field="story", fix="pass a text file or the text itself"
        )
    title, body = split_title(story)
    if not body:  # a single short line: it is the story, not a title
        title, body = None, story.strip()
    units = _units(body)
    if not units:
        raise UsageError("the story has no words to narrate", field="story")
    if segments is None:
        groups = group_auto(units)
        if len(groups) > MAX_SEGMENTS:
            # Every segment is a paid clip: a story this long is refused, not planned silently.
            raise UsageError(
                f"the story makes {len(groups)} segments; at most {MAX_SEGMENTS}",
                field="story",
                fix="split it into shorter stories, or pass --segments up to "
                f"{MAX_SEGMENTS} for longer narration per segment",
            )
    else:
        words = sum(u.words for u in units)
        if segments < 1 or segments > words:
            raise UsageError(
                f"cannot make {segments} segments from a story of {words} words",
                field="segments",
                fix=f"choose between 1 and {words}",
            )
        groups = group_exact(_split_further(units, segments), segments)
    narrations = [_join([u.text for u in group]) for group in groups]
    cameras = choose_cameras(narrations)
    built = []
    for group, narration, camera in zip(groups, narrations, cameras, strict=True):
        video, first, last = _prompts(narration, [u.text for u in group], camera)
        built.append(
            Segment(
                narration=narration,
                video_prompt=video,
                first_frame_prompt=first,
                last_frame_prompt=last,
                camera=camera,
                duration=duration_for(word_count(narration)),
            )
        )
    return Plan(
        title=title or _fallback_title(body),
        style=STYLE,
        language=language or detect_language(body),
        segments=built,
    )
