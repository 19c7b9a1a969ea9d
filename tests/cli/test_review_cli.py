"""Issue 13 on the CLI: ``make --review`` stops before any video, says where the storyboard is
and how to approve; a re-roll is a take in plan.json; ``render`` approves, reusing the rest."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.conftest import Invoke

STORY = "The keeper climbed the tower at dusk. She lit the lamp and watched the sea."


def test_make_review_then_reroll_in_plan_json_then_render(cli: Invoke, tmp_path: Path) -> None:
    story, out = tmp_path / "story.txt", tmp_path / "out"
    story.write_text(STORY, encoding="utf-8")
    made = cli("make", str(story), "--out", str(out), "--offline", "-n", "2", "--review")
    assert made.code == 0, made.output
    said = " ".join(made.stdout.split())
    assert "in review" in said and str(out / "storyboard.png") in said
    assert f"storyreel render {out}" in said and 'takes["frame:K"]' in said
    assert (out / "storyboard.png").is_file() and not (out / "final_video.mp4").exists()
    assert not list(out.glob("segments/*/clip.mp4"))  # no clip before approval
    frames = {k: (out / "frames" / f"frame_{k:02d}.png").read_bytes() for k in range(3)}

    data = json.loads((out / "plan.json").read_text(encoding="utf-8"))
    data["takes"] = {"frame:2": 2}
    (out / "plan.json").write_text(json.dumps(data), encoding="utf-8")
    rendered = cli("render", str(out), "--yes")
    assert rendered.code == 0, rendered.output
    assert (out / "final_video.mp4").is_file()
    rerolled = (out / "frames" / "frame_02.png").read_bytes()
    assert rerolled != frames[2]  # the re-roll
    for k in (0, 1):  # reused, not drawn again
        assert (out / "frames" / f"frame_{k:02d}.png").read_bytes() == frames[k]
    again = cli("render", str(out), "--yes")  # a resume redoes nothing, the re-roll included
    assert again.code == 0 and (out / "frames" / "frame_02.png").read_bytes() == rerolled
    assert "steps reused" in " ".join(again.stdout.split())


def test_a_take_out_of_range_is_one_line_and_exit_2(cli: Invoke, tmp_path: Path) -> None:
    story, out = tmp_path / "story.txt", tmp_path / "out"
    story.write_text(STORY, encoding="utf-8")
    assert cli("plan", str(story), "--out", str(out), "--offline", "-n", "2").code == 0
    data = json.loads((out / "plan.json").read_text(encoding="utf-8"))
    data["takes"] = {"frame:7": 2}
    (out / "plan.json").write_text(json.dumps(data), encoding="utf-8")
    result = cli("render", str(out), "--yes")
    assert result.code == 2
    assert "takes: 'frame:7' is not frame:K (K < 3)" in result.flat_stderr


def test_a_frame_file_that_is_not_a_picture_is_one_line_and_exit_2(
    cli: Invoke, tmp_path: Path
) -> None:
    story, out = tmp_path / "story.txt", tmp_path / "out"
    story.write_text(STORY, encoding="utf-8")
    assert cli("plan", str(story), "--out", str(out), "--offline", "-n", "2").code == 0
    (out / "notes.txt").write_text("not a picture", encoding="utf-8")
    data = json.loads((out / "plan.json").read_text(encoding="utf-8"))
    data["frame_files"] = {"1": "notes.txt"}
    (out / "plan.json").write_text(json.dumps(data), encoding="utf-8")
    result = cli("render", str(out), "--yes")
    assert result.code == 2, result.output
    assert "plan.json frame_files[1]: is not a readable image" in result.flat_stderr
    assert not (out / "final_video.mp4").exists()
