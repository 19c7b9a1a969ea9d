"""Issue 12, music and loudness from the command line: an offline video with the synthesised bed
at -16 LUFS (ebur128 on the written file), and bad tracks refused in one line, exit 2, before
any job exists."""

from __future__ import annotations

import json
from pathlib import Path

import av
import numpy as np
import pytest
import srt

from tests.assembly.test_mix import loudness, make_track
from tests.cli.conftest import Invoke

STORY = (
    "The keeper climbed the tower at dusk. The lamp had gone dark for the first time in forty "
    "years.\n\nShe cleaned the glass and lit the wick. Far out, a small boat turned for home."
)


@pytest.fixture
def story(tmp_path: Path) -> Path:
    path = tmp_path / "story.txt"
    path.write_text(STORY, encoding="utf-8")
    return path


def test_offline_make_with_music_auto_is_at_minus_16_lufs(
    cli: Invoke, story: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    args = ["make", str(story), "--out", str(out), "--offline", "-n", "2", "--resolution", "720P"]
    made = cli(*args, "--music", "auto")
    assert made.code == 0, made.output
    measured = loudness(out / "final_video.mp4")
    assert measured.integrated == pytest.approx(-16.0, abs=1.0), measured
    assert measured.true_peak <= -1.5, measured
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["music"] == {"track": "synthesised", "volume": 0.3}

    # Another volume re-mixes the final video only: every segment is reused.
    again = cli(*args, "--music", "auto", "--music-volume", "0.6")
    assert again.code == 0, again.output
    assert json.loads((out / "manifest.json").read_text())["music"]["volume"] == 0.6
    assert "steps reused" in again.stdout

    # Burned in the bold-outline style: yellow text in the bottom of the picture, in the frame.
    plain = tmp_path / "plain.mp4"
    (out / "final_video.mp4").rename(plain)
    burned = cli(
        *args, "--music", "auto", "--subtitles", "burn", "--subtitle-style", "bold-outline"
    )
    assert burned.code == 0, burned.output
    first_cue = next(srt.parse((out / "final_video.srt").read_text()))
    at = first_cue.start.total_seconds() + 0.5
    frame, before = _frame_at(out / "final_video.mp4", at), _frame_at(plain, at)
    height = frame.shape[0]
    changed = np.abs(frame.astype(int) - before.astype(int)).max(axis=-1) > 60
    yellow = (frame[..., 0] > 200) & (frame[..., 1] > 180) & (frame[..., 2] < 140) & changed
    rows = np.nonzero(yellow.any(axis=1))[0]
    assert rows.size > 0 and rows.min() > height // 2 and rows.max() < height - 1


def _frame_at(path: Path, seconds: float) -> np.ndarray:
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            if float(frame.pts * frame.time_base) >= seconds:
                return np.asarray(frame.to_image())
    raise AssertionError(f"no frame at {seconds} s")


def _bad_track(kind: str, tmp_path: Path) -> Path:
    path = tmp_path / "track.mp3"
    if kind == "short":  # the 0.5 s track
        make_track(path.with_suffix(".m4a"), 0.5)
        return path.with_suffix(".m4a")
    if kind == "unreadable":
        path.write_bytes(b"\xff\xfb\x90\x00" + b"\x00" * 64)  # an mp3 header and nothing else
    return path  # "missing": never written


@pytest.mark.parametrize("kind", ["missing", "unreadable", "short"])
def test_a_bad_music_track_is_one_line_exit_2_before_any_job(
    kind: str, cli: Invoke, story: Path, tmp_path: Path
) -> None:
    track = _bad_track(kind, tmp_path)
    out = tmp_path / "out"
    result = cli("make", str(story), "--out", str(out), "--offline", "--music", str(track))
    assert result.code == 2, result.output
    assert result.flat_stderr.startswith("error: --music: "), result.stderr
    assert len(result.stderr.strip().splitlines()) <= 2, result.stderr  # one line (rich may wrap)
    assert "Traceback" not in result.output
    assert not (out / "plan.json").exists()
    jobs = cli("jobs")
    assert str(out) not in jobs.output  # no job was made, nothing was paid


def test_music_volume_out_of_range_is_exit_2(cli: Invoke, story: Path, tmp_path: Path) -> None:
    result = cli("make", str(story), "--offline", "--music", "auto", "--music-volume", "0")
    assert result.code == 2 and "--music-volume" in result.flat_stderr


def test_render_checks_the_track_too(cli: Invoke, story: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert cli("plan", str(story), "--out", str(out), "--offline", "-n", "2").code == 0
    result = cli("render", str(out), "--music", str(_bad_track("short", tmp_path)))
    assert result.code == 2 and result.flat_stderr.startswith("error: --music: "), result.output


def test_the_api_takes_no_server_paths() -> None:
    from pydantic import ValidationError

    from storyreel.api.schemas import JobRequest

    assert JobRequest(story="A keeper.", music="auto").options().music == "auto"
    with pytest.raises(ValidationError, match="music"):
        JobRequest(story="A keeper.", music="/etc/passwd")
