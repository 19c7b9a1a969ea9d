"""Small generated media for the assembly tests: low resolution, a few seconds, made once."""

from __future__ import annotations

import array
import asyncio
import subprocess
from pathlib import Path

import av
import pytest

from storyreel.assembly.ffmpeg import ffmpeg_exe
from storyreel.assembly.segment import mux_segment
from storyreel.assembly.spec import OutputSpec

SPEC = OutputSpec(width=320, height=180, fps=24, preset="ultrafast")


def ffmpeg(*args: str) -> None:
    subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-nostdin", "-y", *args], check=True
    )


def make_clip(path: Path, size: str = "320x180", fps: int = 24, seconds: float = 2.0) -> Path:
    ffmpeg(
        "-f", "lavfi", "-i", f"testsrc=s={size}:r={fps}:d={seconds}",
        "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(path),
    )  # fmt: skip
    return path


def make_speech(path: Path, seconds: float, rate: int = 22050) -> Path:
    # a 440 Hz tone stands in for a voice: loud enough for loudnorm to have something to do
    ffmpeg("-f", "lavfi", "-i", f"sine=f=440:r={rate}:d={seconds}", "-c:a", "pcm_s16le", str(path))
    return path


def audio_rms(path: Path, start: float, end: float) -> float:
    """RMS of the first audio channel between ``start`` and ``end`` seconds (decoded)."""
    total, count = 0.0, 0
    with av.open(str(path)) as container:
        for frame in container.decode(audio=0):
            assert frame.format.name == "fltp"
            t0 = float(frame.pts * frame.time_base)
            samples = array.array("f", bytes(frame.planes[0]))[: frame.samples]
            for i, value in enumerate(samples):
                if start <= t0 + i / frame.sample_rate < end:
                    total += value * value
                    count += 1
    return (total / count) ** 0.5 if count else 0.0


@pytest.fixture(scope="session")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("media")
    return {
        "clip": make_clip(d / "clip.mp4"),  # exactly SPEC: copyable
        "clip_wide": make_clip(d / "clip_wide.mp4", size="384x216", fps=30),
        "clip_32": make_clip(d / "clip_32.mp4", size="300x200", fps=25),  # 3:2, like 1536x1024
        "short": make_speech(d / "short.wav", 0.8),
        "long": make_speech(d / "long.wav", 2.5),
    }


@pytest.fixture(scope="session")
def segments(media: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Three normalised segments (2.0 s, 3.333 s, 2.0 s) made once for the concat tests."""
    d = tmp_path_factory.mktemp("segments")

    async def build() -> list[Path]:
        out = []
        for n, (clip, speech) in enumerate(
            [("clip_wide", "short"), ("clip_wide", "long"), ("clip_32", "short")]
        ):
            path = d / f"segment_{n}.mp4"
            await mux_segment(media[clip], media[speech], path, SPEC)
            out.append(path)
        return out

    return asyncio.run(build())


def names(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())
