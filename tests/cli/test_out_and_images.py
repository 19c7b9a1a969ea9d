"""Hostile-input finding 10: file-system problems and bad images are one line, exit 2."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

from tests.cli.conftest import Invoke, Result


def _one_line_exit_2(result: Result) -> str:
    assert result.code == 2, result.output
    assert "Traceback" not in result.output
    # One error line (a mock-mode notice may stand before it).
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.stderr
    return errors[0]


def test_out_naming_an_existing_file_is_one_line_exit_2(cli: Invoke, tmp_path: Path) -> None:
    taken = tmp_path / "taken.txt"
    taken.write_text("not a folder")
    text = _one_line_exit_2(cli("plan", "A fox runs home.", "--offline", "--out", str(taken)))
    assert "--out" in text and "is a file" in text
    assert taken.read_text() == "not a folder"  # nothing lost


def test_out_that_cannot_be_created_is_one_line_exit_2(cli: Invoke, tmp_path: Path) -> None:
    # Root ignores permission bits, so the unwritable place is a path below a *file*: nobody can
    # create it, and the user meets the same OSError as with a read-only folder.
    blocker = tmp_path / "blocker"
    blocker.write_text("")
    out = blocker / "job"
    text = _one_line_exit_2(cli("plan", "A fox runs home.", "--offline", "--out", str(out)))
    assert "--out" in text and "cannot create" in text


def _png_header_claiming(width: int, height: int) -> bytes:
    """A PNG whose header claims ``width`` x ``height`` pixels, with almost no pixel data."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\x00"))
        + chunk(b"IEND", b"")
    )


def test_an_image_claiming_60000_square_pixels_is_a_validation_error(
    cli: Invoke, tmp_path: Path
) -> None:
    bomb = tmp_path / "bomb.png"
    bomb.write_bytes(_png_header_claiming(60000, 60000))
    result = cli(
        "video", "--prompt", "a fox", "--first", str(bomb), "--out", str(tmp_path / "c.mp4")
    )
    text = _one_line_exit_2(result)
    assert "--first" in text and "pixels" in text, text
    assert not (tmp_path / "c.mp4").exists()
