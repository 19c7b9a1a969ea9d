"""Offline planner benchmark (a script, not a test): how long planning the longest story takes.

Builds a deterministic story of ``--chars`` characters (default 100,000, the documented maximum)
of 5- to 22-word sentences, then times the sentence split, the automatic grouping, the exact
grouping into ``--segments`` (default 60, the cap) and the whole ``build_plan`` with that count.

Run:  PYTHONPATH=src .venv/bin/python bench/bench_planner.py [--chars N] [--segments N]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

from storyreel.limits import MAX_SEGMENTS, MAX_STORY_CHARS
from storyreel.providers.offline.planner import build_plan, grouping

WORDS = "the keeper walked along a quiet shore and found glass bottles under grey light".split()  # noqa: SIM905


def story_of(chars: int) -> str:
    sentences: list[str] = []
    length, k = 0, 0
    while length < chars:
        n = 5 + k * 7 % 18
        sentence = " ".join(WORDS[(k + i) % len(WORDS)] for i in range(n)).capitalize() + "."
        sentences.append(sentence)
        length += len(sentence) + 1
        k += 1
    return " ".join(sentences)[:chars]


def timed(what: str, work: Callable[[], object]) -> object:
    began = time.perf_counter()
    result = work()
    print(f"{what:<28} {1000 * (time.perf_counter() - began):9.1f} ms")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chars", type=int, default=MAX_STORY_CHARS)
    parser.add_argument("--segments", type=int, default=MAX_SEGMENTS)
    args = parser.parse_args()
    story = story_of(args.chars)
    units = grouping.split_units(story)
    print(f"{len(story)} characters, {len(story.split())} words, {len(units)} sentences")
    timed("split into sentences", lambda: grouping.split_units(story))
    timed("group (automatic)", lambda: grouping.group_auto(units))
    wanted = grouping.split_further(units, args.segments)
    timed(f"group (exactly {args.segments})", lambda: grouping.group_exact(wanted, args.segments))
    timed(
        f"build_plan(segments={args.segments})",
        lambda: build_plan(story, segments=args.segments),
    )


if __name__ == "__main__":
    main()
