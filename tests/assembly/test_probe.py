from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest

from storyreel.assembly.probe import probe
from storyreel.errors import MediaError


def test_probe_reads_streams(media: dict[str, Path]) -> None:
    info = probe(media["clip_wide"])
    assert info.duration == pytest.approx(2.0, abs=0.05)
    assert info.video is not None
    assert (info.video.codec, info.video.width, info.video.height) == ("h264", 384, 216)
    assert info.video.fps == Fraction(30)
    assert info.video.pix_fmt == "yuv420p"
    assert info.video.start_time == 0.0
    assert info.audio is None
    assert not info.decoded


def test_probe_audio(media: dict[str, Path]) -> None:
    info = probe(media["long"])
    assert info.video is None
    assert info.audio is not None
    assert (info.audio.codec, info.audio.sample_rate, info.audio.channels) == (
        "pcm_s16le",
        22050,
        1,
    )
    assert info.audio.duration == pytest.approx(2.5, abs=0.01)


def test_probe_decode_counts_frames(media: dict[str, Path]) -> None:
    info = probe(media["clip_wide"], decode=True)
    assert info.decoded
    assert info.video is not None and info.video.frames == 60


def test_missing_empty_and_garbage_files_name_the_file(tmp_path: Path) -> None:
    empty = tmp_path / "empty.mp4"
    empty.touch()
    garbage = tmp_path / "garbage.mp4"
    garbage.write_bytes(b"not a video at all" * 100)
    for path in (tmp_path / "missing.mp4", empty, garbage):
        with pytest.raises(MediaError, match=path.name):
            probe(path)
