"""``storyreel tts`` and ``storyreel video`` against the fake MiniMax on a real socket; media are
probed with PyAV, not trusted."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import av
import pytest

from tests.cli.conftest import Invoke, interrupt_when, requests_made, run_storyreel
from tests.fakes import media
from tests.fakes.fake_minimax import FakeMiniMax

VOICE = "StoryNarrator01"
PROMPT = "A lighthouse beam sweeps the sea as night falls [Push in]"


def _duration(path: Path) -> float:
    with av.open(str(path)) as container:
        assert container.duration is not None
        seconds = float(container.duration) / 1_000_000
        for frame in container.decode(container.streams[0]):  # every frame decodes
            del frame
    return seconds


def _codec(path: Path, kind: str) -> str:
    with av.open(str(path)) as container:
        streams = container.streams.video if kind == "video" else container.streams.audio
        return str(streams[0].codec_context.name)


# --- tts -------------------------------------------------------------------------------------


def test_tts_with_a_cloned_voice_writes_playable_mp3(
    fake_minimax: FakeMiniMax, sample: Path, cli: Invoke, tmp_path: Path
) -> None:
    assert cli("voice", "clone", str(sample), "--voice-id", VOICE).code == 0
    out = tmp_path / "speech" / "hello.mp3"

    result = run_storyreel(
        "tts",
        "Once upon a time, a lighthouse kept watch.",
        "--voice",
        VOICE,
        "--out",
        str(out),
        "--speed",
        "1.2",
    )

    assert result.code == 0, result.stderr
    seconds = _duration(out)
    assert seconds > 0
    assert _codec(out, "audio").startswith("mp3")
    assert re.search(rf"wrote .*hello\.mp3 \(mp3, {seconds:.2f} s\)", result.stdout)
    body = fake_minimax.requests_for("t2a_v2")[0].json
    assert body["voice_setting"] == {"voice_id": VOICE, "speed": 1.2, "vol": 1.0, "pitch": 0}
    assert body["audio_setting"]["format"] == "mp3"
    assert not list(out.parent.glob(".*part"))  # written atomically: no leftovers


def test_tts_reads_a_text_file_and_takes_the_format_from_the_suffix(
    fake_minimax: FakeMiniMax, cli: Invoke, tmp_path: Path
) -> None:
    story = tmp_path / "story.txt"
    story.write_text("The keeper climbed the stairs.", encoding="utf-8")
    out = tmp_path / "story.wav"

    result = cli("tts", str(story), "--voice", "English_expressive_narrator", "--out", str(out))

    assert result.code == 0, result.stderr
    assert fake_minimax.requests_for("t2a_v2")[0].json["text"] == "The keeper climbed the stairs."
    assert fake_minimax.requests_for("t2a_v2")[0].json["audio_setting"]["format"] == "wav"
    assert _codec(out, "audio").startswith("pcm")
    assert _duration(out) > 0


def test_tts_without_a_key_speaks_with_espeak_ng(cli: Invoke, tmp_path: Path) -> None:
    out = tmp_path / "offline.mp3"  # no MINIMAX_API_KEY at all: offline speech, not a tone

    result = cli(
        "tts", "Hello from nowhere.", "--voice", "English_expressive_narrator", "--out", str(out)
    )

    assert result.code == 0, result.stderr
    assert "espeak-ng voice en-us" in result.flat_stderr
    assert _duration(out) > 0


def test_offline_tts_speaks_the_texts_language_or_the_espeak_voice_given(
    cli: Invoke, tmp_path: Path
) -> None:
    russian = cli(
        "tts",
        "Жил-был смотритель маяка.",
        "--voice",
        "StoryNarrator01",
        "-o",
        str(tmp_path / "a.wav"),
    )
    spanish = cli("tts", "Hello there.", "--voice", "es", "-o", str(tmp_path / "b.wav"))

    assert russian.code == 0 and "espeak-ng voice ru" in russian.flat_stderr, russian.stderr
    assert spanish.code == 0 and "espeak-ng voice es" in spanish.flat_stderr, spanish.stderr


# --- video -----------------------------------------------------------------------------------


def test_video_fl2v_polls_at_the_set_interval_and_downloads_a_6s_clip(
    fake_minimax: FakeMiniMax,
    frames: tuple[Path, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MINIMAX_POLL_INTERVAL", "0.2")
    first, last = frames
    out = tmp_path / "clips" / "clip.mp4"

    result = run_storyreel(
        "video", "--prompt", PROMPT, "--first", str(first), "--last", str(last), "--out", str(out)
    )

    assert result.code == 0, result.stderr
    (task_id,) = fake_minimax.tasks
    assert f"video task {task_id} created (MiniMax-Hailuo-02, 6 s, 768P)" in result.stdout
    for status in ("Preparing", "Queueing", "Processing", "Success"):
        assert status in result.stderr
    assert f"saved {out.resolve()}" in result.stdout
    body = fake_minimax.video_requests()[0]
    assert body["model"] == "MiniMax-Hailuo-02"  # the FL2V default without --model
    assert body["first_frame_image"].startswith("data:image/png;base64,")
    assert body["last_frame_image"].startswith("data:image/png;base64,")
    assert _codec(out, "video") == "h264"
    assert _duration(out) == pytest.approx(6.0, abs=0.2)
    polls = [r.time for r in fake_minimax.requests_for("query/video_generation")]
    assert len(polls) == 4  # Preparing, Queueing, Processing, Success
    assert all(b - a >= 0.2 for a, b in itertools.pairwise(polls))
    assert fake_minimax.accepted["video_generation"] == 1


def test_ctrl_c_while_polling_tells_how_to_resume_and_resume_finishes(
    fake_minimax: FakeMiniMax,
    frames: tuple[Path, Path],
    tmp_path: Path,
    cli: Invoke,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MINIMAX_POLL_INTERVAL", "0.1")
    fake_minimax.set_latency("video", 600)  # the task would take 10 minutes
    first, last = frames
    out = tmp_path / "clip.mp4"

    stopped = interrupt_when(
        [
            "video",
            "--prompt",
            PROMPT,
            "--first",
            str(first),
            "--last",
            str(last),
            "--out",
            str(out),
        ],
        ready=lambda stdout: (
            "created" in stdout and fake_minimax.calls["query/video_generation"] >= 2
        ),
        workdir=tmp_path,
    )

    assert stopped.code == 130, stopped.stderr
    (task_id,) = fake_minimax.tasks
    assert f"video task {task_id} created" in stopped.stdout
    assert f"storyreel video --resume {task_id} --out {out}" in stopped.flat_stderr
    assert "Traceback" not in stopped.stderr
    assert not out.exists()

    fake_minimax.set_latency("video", 0)
    resumed = cli("video", "--resume", task_id, "--out", str(out))

    assert resumed.code == 0, resumed.stderr
    assert _duration(out) == pytest.approx(6.0, abs=0.2)
    assert fake_minimax.calls["video_generation"] == 1  # resuming never creates (pays) again


def test_failed_task_exits_1_with_the_reason(
    fake_minimax: FakeMiniMax, cli: Invoke, tmp_path: Path
) -> None:
    fake_minimax.fail_next_tasks(code=1027)

    result = cli("video", "--prompt", "A quiet harbour", "--out", str(tmp_path / "c.mp4"))

    assert result.code == 1
    assert "failed" in result.flat_stderr
    assert "Traceback" not in result.output
    assert not (tmp_path / "c.mp4").exists()


# --- bad input: exit 2, nothing sent -----------------------------------------------------------


def _image(tmp_path: Path, name: str, width: int, height: int) -> str:
    path = tmp_path / name
    path.write_bytes(media.make_image(width, height, name))
    return str(path)


BAD_VIDEO = {
    "prompt-too-long": (["--prompt", "x" * 2001], "--prompt"),
    "unknown-camera-command": (["--prompt", "A cat [Spin around]"], "--prompt"),
    "1080p-10s": (["--prompt", "A cat", "--resolution", "1080P", "--duration", "10"], "--duration"),
    "fl2v-512p": (
        ["--prompt", "A cat", "--first", "@first", "--last", "@last", "--resolution", "512P"],
        "--resolution",
    ),
    "fl2v-other-model": (
        [
            "--prompt",
            "A cat",
            "--first",
            "@first",
            "--last",
            "@last",
            "--model",
            "MiniMax-Hailuo-2.3",
        ],
        "--model",
    ),
    "tiny-frame": (["--prompt", "A cat", "--first", "@tiny", "--last", "@last"], "--first"),
    "bad-aspect": (["--prompt", "A cat", "--first", "@first", "--last", "@wide"], "--last"),
    "missing-frame": (["--prompt", "A cat", "--first", "nowhere.png"], "--first"),
    "duration-7": (["--prompt", "A cat", "--duration", "7"], "--duration"),
    "not-mp4": (["--prompt", "A cat", "--out", "clip.mov"], "--out"),
    "t2v-without-prompt": ([], "--prompt"),
    "bad-callback": (["--prompt", "A cat", "--callback-url", "ftp://x"], "--callback-url"),
}


@pytest.mark.parametrize(("args", "field"), BAD_VIDEO.values(), ids=BAD_VIDEO.keys())
def test_bad_video_input_exits_2_before_any_request(
    fake_minimax: FakeMiniMax, cli: Invoke, tmp_path: Path, args: list[str], field: str
) -> None:
    images = {
        "@first": _image(tmp_path, "first.png", 640, 360),
        "@last": _image(tmp_path, "last.png", 640, 360),
        "@tiny": _image(tmp_path, "tiny.png", 200, 200),
        "@wide": _image(tmp_path, "wide.png", 2000, 300),
    }
    argv = [images.get(a, a) for a in args]
    if "--out" not in argv:
        argv += ["--out", str(tmp_path / "clip.mp4")]

    result = cli("video", *argv)

    assert result.code == 2, result.output
    assert f"error: {field}:" in result.flat_stderr
    assert "Traceback" not in result.output
    assert requests_made(fake_minimax) == 0


def test_first_last_frame_video_with_the_last_frame_only(
    fake_minimax: FakeMiniMax, cli: Invoke, tmp_path: Path
) -> None:
    # The seed calls the first frame optional and the API schema requires only the last one.
    last = _image(tmp_path, "last.png", 640, 360)
    out = tmp_path / "clip.mp4"
    result = cli("video", "--prompt", "A cat", "--last", last, "--out", str(out))
    assert result.code == 0, result.output
    assert out.stat().st_size > 0
    body = fake_minimax.requests_for("video_generation")[-1].json
    assert "first_frame_image" not in body and body["model"] == "MiniMax-Hailuo-02"


BAD_TTS = {
    "text-too-long": (["x" * 10_000, "--out", "a.mp3"], "TEXT"),
    "empty-text": (["   ", "--out", "a.mp3"], "TEXT"),
    "speed-3": (["Hello", "--out", "a.mp3", "--speed", "3.0"], "--speed"),
    "missing-text-file": (["chapter1.txt", "--out", "a.mp3"], "TEXT"),
    "format-mismatch": (["Hello", "--out", "a.mp3", "--format", "wav"], "--format"),
    "unknown-suffix": (["Hello", "--out", "a.ogg"], "--out"),
    "unknown-model": (["Hello", "--out", "a.mp3", "--model", "speech-9"], "--model"),
}


@pytest.mark.parametrize(("args", "field"), BAD_TTS.values(), ids=BAD_TTS.keys())
def test_bad_tts_input_exits_2_before_any_request(
    fake_minimax: FakeMiniMax, cli: Invoke, args: list[str], field: str
) -> None:
    result = cli("tts", *args, "--voice", VOICE)

    assert result.code == 2, result.output
    assert f"error: {field}:" in result.flat_stderr
    assert "Traceback" not in result.output
    assert requests_made(fake_minimax) == 0
    assert not Path("a.mp3").exists()


# --- secrets ---------------------------------------------------------------------------------


def test_api_key_never_appears_in_output_even_verbose(
    fake_minimax: FakeMiniMax, sample: Path, tmp_path: Path
) -> None:
    runs = [
        run_storyreel("--verbose", "voice", "clone", str(sample), "--voice-id", VOICE),
        run_storyreel("--verbose", "voice", "list"),
        run_storyreel(
            "--verbose", "tts", "Hello.", "--voice", VOICE, "--out", str(tmp_path / "a.mp3")
        ),
        # A refused key: the error must not echo it either.
        run_storyreel("--verbose", "voice", "list", MINIMAX_API_KEY="sk-wrong-secret-0123456789"),
    ]

    assert [r.code for r in runs] == [0, 0, 0, 1], [r.stderr for r in runs]
    assert "DEBUG" in runs[2].stderr  # --verbose really logged
    for result in runs:
        assert fake_minimax.api_key not in result.output
        assert "sk-wrong-secret-0123456789" not in result.output
