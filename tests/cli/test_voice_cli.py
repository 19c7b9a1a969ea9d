"""``storyreel voice clone`` / ``voice list`` against the fake MiniMax on a real socket."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.conftest import Invoke, requests_made, run_storyreel
from tests.fakes import media
from tests.fakes.fake_minimax import FakeMiniMax

VOICE = "StoryNarrator01"


def test_clone_once_then_rerun_is_a_no_op(fake_minimax: FakeMiniMax, sample: Path) -> None:
    first = run_storyreel("voice", "clone", str(sample), "--voice-id", VOICE, "--noise-reduction")

    assert first.code == 0, first.stderr
    assert f"cloned voice {VOICE}" in first.stdout
    assert "7 days" in first.flat_stderr and "charged on that first use" in first.flat_stderr
    assert fake_minimax.requests_for("voice_clone")[0].json["need_noise_reduction"] is True

    again = run_storyreel("voice", "clone", str(sample), "--voice-id", VOICE)

    assert again.code == 0, again.stderr
    assert "voice ID already exists on this account; nothing to do" in again.stdout
    assert fake_minimax.calls["files/upload"] == 1
    assert fake_minimax.calls["voice_clone"] == 1
    assert fake_minimax.accepted["voice_clone"] == 1


def test_clone_rerun_when_listing_fails_relies_on_duplicate_answer(
    fake_minimax: FakeMiniMax, sample: Path, cli: Invoke
) -> None:
    assert cli("voice", "clone", str(sample), "--voice-id", VOICE).code == 0
    fake_minimax.fail_next("get_voice", code=2013)

    again = cli("voice", "clone", str(sample), "--voice-id", VOICE)

    assert again.code == 0, again.stderr
    assert "already exists on this account" in again.stdout
    assert fake_minimax.accepted["voice_clone"] == 1


def test_voice_list_shows_system_and_cloned_voices(
    fake_minimax: FakeMiniMax, sample: Path, cli: Invoke
) -> None:
    assert cli("voice", "clone", str(sample), "--voice-id", VOICE).code == 0

    everything = cli("voice", "list")
    cloned = cli("voice", "list", "--type", "voice_cloning")

    assert everything.code == 0, everything.stderr
    assert "English_expressive_narrator" in everything.stdout
    assert VOICE in everything.stdout
    assert cloned.code == 0
    assert VOICE in cloned.stdout
    assert "English_expressive_narrator" not in cloned.stdout
    assert [r.json["voice_type"] for r in fake_minimax.requests_for("get_voice")][-2:] == [
        "all",
        "voice_cloning",
    ]


def test_voice_list_rejects_unknown_type(fake_minimax: FakeMiniMax, cli: Invoke) -> None:
    result = cli("voice", "list", "--type", "everyone")

    assert result.code == 2
    assert requests_made(fake_minimax) == 0


@pytest.mark.parametrize(
    ("seconds", "voice_id", "field"),
    [
        (11.0, "1abc", "--voice-id"),
        (11.0, "Narrator_", "--voice-id"),
        (3.0, VOICE, "SAMPLE"),
        (None, VOICE, "SAMPLE"),
    ],
    ids=["id-starts-with-digit", "id-ends-with-underscore", "sample-3s", "missing-sample"],
)
def test_bad_clone_input_exits_2_before_any_request(
    fake_minimax: FakeMiniMax,
    cli: Invoke,
    tmp_path: Path,
    seconds: float | None,
    voice_id: str,
    field: str,
) -> None:
    sample = tmp_path / "voice.mp3"
    if seconds is not None:
        sample.write_bytes(media.make_tone(seconds))

    result = cli("voice", "clone", str(sample), "--voice-id", voice_id)

    assert result.code == 2, result.output
    assert f"error: {field}:" in result.flat_stderr
    assert "Traceback" not in result.output
    assert requests_made(fake_minimax) == 0


def test_clone_refuses_unsupported_sample_format(
    fake_minimax: FakeMiniMax, cli: Invoke, tmp_path: Path
) -> None:
    sample = tmp_path / "voice.flac"
    sample.write_bytes(media.make_tone(11.0, fmt="flac"))

    result = cli("voice", "clone", str(sample), "--voice-id", VOICE)

    assert result.code == 2
    assert "convert it to mp3, m4a or wav" in result.flat_stderr
    assert requests_made(fake_minimax) == 0


def test_clone_in_mock_mode_says_so_and_sends_nothing(
    fake_minimax: FakeMiniMax, sample: Path, cli: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MINIMAX_MOCK_MODE", "true")

    result = cli("voice", "clone", str(sample), "--voice-id", VOICE)

    assert result.code == 0, result.stderr
    assert "MiniMax mock mode: no request leaves this machine" in result.stderr
    assert requests_made(fake_minimax) == 0
