"""Mock mode end to end: no request leaves the process, media are real and playable."""

from __future__ import annotations

import base64
from pathlib import Path

import av
import pytest
import respx

from storyreel.minimax import AsyncMiniMax, DuplicateVoiceError, MiniMaxSettings

from .conftest import Sleeps, png_bytes


def probe(path: Path) -> tuple[float, dict[str, object]]:
    with av.open(str(path)) as container:
        seconds = float(container.duration or 0) / 1_000_000
        info: dict[str, object] = {}
        if container.streams.video:
            stream = container.streams.video[0]
            info.update(codec=stream.codec_context.name, width=stream.width, height=stream.height)
            frames = sum(1 for _ in container.decode(video=0))
            info["frames"] = frames
        elif container.streams.audio:
            stream = container.streams.audio[0]
            info.update(codec=stream.codec_context.name, rate=stream.rate)
            info["decoded"] = sum(f.samples for f in container.decode(audio=0))
    return seconds, info


def edge_frames(path: Path) -> tuple[list[float], list[float]]:
    """Mean RGB of the first and the last frame."""
    first = last = None
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            if first is None:
                first = frame.to_ndarray(format="rgb24")
            last = frame
    assert first is not None and last is not None
    final = last.to_ndarray(format="rgb24")
    return (
        [float(first[..., i].mean()) for i in range(3)],
        [float(final[..., i].mean()) for i in range(3)],
    )


@pytest.fixture
def mocked(monkeypatch: pytest.MonkeyPatch) -> MiniMaxSettings:
    monkeypatch.setenv("MINIMAX_MOCK_MODE", "true")
    monkeypatch.setenv("MINIMAX_API_KEY", "would-be-real-key")
    return MiniMaxSettings(_env_file=None)  # type: ignore[call-arg]


@pytest.mark.slow
async def test_mock_end_to_end(mocked: MiniMaxSettings, tmp_path: Path, sample: Path) -> None:
    sleeps = Sleeps()
    with respx.mock(assert_all_called=False) as network:
        async with AsyncMiniMax(mocked, sleep=sleeps) as mm:
            assert mm.mocked
            cloned = await mm.clone_voice(
                sample, "Narrator01", text="Preview line.", model="speech-02-hd"
            )
            assert cloned.demo_audio and cloned.demo_audio.startswith("https://")
            with pytest.raises(DuplicateVoiceError):
                await mm.clone_voice(sample, "Narrator01")
            assert "Narrator01" in [v.voice_id for v in await mm.list_voices("voice_cloning")]

            text = " ".join(["word"] * 20)  # ~8 s at 2.5 words/s
            speech = await mm.text_to_audio(text, "Narrator01")
            mp3 = tmp_path / "speech.mp3"
            mp3.write_bytes(speech.audio)
            seconds, info = probe(mp3)
            assert str(info["codec"]).startswith("mp3") and info["decoded"]
            assert seconds == pytest.approx(8, abs=0.3) and speech.duration_ms == 8000

            streamed = await mm.text_to_audio(text, "Narrator01", stream=True)
            assert streamed.audio == speech.audio  # not doubled
            by_url = await mm.text_to_audio(
                "Hello there.", "Narrator01", output_format="url", format="wav"
            )
            assert by_url.url and by_url.audio[:4] == b"RIFF"

            first = tmp_path / "first.png"
            first.write_bytes(png_bytes(800, 450, color="red"))
            last = (
                "data:image/png;base64,"
                + base64.b64encode(png_bytes(800, 450, color="blue")).decode()
            )
            task_id = await mm.generate_video_fl2v("[Zoom in] red to blue", first, last, duration=6)
            seen: list[str] = []
            task = await mm.wait_for_video(task_id, on_status=lambda t: seen.append(t.status))
            assert seen == ["Preparing", "Queueing", "Processing", "Success"]
            clip = await mm.download_file(task.file_id or "", tmp_path / "clip.mp4")
            seconds, info = probe(clip)
            assert info["codec"] == "h264" and (info["width"], info["height"]) == (1366, 768)
            assert (task.video_width, task.video_height) == (1366, 768)
            assert seconds == pytest.approx(6, abs=0.1) and info["frames"] == 150  # 25 fps
            first_rgb, last_rgb = edge_frames(clip)
            assert first_rgb[0] > 200 > 50 > first_rgb[2]  # starts on the red first frame
            assert last_rgb[2] > 200 > 50 > last_rgb[0]  # ends on the blue last frame
            assert sleeps.calls == [0.0, 0.0, 0.0]  # mock tasks need no real waiting
    assert network.calls.call_count == 0  # nothing left the process


@pytest.mark.slow
async def test_mock_text_to_video_test_pattern(tmp_path: Path) -> None:
    async with AsyncMiniMax(sleep=Sleeps()) as mm:  # no key at all -> mocked
        assert mm.mocked
        task_id = await mm.generate_video("a cat", model="T2V-01")
        task = await mm.wait_for_video(task_id)
        info = await mm.retrieve_file(task.file_id or "")
        assert info.bytes and info.filename == "output_aigc.mp4"
        clip = await mm.download_file(info.file_id, tmp_path / "c.mp4")
        seconds, probed = probe(clip)
        assert (probed["width"], probed["height"]) == (1280, 720) and seconds == pytest.approx(
            6, abs=0.1
        )


async def test_mock_rejects_like_the_service() -> None:
    from storyreel.minimax import InvalidRequestError

    async with AsyncMiniMax(sleep=Sleeps()) as mm:
        with pytest.raises(InvalidRequestError) as info:
            await mm.voice_clone("123456", "Narrator01")  # never uploaded
        assert info.value.code == 20132
        with pytest.raises(InvalidRequestError):
            await mm.query_video_status("999")
        with pytest.raises(InvalidRequestError):
            await mm.retrieve_file("999")


def test_fixtures_are_packaged() -> None:
    from storyreel.minimax._mock import fixtures

    data = fixtures()
    for key in (
        "files_upload",
        "voice_clone",
        "get_voice",
        "t2a_v2",
        "video_generation",
        "files_retrieve",
    ):
        assert data[key]["base_resp"]["status_code"] == 0
