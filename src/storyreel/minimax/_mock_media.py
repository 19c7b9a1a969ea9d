"""Real, playable media for mock mode, made locally with the imageio-ffmpeg binary.

Speech is a soft tone whose length follows the text (~2.5 words per second); a clip is a
crossfade from the first frame to the last (a still, or a test pattern without frames), H.264
yuv420p (TV range) at 25 fps like Hailuo-02's clips.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from pathlib import Path

import imageio_ffmpeg

from ._constants import DOWNLOAD
from ._exceptions import ServerError

WORDS_PER_SECOND = 2.5
FPS = 25  # Hailuo-02's clips' frame rate
_AUDIO_ARGS = {
    "mp3": ["-c:a", "libmp3lame", "-b:a", "128k", "-f", "mp3"],
    "wav": ["-c:a", "pcm_s16le", "-f", "wav"],
    "flac": ["-c:a", "flac", "-f", "flac"],
    "opus": ["-c:a", "libopus", "-f", "ogg"],
    "pcm": ["-c:a", "pcm_s16le", "-f", "s16le"],
    "pcmu_raw": ["-c:a", "pcm_mulaw", "-f", "mulaw"],
    "pcmu_wav": ["-c:a", "pcm_mulaw", "-f", "wav"],
}


def speech_seconds(text: str) -> float:
    return max(1.0, round(len(text.split()) / WORDS_PER_SECOND, 2))


async def _run(args: list[str], out: Path) -> bytes:
    argv = [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-nostdin", "-y", *args, str(out)]
    proc = await asyncio.create_subprocess_exec(
        *argv, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE
    )
    _, stderr = await proc.communicate()
    if proc.returncode != 0:
        tail = stderr.decode(errors="replace").strip().splitlines()[-3:]
        raise ServerError(f"mock media failed: {' | '.join(tail)}", endpoint=DOWNLOAD)
    return await asyncio.to_thread(out.read_bytes)


async def _in_tempdir(work: str) -> Path:
    return Path(await asyncio.to_thread(tempfile.mkdtemp, prefix=f"minimax-mock-{work}-"))


async def make_speech(seconds: float, fmt: str = "mp3", sample_rate: int = 32000) -> bytes:
    """A tone of ``seconds`` in ``fmt`` (mono)."""
    folder = await _in_tempdir("tts")
    try:
        source = f"sine=frequency=220:sample_rate={sample_rate}:duration={seconds:.3f}"
        args = ["-f", "lavfi", "-i", source, "-af", "volume=0.3", "-ac", "1"]
        return await _run([*args, *_AUDIO_ARGS.get(fmt, _AUDIO_ARGS["mp3"])], folder / "speech")
    finally:
        await asyncio.to_thread(shutil.rmtree, folder, True)


def _fit(label: str, index: int, width: int, height: int) -> str:
    return (
        f"[{index}:v]scale={width}:{height}:force_original_aspect_ratio=increase,"
        f"crop={width}:{height},setsar=1,format=yuv420p[{label}]"
    )


async def make_clip(
    seconds: float,
    width: int,
    height: int,
    first: bytes | None = None,
    last: bytes | None = None,
) -> bytes:
    """An H.264 mp4 of ``seconds`` at ``width``x``height``, 25 fps, without audio."""
    folder = await _in_tempdir("video")
    try:
        inputs: list[str] = []
        for name, data in (("first", first), ("last", last)):
            if data:
                path = folder / name
                await asyncio.to_thread(path.write_bytes, data)
                inputs += [
                    "-loop",
                    "1",
                    "-framerate",
                    str(FPS),
                    "-t",
                    f"{seconds}",
                    "-i",
                    str(path),
                ]
        if len(inputs) == 2 * 8:
            graph = (
                f"{_fit('a', 0, width, height)};{_fit('b', 1, width, height)};"
                f"[a][b]xfade=transition=fade:duration={seconds}:offset=0[v]"
            )
        elif inputs:
            graph = _fit("v", 0, width, height)
        else:
            inputs = [
                "-f",
                "lavfi",
                "-i",
                f"testsrc2=size={width}x{height}:rate={FPS}:duration={seconds}",
            ]
            graph = "[0:v]format=yuv420p[v]"
        args = [
            *inputs,
            "-filter_complex",
            graph,
            "-map",
            "[v]",
            "-t",
            f"{seconds}",
            "-r",
            str(FPS),
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-crf",
            "30",
            "-pix_fmt",
            "yuv420p",
            # TV range, as Hailuo's clips are (a JPEG keyframe would else make it yuvj420p).
            "-color_range",
            "tv",
            "-movflags",
            "+faststart",
            "-f",
            "mp4",
        ]
        return await _run(args, folder / "clip.mp4")
    finally:
        await asyncio.to_thread(shutil.rmtree, folder, True)
