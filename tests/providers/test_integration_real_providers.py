"""The real providers against the fake OpenAI and MiniMax servers, on real local sockets."""

from __future__ import annotations

import asyncio
import base64
from pathlib import Path

import av
import pytest
from PIL import Image

from storyreel.config import Settings
from storyreel.errors import ProviderError
from storyreel.minimax import CAMERA_COMMANDS
from storyreel.providers.base import ClipRequest, Reference
from storyreel.providers.factory import build_providers
from storyreel.providers.minimax_speech import MiniMaxSpeechGen, ensure_cloned_voice
from storyreel.providers.minimax_video import MiniMaxVideoGen
from storyreel.providers.openai_images import OpenAIImageGen
from storyreel.providers.openai_planner import OpenAIPlanner
from tests.fakes import media
from tests.fakes.fake_minimax import FakeMiniMax
from tests.fakes.fake_openai import FakeOpenAI
from tests.fakes.fixtures import FakeAPIs

STORY = (
    "Mira the young fox finds a lantern in the snow. She carries it across the frozen river. "
    "At the far bank her grandmother waits with open arms."
)
FRAME_SIZE = (1280, 720)


def keyframes(folder: Path, count: int = 2) -> list[Path]:
    paths = []
    for k in range(count):
        path = folder / f"frame_{k}.png"
        Image.new("RGB", (1536, 1024), (40 + 60 * k, 90, 160)).save(path)
        paths.append(path)
    return paths


def clip_request(folder: Path, segment: int, prompt: str) -> ClipRequest:
    first, last = keyframes(folder)
    return ClipRequest(
        segment=segment,
        prompt=prompt,
        camera="Pan left",
        first_frame=first,
        last_frame=last,
        duration=6,
        resolution="768P",
    )


async def test_plan_from_fake_openai(fake_openai: FakeOpenAI) -> None:
    planner = OpenAIPlanner(Settings())
    try:
        plan = await planner.plan(STORY, segments=3)
    finally:
        await planner.aclose()

    assert len(plan.segments) == 3
    for seg in plan.segments:
        assert seg.camera in CAMERA_COMMANDS
        assert seg.video_prompt.startswith(f"[{seg.camera}]")
        assert seg.duration in (6, 10)
    for before, after in zip(plan.segments, plan.segments[1:], strict=False):
        assert after.first_frame_prompt == before.last_frame_prompt
    request = fake_openai.plan_requests()[0]
    assert request["model"] == "gpt-5.5"
    assert request["response_format"]["json_schema"]["strict"] is True
    assert fake_openai.accepted["chat/completions"] == 1


