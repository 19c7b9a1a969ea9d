"""Sentences into segments: each segment's narration fills a 6 s or 10 s clip.

How long a narration lasts is estimated from its letters at the voice's pace (:class:`Pace`:
measured on the voice that will speak it when that is free, else a narrator's usual pace for
the language). A sentence too long for a 10 s clip is first cut at clause marks (or evenly); the
pieces are then grouped automatically (each group as near a clip's natural length as the
sentences allow: as little silence and change of tempo as pacing will need, paragraphs kept
apart) or into exactly the number of segments asked for (word counts as even as possible).
"""

from __future__ import annotations

import bisect
import itertools
import math
from dataclasses import dataclass

from storyreel.assembly.pacing import NATURAL_TEMPO, fit
from storyreel.assembly.timing import Duration
from storyreel.language import narrator_pace, spoken_letters
from storyreel.providers.offline.planner.sentences import (
    cut,
    join_pieces,
    paragraphs,
    split_long,
    split_sentences,
    word_count,
)

# The most words ``-n`` puts in a segment before it is warned of overflowing 10 s clips (the
# exact grouping balances words; the automatic one goes by estimated seconds).
LONG_WORDS = 24
PARAGRAPH_PENALTY = 0.35  # keep paragraphs apart unless merging saves a poorly filled clip
# A sentence estimated longer than this is cut (a 10 s clip holds it at about 1.13x), and no
# group is tried beyond GROUP_SECONDS: the fit of anything longer only holds frames.
LONGEST_SENTENCE = 10.5
GROUP_SECONDS = 14.0
# What a group costs, in seconds of silence: a held frame is far worse than silence, a tempo
# far from 1 both sounds hurried (or dragged) and leaves no room for the estimate's error.
HOLD_WEIGHT = 20.0
TEMPO_WEIGHT = 3.0
# Beyond the natural band a tempo costs much more: the estimate is only an estimate, and a
# group planned at the wide band's edge holds a frame once its voice is 5 % slower than thought.
WIDE_WEIGHT = 10.0
# How much slower than estimated a voice may turn out: a group that would then hold a frame
# costs as if it did (the fit is made again on the real length, so only a hold is risked).
ESTIMATE_ERROR = 0.08


@dataclass(frozen=True)
class Pace:
    """How fast the narrating voice speaks: letters (Chinese characters) a second."""

    letters_per_second: float

    @classmethod
    def of(cls, language: str | None, measured: float | None = None) -> Pace:
        return cls(measured if measured and measured > 0 else narrator_pace(language))

    def seconds(self, text: str) -> float:
        return spoken_letters(text) / self.letters_per_second


DEFAULT_PACE = Pace.of("en")


@dataclass(frozen=True)
class Unit:
    """A sentence (or a piece of a long one) and the paragraph it came from."""

    text: str
    paragraph: int
    seconds: float = 0.0  # its estimated spoken length

    @property
    def words(self) -> int:
        return word_count(self.text)


def duration_for(narration: str, pace: Pace = DEFAULT_PACE) -> Duration:
    """The clip a narration's estimated length fits (pacing decides again once it is spoken)."""
    return fit(pace.seconds(narration)).clip


def _fitting_pieces(sentence: str, pace: Pace) -> list[str]:
    """``sentence``, cut at clause marks (else evenly) when it is too long for a 10 s clip."""
    seconds = pace.seconds(sentence)
    if seconds <= LONGEST_SENTENCE:
        return [sentence]
    words = word_count(sentence)
    return split_long(sentence, max(1, math.floor(words * LONGEST_SENTENCE / seconds)))


def split_units(body: str, pace: Pace = DEFAULT_PACE) -> list[Unit]:
    """The body's sentences, long ones cut so every piece fits a long clip."""
    return [
        Unit(piece, k, pace.seconds(piece))
        for k, paragraph in enumerate(paragraphs(body))
        for sentence in split_sentences(paragraph)
        for piece in _fitting_pieces(sentence, pace)
    ]


def split_further(units: list[Unit], wanted: int) -> list[Unit]:
    """Split the longest units (at a clause mark, else in half) until there are ``wanted``."""
    units = list(units)
    while len(units) < wanted:
        i = max(range(len(units)), key=lambda k: (units[k].words, -k))
        unit = units[i]
        pieces = split_long(unit.text, max(1, unit.words - 1))
        if len(pieces) < 2:
            pieces = cut(unit.text, 2)
        # Keep only the first cut so each step adds exactly one unit.
        first, rest = pieces[0], join_pieces(pieces[1:])
        share = unit.seconds / max(1, word_count(unit.text))
        units[i : i + 1] = [
            Unit(first, unit.paragraph, share * word_count(first)),
            Unit(rest, unit.paragraph, share * word_count(rest)),
        ]
    return units


# -- sentences -> groups -------------------------------------------------------------------------


def _group_cost(units: list[Unit]) -> float:
    """The silence a group will leave once paced (with a held frame and a change of tempo
    counted as worse), and the paragraphs it joins."""
    seconds = sum(u.seconds for u in units)
    fitted = fit(seconds)
    crossings = len({u.paragraph for u in units}) - 1
    low, high = NATURAL_TEMPO
    beyond = max(0.0, math.log(fitted.tempo / high), math.log(low / fitted.tempo))
    slower = seconds * (1 + ESTIMATE_ERROR)
    return (
        fitted.gap(seconds)
        + HOLD_WEIGHT * fit(slower).hold(slower)
        + TEMPO_WEIGHT * abs(math.log(fitted.tempo))
        + WIDE_WEIGHT * beyond
        + PARAGRAPH_PENALTY * crossings
    )


def group_auto(units: list[Unit]) -> list[list[Unit]]:
    """The least silence and change of tempo: a shortest path over where each segment starts."""
    n = len(units)
    best: list[tuple[float, int]] = [(0.0, 0)] + [(float("inf"), 0)] * n
    for end in range(1, n + 1):
        seconds = 0.0
        for start in range(end - 1, -1, -1):
            seconds += units[start].seconds
            if seconds > GROUP_SECONDS and start < end - 1:
                break
            cost = best[start][0] + _group_cost(units[start:end])
            if cost < best[end][0] - 1e-12:
                best[end] = (cost, start)
    return _backtrack(units, [b[1] for b in best])


def group_exact(units: list[Unit], count: int) -> list[list[Unit]]:
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
    groups: list[list[Unit]] = []
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


def _backtrack(units: list[Unit], starts: list[int]) -> list[list[Unit]]:
    groups: list[list[Unit]] = []
    end = len(units)
    while end > 0:
        start = starts[end]
        groups.append(units[start:end])
        end = start
    return groups[::-1]
