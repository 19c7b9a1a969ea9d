"""Issue 16, plans that can be edited safely: every mistake in an edited plan.json is one line
naming where it is, exit 2, nothing made; what render changes in the plan it says; a STORY that
looks like a path but is missing is an error, not a story."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from storyreel.plan import Plan, PlanError
from storyreel.providers.offline.planner import build_plan
from tests.cli.conftest import Invoke

STORY = (
    "The keeper climbed the tower at dusk. She lit the lamp and watched the sea. "
    "A small boat found its way home."
)


def plan_data() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(build_plan(STORY, segments=3).model_dump_json())
    return data


def write(folder: Path, data: dict[str, Any] | str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "plan.json"
    path.write_text(data if isinstance(data, str) else json.dumps(data, indent=2), "utf-8")
    return path


def problems(path: Path) -> list[str]:
    with pytest.raises(PlanError) as info:
        Plan.load(path)
    return info.value.problems


def test_each_mistake_is_one_line_naming_where(tmp_path: Path) -> None:
    data = plan_data()
    data["segments"][2]["duration"] = 7
    data["segments"][1]["camera"] = "Dolly zoom"
    data["segments"][0]["narration"] = "   "
    data["segments"][0]["colour"] = "blue"
    del data["segments"][1]["video_prompt"]
    found = problems(write(tmp_path, data))
    assert "segments[2].duration: 7 is not 6 or 10" in found
    assert any(
        p.startswith("segments[1].camera: unknown camera command 'Dolly zoom'") for p in found
    )
    assert "segments[0].narration: is empty (write it)" in found
    assert "segments[0].colour: unknown field (remove it)" in found
    assert "segments[1].video_prompt: missing (add it)" in found
    assert len(found) == 5 and all("\n" not in p for p in found)


def test_an_unknown_bracketed_command_in_a_video_prompt_is_found_at_load(tmp_path: Path) -> None:
    # MiniMax refuses the create; offline nothing would notice. Known ones, any case, load.
    data = plan_data()
    data["segments"][1]["video_prompt"] += " [Dolly zoom] then [Dolly zoom]"
    data["segments"][2]["video_prompt"] += " [pan LEFT]"
    (line,) = problems(write(tmp_path, data))
    assert line.startswith("segments[1].video_prompt: unknown camera command(s) [Dolly zoom];")
    assert "Pan left" in line


def test_a_json_syntax_error_names_line_and_column(tmp_path: Path) -> None:
    text = json.dumps(plan_data(), indent=2).replace('"duration": 6', '"duration": 6,', 1)
    (line,) = problems(write(tmp_path, text))
    assert line.startswith("line ") and ", column " in line


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[]", "plan: Input should be a valid dictionary"),
        ('{"title": "x", "segments": []}', "segments: the plan has no segments"),
    ],
)
def test_a_plan_of_the_wrong_shape(tmp_path: Path, text: str, expected: str) -> None:
    (line,) = problems(write(tmp_path, text))
    assert line.startswith(expected)


def test_control_characters_in_edited_narration_are_stripped_and_said(tmp_path: Path) -> None:
    data = plan_data()
    data["segments"][1]["narration"] = "She lit\x00 the lamp\x1b and watched the sea."
    data["segments"][0]["camera"] = "zoom IN"
    plan = Plan.load(write(tmp_path, data))
    assert plan.segments[1].narration == "She lit the lamp and watched the sea."
    assert plan.segments[0].camera == "Zoom in"
    assert any("segments[1].narration: control characters removed" in c for c in plan.changes)
    assert any("segments[0].camera: 'zoom IN' -> 'Zoom in'" in c for c in plan.changes)


def test_render_of_a_broken_plan_is_exit_2_and_makes_nothing(cli: Invoke, tmp_path: Path) -> None:
    out = tmp_path / "out"
    data = plan_data()
    data["segments"][2]["duration"] = 7
    data["segments"][0]["camera"] = "Dolly zoom"
    write(out, data)
    result = cli("render", str(out), "--offline")
    assert result.code == 2, result.output
    assert "segments[2].duration: 7 is not 6 or 10" in result.stderr
    assert "segments[0].camera: unknown camera command 'Dolly zoom'" in result.stderr
    assert "Traceback" not in result.output
    assert not (out / "segments").exists() and not (out / "frames").exists()


def test_render_of_a_job_whose_plan_was_broken_is_exit_2(cli: Invoke, tmp_path: Path) -> None:
    story, out = tmp_path / "story.txt", tmp_path / "out"
    story.write_text(STORY, encoding="utf-8")
    assert cli("plan", str(story), "--out", str(out), "--offline", "-n", "2").code == 0
    path = out / "plan.json"
    path.write_text(path.read_text(encoding="utf-8").replace('"segments": [', '"segments": [[', 1))
    result = cli("render", str(out), "--offline")
    assert result.code == 2, result.output
    assert "line " in result.stderr and "column " in result.stderr
    assert not list(out.glob("segments/*/narration.*"))


def test_a_missing_story_file_is_not_narrated(cli: Invoke, tmp_path: Path) -> None:
    (tmp_path / "lighthouse.txt").write_text(STORY, encoding="utf-8")
    forgot = str(tmp_path / "lighthouse")
    result = cli("plan", forgot, "--out", str(tmp_path / "out"), "--offline")
    assert result.code == 2, result.output
    assert "STORY: no such file" in result.flat_stderr
    assert f"did you mean {forgot}.txt" in result.flat_stderr
    assert not (tmp_path / "out" / "plan.json").exists()
    missing = cli("plan", "stories/nothing-here", "--out", str(tmp_path / "o2"), "--offline")
    assert missing.code == 2 and "no such file" in missing.flat_stderr


def test_a_one_line_story_with_a_slash_and_spaces_is_still_a_story() -> None:
    from storyreel.cli.common import read_story

    text, name = read_story("Day and night/rain and sun, the keeper kept the light.")
    assert text.startswith("Day and night") and name == "day-and-night-rain-and"
    chinese = "\u4ed6\u8bf4/\u5979\u8bf4\u3002"  # a Chinese line has no spaces
    assert read_story(chinese)[0] == chinese


def test_bad_language_is_one_line_exit_2(cli: Invoke, tmp_path: Path) -> None:
    result = cli("plan", STORY, "--out", str(tmp_path / "out"), "--language", "Klingon!!")
    assert result.code == 2, result.output
    assert "--language: 'Klingon!!' is not a language code" in result.flat_stderr
    assert "Traceback" not in result.output


@pytest.mark.slow
def test_render_says_what_it_changed_in_the_plan(cli: Invoke, tmp_path: Path) -> None:
    out = tmp_path / "out"
    data: dict[str, Any] = json.loads(build_plan(STORY, segments=2).model_dump_json())
    for segment in data["segments"]:
        segment["duration"] = 10  # a few words: the narration needs only a 6 s clip
    data["segments"][1]["camera"] = "zoom IN"
    write(out, data)
    result = cli("render", str(out), "--offline")
    assert result.code == 0, result.output
    flat = result.flat_stderr
    assert "note: plan.json segments[0].duration: 10 -> 6 s (the narration takes" in flat
    assert "note: plan.json segments[1].camera: 'zoom IN' -> 'Zoom in'" in flat
    saved = Plan.load(out / "plan.json")
    assert [s.duration for s in saved.segments] == [6, 6] and saved.changes == []
