"""Issue 14, findings 10 and 1 (the CLI's side): STORY problems are one line and exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from storyreel.limits import MAX_STORY_CHARS
from tests.cli.conftest import Invoke


def test_a_symlink_loop_as_story_is_one_line_exit_2(cli: Invoke, tmp_path: Path) -> None:
    loop = tmp_path / "loop"
    loop.symlink_to(tmp_path / "loop")
    result = cli("plan", str(loop), "--out", str(tmp_path / "out"), "--offline")
    assert result.code == 2, result.output
    assert "STORY" in result.flat_stderr
    assert "Traceback" not in result.output


def test_a_story_over_the_maximum_is_exit_2_naming_the_limit(cli: Invoke, tmp_path: Path) -> None:
    story = tmp_path / "long.txt"
    story.write_text("word " * (MAX_STORY_CHARS // 5 + 10))
    result = cli("plan", str(story), "--out", str(tmp_path / "out"), "--offline")
    assert result.code == 2, result.output
    assert f"{MAX_STORY_CHARS:,}" in result.flat_stderr
    assert not (tmp_path / "out" / "plan.json").exists()


def test_read_story_strips_nul_and_control_characters(tmp_path: Path) -> None:
    from storyreel.cli.common import read_story

    story = tmp_path / "nul.txt"
    story.write_text("A keeper\x00 wakes.\nThe sea\x1b is calm.\n")
    assert read_story(str(story))[0] == "A keeper wakes.\nThe sea is calm.\n"


def test_a_story_of_more_than_60_segments_is_exit_2_naming_the_cap(
    cli: Invoke, tmp_path: Path
) -> None:
    # Finding 1: without --segments the split had no cap (365 segments from 49,900 characters).
    from storyreel.limits import MAX_SEGMENTS

    sentences = [
        f"Keeper number {n} climbed the long stair of the old lighthouse and lit the lamp again."
        for n in range(4 * MAX_SEGMENTS)
    ]
    story = tmp_path / "long.txt"
    story.write_text("\n\n".join(sentences))
    result = cli("plan", str(story), "--out", str(tmp_path / "out"), "--offline")
    assert result.code == 2, result.output
    assert f"at most {MAX_SEGMENTS}" in result.flat_stderr
    assert not (tmp_path / "out" / "plan.json").exists()


def test_a_story_over_60_segments_is_exit_2_before_the_paid_planning_call(
    cli: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Finding 1, the OpenAI planner in the CLI: the estimate shown before any paid call plans
    the story offline and refuses it there (the key is fake and nothing listens at the base
    URL: a request would be exit 1, not 2)."""
    from storyreel.limits import MAX_SEGMENTS

    monkeypatch.setenv("OPENAI_API_KEY", "sk-fake-0123456789")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    story = tmp_path / "long.txt"
    # Sentences of 20 words fill a 6 s clip apiece: one segment each, one past the cap.
    story.write_text(
        " ".join(
            f"On day {n} the keeper climbed the winding stairs again and lit the great lamp "
            "above the cold dark restless sea."
            for n in range(MAX_SEGMENTS + 1)
        )
    )
    # --yes: past the long-story question, to the cap itself.
    result = cli("plan", str(story), "--out", str(tmp_path / "out"), "--planner", "openai", "--yes")
    assert result.code == 2, result.output
    assert f"makes {MAX_SEGMENTS + 1} segments; at most {MAX_SEGMENTS}" in result.flat_stderr
