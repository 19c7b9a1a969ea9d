from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from storyreel.assembly.storyboard import render_storyboard, thumb_size
from storyreel.errors import MediaError


@pytest.fixture
def frames(tmp_path: Path) -> list[Path]:
    colours = [(200, 60, 40), (40, 160, 60), (40, 70, 200)]
    paths = []
    for n, colour in enumerate(colours):
        path = tmp_path / f"frame_{n}.png"
        Image.new("RGB", (1536, 864), colour).save(path)
        paths.append(path)
    return paths


def test_portrait_thumbnails_keep_their_shape(tmp_path: Path) -> None:
    # A 9:16 frame gets a 180x320 thumbnail: whole, not a sliver padded into a 16:9 box.
    assert thumb_size((720, 1280)) == (180, 320)
    assert thumb_size((720, 720)) == (320, 320)
    frame = tmp_path / "frame.png"
    Image.new("RGB", (720, 1280), (200, 60, 40)).save(frame)
    board = render_storyboard([(frame, frame)], ["Up the tower."], tmp_path / "s.png", "Tall")
    with Image.open(board) as image:
        red = [
            (x, y)
            for x in range(0, image.width, 2)
            for y in range(0, image.height, 2)
            if image.getpixel((x, y))[:3] == (200, 60, 40)
        ]
    heights = {y for _, y in red}
    assert max(heights) - min(heights) >= 316  # the thumbnail is 320 tall


def test_one_row_per_segment(frames: list[Path], tmp_path: Path) -> None:
    pairs = [(frames[0], frames[1]), (frames[1], frames[2])]
    captions = ["A long narration " * 12, "Short."]
    one = render_storyboard(pairs[:1], captions[:1], tmp_path / "one.png", "Title")
    two = render_storyboard(
        pairs, captions, tmp_path / "storyboard.png", "The Clockmaker",
        durations=[6.0, 10.0], cameras=["Zoom in", "Pan left"],
    )  # fmt: skip
    thumb = thumb_size((1536, 864))
    with Image.open(one) as a, Image.open(two) as b:
        assert a.width == b.width >= 2 * thumb[0]
        assert b.height >= a.height + thumb[1]
        # the thumbnails are there, in order: first frame then last frame of each segment
        row_colours = {
            b.getpixel((x, y))[:3] for x in range(0, b.width, 7) for y in range(0, b.height, 7)
        }
    assert {(200, 60, 40), (40, 160, 60), (40, 70, 200)} <= row_colours
    assert sorted(
        p.name for p in tmp_path.iterdir() if p.suffix == ".png" and "frame" not in p.name
    ) == [
        "one.png",
        "storyboard.png",
    ]


def test_video_files_give_their_first_and_last_frames(
    media: dict[str, Path], tmp_path: Path
) -> None:
    out = render_storyboard(
        [(media["clip"], media["clip"])], ["Test card."], tmp_path / "s.png", "T"
    )
    assert out.is_file()


def test_missing_frame_is_named(tmp_path: Path) -> None:
    with pytest.raises(MediaError, match=r"gone\.png"):
        render_storyboard(
            [(tmp_path / "gone.png", tmp_path / "gone.png")], ["x"], tmp_path / "s.png", "T"
        )
    with pytest.raises(ValueError):
        render_storyboard([], ["x"], tmp_path / "s.png", "T")
