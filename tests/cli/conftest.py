"""Two ways to run the real ``storyreel`` entry point: in this process (quick; for checks that
need no real process) and as a child process (``python -m storyreel.cli``: signals, --verbose)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from storyreel.cli.app import main
from tests.fakes import media
from tests.fakes.fake_minimax import FakeMiniMax


@dataclass(frozen=True)
class Result:
    code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    @property
    def flat_stderr(self) -> str:
        """stderr with rich's line wrapping undone."""
        return " ".join(self.stderr.split())


Invoke = Callable[..., Result]


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Invoke:
    """``cli("tts", ...)`` runs ``storyreel.cli.app.main`` here, as the console script does."""

    def invoke(*args: str) -> Result:
        capsys.readouterr()
        monkeypatch.setattr(sys, "argv", ["storyreel", *args])
        try:
            main()
        except SystemExit as done:
            code = done.code if isinstance(done.code, int) else 1
        else:  # pragma: no cover - main always exits
            code = 0
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return invoke


def subprocess_env(**extra: str) -> dict[str, str]:
    """This process's environment (the fakes' settings included) for a child ``storyreel``."""
    root = Path(__file__).resolve().parents[2]
    env = dict(os.environ, PYTHONUNBUFFERED="1", COLUMNS="200", **extra)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(root / "src"), env.get("PYTHONPATH")) if p)
    return env


def storyreel_argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "storyreel.cli", *args]


def run_storyreel(*args: str, timeout: float = 60, **env: str) -> Result:
    """Run the console entry point in a child process and wait for it."""
    done = subprocess.run(
        storyreel_argv(*args),
        capture_output=True,
        text=True,
        env=subprocess_env(**env),
        timeout=timeout,
        check=False,
    )
    return Result(done.returncode, done.stdout, done.stderr)


def interrupt_when(
    args: list[str],
    ready: Callable[[str], bool],
    workdir: Path,
    *,
    timeout: float = 20,
    sig: signal.Signals = signal.SIGINT,
    watch: str = "stdout",
) -> Result:
    """Start ``storyreel args``, send ``sig`` (Ctrl-C by default) once ``ready(output so far)``
    (of the stream ``watch`` names), wait."""
    out_path, err_path = workdir / "stdout.txt", workdir / "stderr.txt"
    # A runner started in the background may ignore SIGINT, and the child would inherit that;
    # a Python-level handler here becomes the default disposition in the child after exec.
    ignored = signal.getsignal(signal.SIGINT) == signal.SIG_IGN
    if ignored:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    with out_path.open("w") as out, err_path.open("w") as err:
        try:
            child = subprocess.Popen(
                storyreel_argv(*args), stdout=out, stderr=err, env=subprocess_env()
            )
        finally:
            if ignored:
                signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            deadline = time.monotonic() + timeout
            watched = out_path if watch == "stdout" else err_path
            while not ready(watched.read_text()):
                if child.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"never ready: {err_path.read_text()}")
                time.sleep(0.05)
            child.send_signal(sig)
            code = child.wait(timeout=timeout)
        finally:
            if child.poll() is None:
                child.kill()
                child.wait()
    return Result(code, out_path.read_text(), err_path.read_text())


def requests_made(fake: FakeMiniMax) -> int:
    return sum(fake.calls.values())


@pytest.fixture
def frames(tmp_path: Path) -> tuple[Path, Path]:
    """Two 640x360 PNG keyframes."""
    first, last = tmp_path / "first.png", tmp_path / "last.png"
    first.write_bytes(media.make_image(640, 360, "a lighthouse at dawn"))
    last.write_bytes(media.make_image(640, 360, "the lighthouse at night"))
    return first, last


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    """An 11 s MP3 voice sample."""
    path = tmp_path / "sample.mp3"
    path.write_bytes(media.make_tone(11.0))
    return path
