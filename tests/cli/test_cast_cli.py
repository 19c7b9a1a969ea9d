"""``--cast FILE``: a bad file is one line and exit 2 before anything runs; a good one becomes the
plan's cast, its pictures copied into the job folder and shown in storyboard.png."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from PIL import Image

from storyreel.plan import Plan
from tests.cli.conftest import Invoke

STORY = "Mira and Tom walked to the lighthouse. Tom climbed the stairs while Mira waited."


def _png(path: Path, size: tuple[int, int]) -> Path:
    Image.new("RGB", size, (30, 140, 60)).save(path)
    return path


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (None, "no such file"),
        ("[{", "line 1"),
        ("Mira a girl in red", "has no ':'"),
        ("\n".join(f"C{n}: someone" for n in range(9)), "has 9 characters"),
        ("Mira: a girl\nmira: another girl", "twice"),
        ('[{"name": "Mira", "description": "x", "age": 9}]', "unknown field 'age'"),
        ('[{"name": "Mira", "description": ""}]', "description: is empty"),
        ("Mira: a girl | missing.png", "is not a file"),
        ("Mira: a girl | small.png", "short side must be over 300 px"),
        ("Mira: a girl | notes.txt", "is not a readable image"),
    ],
)
def test_a_bad_cast_file_is_one_line_exit_2(
    cli: Invoke, tmp_path: Path, content: str | None, problem: str
) -> None:
    _png(tmp_path / "small.png", (200, 200))
    (tmp_path / "notes.txt").write_text("not a picture")
    cast = tmp_path / "cast.txt"
    if content is not None:
        cast.write_text(content)
    out = tmp_path / "out"
    result = cli("plan", STORY, "--out", str(out), "--offline", "--cast", str(cast))
    assert result.code == 2, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: --cast:"), result.stderr
    assert problem in result.flat_stderr
    assert "Traceback" not in result.output
    assert not (out / "plan.json").exists()


def test_a_cast_file_becomes_the_plans_cast(cli: Invoke, tmp_path: Path) -> None:
    picture = _png(tmp_path / "tom.png", (400, 600))
    cast = tmp_path / "cast.json"
    cast.write_text(
        json.dumps(
            [
                {"name": "Mira", "description": "a girl in a green cloak"},
                {"name": "Tom", "description": "a boy in a yellow hat", "picture": "tom.png"},
            ]
        )
    )
    out = tmp_path / "out"
    result = cli("plan", STORY, "--out", str(out), "--offline", "--cast", str(cast), "--yes")
    assert result.code == 0, result.output
    plan = Plan.load(out / "plan.json")
    sha = hashlib.sha256(picture.read_bytes()).hexdigest()
    assert [(c.name, c.description, c.picture) for c in plan.cast] == [
        ("Mira", "a girl in a green cloak", None),
        ("Tom", "a boy in a yellow hat", f"cast/upload_{sha[:16]}.png"),
    ]
    assert (out / "cast" / f"upload_{sha[:16]}.png").read_bytes() == picture.read_bytes()
    assert (out / "cast" / "portrait_00.png").is_file()  # Mira's, drawn: she has no picture
    assert not (out / "cast" / "portrait_01.png").exists()
    with Image.open(out / "storyboard.png") as board:
        # The cast strip sits under the title: Tom's upload (green) is pasted into it.
        strip = board.convert("RGB").crop((200, 100, 360, 250))
        assert (30, 140, 60) in {colour for _, colour in strip.getcolors(1 << 16) or []}
