"""Every command's --help shows an example and its defaults, with no ``<bool>`` for flags; the
options ``make`` and ``render`` share read the same way in both."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from storyreel.cli.app import cli_command
from tests.cli.conftest import Invoke


def _commands() -> list[list[str]]:
    found: list[list[str]] = []

    def walk(command: object, path: list[str]) -> None:
        children = getattr(command, "commands", None)
        if children:
            for name, child in children.items():
                walk(child, [*path, name])
        else:
            found.append(path)

    walk(cli_command(), [])
    return found


@pytest.mark.parametrize("words", _commands(), ids=" ".join)
def test_help_shows_an_example_and_no_bool_metavar(
    cli: Invoke, words: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    result = cli(*words, "--help")
    assert result.code == 0, result.output
    assert "Example:" in result.stdout
    assert "<bool>" not in result.stdout


def test_make_help_names_every_default(cli: Invoke, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    lines = cli("make", "--help").stdout.splitlines()

    def row(flag: str) -> str:
        return next(line for line in lines if f"{flag} " in line)

    assert "[default: auto" in row("--segments")
    assert "[default: 4]" in row("--concurrency")
    for flag in ("--planner", "--images", "--video", "--speech"):
        assert "[default: auto" in row(flag)


def test_resolution_in_any_case_and_render_takes_makes_options(cli: Invoke, tmp_path: Path) -> None:
    out = tmp_path / "out"
    story = "The keeper lit the lamp at night."
    planned = cli("plan", story, "--offline", "--resolution", "1080p", "-o", str(out))
    assert planned.code == 0, planned.output
    assert json.loads((out / "plan.json").read_text())["segments"]

    rendered = cli(
        "render", str(out), "--offline", "--resolution", "720p", "--budget", "0", "--yes"
    )
    assert rendered.code == 0, rendered.output
    assert json.loads((out / "manifest.json").read_text())["resolution"] == "720P"