async def test_keyframes_n_plus_one_with_reference(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    images = OpenAIImageGen(Settings())
    prompts = ["a fox at dawn", "the fox on the ice", "the fox with her grandmother"]
    try:
        first = await images.draw(prompts[0], out=tmp_path / "f0.png", size=FRAME_SIZE, style="ink")
        rest = await asyncio.gather(
            *(
                images.draw(
                    p, out=tmp_path / f"f{k}.png", size=FRAME_SIZE, references=[Reference(first)]
                )
                for k, p in enumerate(prompts[1:], start=1)
            )
        )
    finally:
        await images.aclose()

    for path in [first, *rest]:
        with Image.open(path) as img:
            assert img.format == "PNG" and img.size == FRAME_SIZE
    assert fake_openai.images_made == 3
    assert fake_openai.accepted["images/generations"] == 1
    assert fake_openai.accepted["images/edits"] == 2


async def _draw_frame(model: str, tmp_path: Path) -> None:
    """One keyframe with ``model`` through the fake: it comes back at the frame's own size."""
    images = OpenAIImageGen(Settings(image_model=model))
    try:
        out = await images.draw("a fox", out=tmp_path / "f.png", size=FRAME_SIZE)
    finally:
        await images.aclose()
    with Image.open(out) as img:
        assert img.size == FRAME_SIZE


async def test_a_standard_size_model_keyframe_is_cropped(
    fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    await _draw_frame("gpt-image-1.5", tmp_path)
    assert fake_openai.image_requests[-1]["size"] == "1536x1024"


async def test_a_model_newer_than_the_catalogue_draws_by_its_family_rules(
    fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    fake_openai.add_model("gpt-image-3-nova")
    await _draw_frame("gpt-image-3-nova", tmp_path)
    assert fake_openai.image_requests[-1] == {
        "model": "gpt-image-3-nova",
        "size": "1536x1024",
        "quality": "medium",
    }


async def test_fl2v_clip_is_made_downloaded_and_plays(
    fake_minimax: FakeMiniMax, tmp_path: Path
) -> None:
    video = MiniMaxVideoGen(Settings())
    request = clip_request(tmp_path, 1, "the fox walks along the river")
    progress: list[str] = []
    try:
        task_id = await video.submit(request)
        out = await video.fetch(
            task_id, request, tmp_path / "clip.mp4", lambda f, s: progress.append(s)
        )
    finally:
        await video.aclose()

    with av.open(str(out)) as container:
        stream = container.streams.video[0]
        # Hailuo-02's 768P, whatever the keyframes' size (1536x1024 here), at 25 fps
        assert (stream.codec_context.width, stream.codec_context.height) == (1366, 768)
        assert stream.average_rate == 25
        assert container.duration is not None
        assert abs(container.duration / av.time_base - 6) < 0.5
    assert fake_minimax.accepted["video_generation"] == 1
    body = fake_minimax.video_requests()[0]
    assert body["model"] == "MiniMax-Hailuo-02"
    assert body["prompt"].startswith("[Pan left]")
    for field in ("first_frame_image", "last_frame_image"):
        head, data = body[field].split(",", 1)
        assert head == "data:image/jpeg;base64"
        assert base64.b64decode(data)[:3] == b"\xff\xd8\xff"
    assert progress[-1] == "Success" and "Downloading" in progress


async def test_content_policy_at_create_names_the_segment(
    fake_minimax: FakeMiniMax, tmp_path: Path
) -> None:
    fake_minimax.reject_prompts_containing("forbidden")
    video = MiniMaxVideoGen(Settings())
    try:
        with pytest.raises(ProviderError) as info:
            await video.submit(clip_request(tmp_path, 3, "a forbidden scene"))
    finally:
        await video.aclose()
    err = info.value
    assert (err.stage, err.provider, err.segment, err.code) == ("video", "minimax", 3, 1026)
    assert "segment 3" in str(err) and "content policy" in str(err)


async def test_task_failing_on_output_moderation_names_the_segment(
    fake_minimax: FakeMiniMax, tmp_path: Path
) -> None:
    fake_minimax.fail_tasks_containing("doomed")
    video = MiniMaxVideoGen(Settings())
    request = clip_request(tmp_path, 2, "a doomed scene")
    out = tmp_path / "clip.mp4"
    try:
        task_id = await video.submit(request)
        with pytest.raises(ProviderError) as info:
            await video.fetch(task_id, request, out)
    finally:
        await video.aclose()
    err = info.value
    assert (err.stage, err.segment, err.code) == ("video", 2, 1027)
    assert "generated video" in str(err) and "segment 2" in str(err)
    assert not out.exists()


async def test_speech_mp3_plays(fake_minimax: FakeMiniMax, tmp_path: Path) -> None:
    speech = MiniMaxSpeechGen(Settings())
    try:
        out = await speech.speak("Mira finds a lantern in the snow.", out=tmp_path / "n.mp3")
    finally:
        await speech.aclose()
    with av.open(str(out)) as container:
        assert container.streams.audio
        assert container.duration is not None and container.duration > 0
    body = fake_minimax.requests_for("t2a_v2")[0].json
    assert body["voice_setting"]["voice_id"] == "English_expressive_narrator"
    assert body["model"] == "speech-02-hd"


async def test_voice_is_cloned_once_and_then_reused(
    fake_minimax: FakeMiniMax, tmp_path: Path
) -> None:
    sample = tmp_path / "me.mp3"
    sample.write_bytes(await asyncio.to_thread(media.make_tone, 12.0))
    settings = Settings()
    providers = build_providers(settings, overrides={"video": "minimax", "speech": "minimax"})
    try:
        assert providers.minimax is not None
        for _ in range(2):
            assert await ensure_cloned_voice(providers.minimax, sample, "MiraNarrator1") == (
                "MiraNarrator1"
            )
        assert isinstance(providers.speech, MiniMaxSpeechGen)
        providers.speech.voice_id = "MiraNarrator1"
        await providers.speech.speak("Hello.", out=tmp_path / "n.mp3")
    finally:
        await providers.aclose()
    assert fake_minimax.accepted["voice_clone"] == 1
    assert fake_minimax.calls["files/upload"] == 1
    body = fake_minimax.requests_for("t2a_v2")[0].json
    assert body["voice_setting"]["voice_id"] == "MiraNarrator1"


async def test_factory_with_both_fakes_picks_real_providers(fake_apis: FakeAPIs) -> None:
    providers = build_providers(Settings())
    try:
        assert providers.describe() == {
            "planner": "openai (gpt-5.5)",
            "images": "openai (gpt-image-2.5-flare, medium)",
            "video": "minimax (MiniMax-Hailuo-02)",
            "speech": "minimax (speech-02-hd, voice English_expressive_narrator)",
        }
        plan = await providers.planner.plan(STORY, segments=2)
        assert len(plan.segments) == 2
    finally:
        await providers.aclose()
