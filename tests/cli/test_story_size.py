"""``-n`` the story cannot fill is warned about with the counts that fit; a story of more than
40 segments shows its size and is planned only once accepted (``--yes``)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from storyreel.cli import story_size
from tests.cli.conftest import Invoke

ROOT = Path(__file__).resolve().parents[2]
# 45 sentences of 20 words (about 6.5 s each): each fills a 6 s clip, two would overflow a 10 s
# one, so 45 segments.
LONG = " ".join(
    f"On day {k} the keeper climbed the winding stairs again and lit the great lamp above "
    "the cold dark restless sea."
    for k in range(45)
)


def test_segments_that_cut_sentences_get_a_warning_with_what_fits(
    cli: Invoke, tmp_path: Path
) -> None:
    story = str(ROOT / "examples" / "lighthouse.txt")
    result = cli("plan", story, "--offline", "-n", "30", "-o", str(tmp_path / "out"))

    assert result.code == 0, result.output
    assert "warning: -n 30 cuts sentences and leaves long silence" in result.flat_stderr
    # Six sentences, each a 10 s clip's worth: more segments would cut them.
    assert "this story fits 6 segments" in result.flat_stderr


def test_a_fitting_count_is_not_warned_about(cli: Invoke, tmp_path: Path) -> None:
    story = str(ROOT / "examples" / "lighthouse.txt")
    result = cli("plan", story, "--offline", "-n", "6", "-o", str(tmp_path / "out"))
    assert result.code == 0, result.output
    assert "warning" not in result.stderr


def test_a_long_story_without_a_terminal_needs_yes(
    cli: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(story_size.sys, "stdin", io.StringIO())  # no terminal to ask
    out = tmp_path / "out"

    result = cli("plan", LONG, "--offline", "-o", str(out))

    assert result.code == 2, result.output
    assert "this story makes 45 segments, about 4 min of video" in result.flat_stderr
    assert "error: --yes:" in result.flat_stderr
    assert not (out / "plan.json").exists()


def test_a_long_story_is_planned_with_yes(cli: Invoke, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = cli("plan", LONG, "--offline", "--yes", "-o", str(out))
    assert result.code == 0, result.output
    assert "planned 45 segments" in " ".join(result.stdout.split())


def test_a_long_story_for_the_workers_asks_too(
    cli: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The question comes before the broker or the shared store is touched: an unreachable broker
    # is never reached, and nothing is planned.
    monkeypatch.setenv("STORYREEL_BROKER_URL", "redis://127.0.0.1:1/0")
    monkeypatch.setenv("STORYREEL_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setattr(story_size.sys, "stdin", io.StringIO())  # no terminal to ask
    out = tmp_path / "out"

    result = cli("make", LONG, "--remote", "--offline", "-o", str(out))

    assert result.code == 2, result.output
    assert "this story makes 45 segments" in result.flat_stderr
    assert "error: --yes:" in result.flat_stderr
    assert not (out / "plan.json").exists()
