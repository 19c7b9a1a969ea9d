"""Offline clips: argv/filter builder per camera, job ids, and one real 512P render probed."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from storyreel.assembly.spec import RESOLUTIONS
from storyreel.errors import ProviderError, UsageError
from storyreel.minimax import CAMERA_COMMANDS
from storyreel.providers.base import ClipRequest, VideoGen
from storyreel.providers.offline import OfflineImageGen, OfflineVideoGen
from storyreel.providers.offline._motion import FPS, clip_argv, clip_filter, known_moves, move_for


def leftovers(folder: Path) -> list[Path]:
    """Work-in-progress files an atomic write must not leave behind."""
    return list(folder.glob(".*part*"))


@pytest.fixture(scope="module")
def frames(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    import asyncio

    folder = tmp_path_factory.mktemp("frames")
    gen = OfflineImageGen()
    size = RESOLUTIONS["512P"]

    async def both() -> tuple[Path, Path]:
        a = await gen.draw("Dawn over the quiet harbour.", out=folder / "a.png", size=size)
        b = await gen.draw("Night falls over the city.", out=folder / "b.png", size=size)
        return a, b

    return asyncio.run(both())


def request(frames: tuple[Path, Path], **changes: object) -> ClipRequest:
    fields: dict[str, object] = {
        "segment": 1,
        "prompt": "[Zoom in] The camera zooms in.",
        "camera": "Zoom in",
        "first_frame": frames[0],
        "last_frame": frames[1],
        "duration": 6,
        "resolution": "512P",
    }
    fields.update(changes)
    return ClipRequest(**fields)  # type: ignore[arg-type]


def test_is_a_video_gen() -> None:
    assert isinstance(OfflineVideoGen(), VideoGen)


def test_every_camera_command_has_its_own_move() -> None:
    assert set(known_moves()) == set(CAMERA_COMMANDS)
    moves = {c: move_for(c) for c in CAMERA_COMMANDS}
    # Distinct commands look distinct, except the official synonyms for the same move.
    assert len({m for c, m in moves.items() if c != "Static shot"}) >= 18
    assert move_for("Zoom in").scale[1] > move_for("Zoom in").scale[0]
    assert move_for("Zoom out").scale[1] < move_for("Zoom out").scale[0]
    assert move_for("Pan left").x[1] < move_for("Pan left").x[0]
    assert move_for("Tilt up").y[1] < move_for("Tilt up").y[0]
    assert move_for("Shake").shake > 0
    assert move_for("no such camera") == move_for("Static shot")


def test_filter_only_pays_for_a_per_frame_scale_when_zooming() -> None:
    pan = clip_filter(move_for("Pan right"), (1280, 720), 6)
    zoom = clip_filter(move_for("Zoom in"), (1280, 720), 6)
    assert "eval=frame" not in pan and "eval=frame" in zoom
    assert "zoompan" not in zoom and "rotate" not in zoom
    assert "xfade=transition=fade" in pan
    with_band = clip_filter(move_for("Pan right"), (1280, 720), 6, caption=0.24)
    assert "vstack" in with_band and "vstack" not in pan


def test_argv_names_output_codec_size_and_length(tmp_path: Path) -> None:
    argv = clip_argv(
        Path("a.png"),
        Path("b.png"),
        tmp_path / "c.mp4",
        camera="Tilt up",
        size=(912, 512),
        duration=10,
    )
    assert argv[:4] == ["-i", "a.png", "-i", "b.png"]
    assert argv[argv.index("-frames:v") + 1] == str(10 * FPS)
    assert argv[argv.index("-c:v") + 1] == "libx264"
    assert argv[argv.index("-pix_fmt") + 1] == "yuv420p"
    assert "crop=912:" in argv[argv.index("-filter_complex") + 1]
    assert argv[-1] == str(tmp_path / "c.mp4")


async def test_job_id_is_deterministic_and_names_the_request(frames: tuple[Path, Path]) -> None:
    gen = OfflineVideoGen()
    job = await gen.submit(request(frames))
    assert job.startswith("offline-")
    assert job == await gen.submit(request(frames))
    assert job != await gen.submit(request(frames, camera="Pan left"))
    assert job != await gen.submit(request(frames, first_frame=frames[1], last_frame=frames[0]))


async def test_bad_requests(frames: tuple[Path, Path], tmp_path: Path) -> None:
    gen = OfflineVideoGen()
    with pytest.raises(UsageError):
        await gen.submit(request(frames, resolution="4K"))
    with pytest.raises(ProviderError):
        await gen.submit(request(frames, first_frame=tmp_path / "missing.png"))
    with pytest.raises(ProviderError):
        await gen.fetch("offline-0000", request(frames), tmp_path / "c.mp4")


async def test_fetch_renders_a_clip_that_moves_from_first_to_last(
    frames: tuple[Path, Path], tmp_path: Path
) -> None:
    gen = OfflineVideoGen()
    req = request(frames)
    seen: list[float] = []
    out = await gen.fetch(
        await gen.submit(req), req, tmp_path / "clip.mp4", lambda f, s: seen.append(f)
    )
    assert out == tmp_path / "clip.mp4"
    assert not leftovers(tmp_path)
    assert seen[0] == 0.0 and seen[-1] == 1.0 and seen == sorted(seen)

    with av.open(str(out)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264"
        assert (stream.width, stream.height) == RESOLUTIONS["512P"]
        assert stream.average_rate == Fraction(FPS)
        pictures = [f.to_ndarray(format="rgb24") for f in container.decode(stream)]
        assert container.duration is not None
        duration = container.duration / av.time_base
        pix_fmt = stream.codec_context.pix_fmt
    assert pix_fmt == "yuv420p"
    assert len(pictures) == 6 * FPS
    assert abs(duration - 6) <= 1 / FPS

    def like(picture: np.ndarray, still: Path, rows: slice = slice(None)) -> float:
        from PIL import Image

        with Image.open(still) as image:
            target = np.asarray(image.convert("RGB"), dtype=np.float32)
        return float(np.abs(picture[rows].astype(np.float32) - target[rows]).mean())

    # Starts on the first keyframe (unzoomed), ends near the last one (zoomed in on it).
    assert like(pictures[0], frames[0]) < 6
    assert like(pictures[-1], frames[1]) < like(pictures[-1], frames[0])
    # Keyframes carry no caption band now, so the whole picture moves (a band in frames an
    # earlier version drew is still held still: clip_filter's caption share, tested above).
    # And something actually moves between consecutive frames mid-clip.
    assert np.abs(pictures[80].astype(int) - pictures[81].astype(int)).mean() > 0.2
    # How fast it renders is measured in bench/bench_offline_render.py, not asserted here.
