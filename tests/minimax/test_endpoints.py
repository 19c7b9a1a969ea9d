"""Each endpoint: what is sent and how real (and seed) answers are read."""

from __future__ import annotations

import base64
import contextlib
import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import respx

from storyreel.minimax import (
    OFFICIAL_CAMERA_COMMANDS,
    AsyncMiniMax,
    MiniMaxSettings,
    MiniMaxValidationError,
    ServerError,
)
from storyreel.minimax._camera import bracketed_commands

from .conftest import Sleeps, fail, ok, png_bytes

MP3 = b"ID3\x04\x00fake-mp3-frames" * 8


def sent(route: respx.Route) -> dict[str, object]:
    body: dict[str, object] = json.loads(route.calls.last.request.content)
    return body


async def test_upload_file_multipart(
    client: AsyncMiniMax, router: respx.MockRouter, sample: Path
) -> None:
    route = router.post("/files/upload").mock(
        return_value=ok(
            file={
                "file_id": 362069085524212,
                "bytes": 192044,
                "created_at": 1700469398,
                "filename": "sample.wav",
                "purpose": "voice_clone",
            }
        )
    )
    uploaded = await client.upload_file(sample)
    assert uploaded.file_id == "362069085524212" and uploaded.bytes == 192044
    request = route.calls.last.request
    assert request.headers["content-type"].startswith("multipart/form-data")
    assert b'name="purpose"' in request.content and b"voice_clone" in request.content
    assert b'filename="sample.wav"' in request.content and b"audio/wav" in request.content


async def test_upload_seed_shape_and_bytes(client: AsyncMiniMax, router: respx.MockRouter) -> None:
    router.post("/files/upload").mock(return_value=ok(file={"file_id": "77"}))
    uploaded = await client.upload_file(b"data", purpose="prompt_audio", filename="p.mp3")
    assert uploaded.file_id == "77" and uploaded.bytes is None


async def test_voice_clone_sends_int_file_id(
    client: AsyncMiniMax, router: respx.MockRouter
) -> None:
    route = router.post("/voice_clone").mock(
        return_value=ok(input_sensitive=False, input_sensitive_type=0, demo_audio="")
    )
    result = await client.voice_clone(
        "362069085524212",
        "Narrator01",
        need_noise_reduction=True,
        accuracy=0.8,
        text_validation="hi",
    )
    body = sent(route)
    assert body["file_id"] == 362069085524212 and isinstance(body["file_id"], int)
    assert body["need_noise_reduction"] is True and body["need_volume_normalization"] is False
    assert body["accuracy"] == 0.8 and "text" not in body and "model" not in body
    assert result.voice_id == "Narrator01" and result.demo_audio is None
    assert result.input_sensitive is False


async def test_voice_clone_seed_response_and_object_sensitive(
    client: AsyncMiniMax, router: respx.MockRouter
) -> None:
    router.post("/voice_clone").mock(
        side_effect=[
            httpx.Response(200, json={"base_resp": {"status_code": 0, "status_msg": "success"}}),
            ok(input_sensitive={"type": 3}, demo_audio="https://cdn.example.com/demo.mp3"),
        ]
    )
    first = await client.voice_clone(1, "Narrator01")
    assert first.voice_id == "Narrator01" and not first.input_sensitive
    second = await client.voice_clone(1, "Narrator02", text="Hello there.", model="speech-02")
    assert second.input_sensitive and second.input_sensitive_type == 3
    assert second.demo_audio == "https://cdn.example.com/demo.mp3"


async def test_list_voices(client: AsyncMiniMax, router: respx.MockRouter) -> None:
    route = router.post("/get_voice").mock(
        return_value=ok(
            system_voice=[
                {"voice_id": "male-qn-qingse", "voice_name": "Youth", "description": ["bright"]}
            ],
            voice_cloning=[
                {"voice_id": "Narrator01", "description": "mine", "created_time": "2025-01-01"}
            ],
            voice_generation=None,
        )
    )
    voices = await client.list_voices()
    assert sent(route) == {"voice_type": "all"}
    assert [(v.voice_id, v.kind) for v in voices] == [
        ("male-qn-qingse", "system"),
        ("Narrator01", "voice_cloning"),
    ]
    assert voices[0].name == "Youth" and voices[1].description == ["mine"]


async def test_t2a_hex_request_and_response(client: AsyncMiniMax, router: respx.MockRouter) -> None:
    route = router.post("/t2a_v2").mock(
        return_value=ok(
            data={"audio": MP3.hex(), "status": 2},
            extra_info={"audio_length": 11124, "audio_sample_rate": 32000, "audio_format": "mp3"},
            trace_id="t-1",
        )
    )
    result = await client.text_to_audio(
        "Hello world.", "Narrator01", speed=1.2, vol=2, pitch=-3, emotion="calm", bitrate=128000
    )
    assert result.audio == MP3 and result.format == "mp3"
    assert result.duration_ms == 11124 and result.sample_rate == 32000 and result.trace_id == "t-1"
    body = sent(route)
    assert body["model"] == "speech-02-hd" and body["stream"] is False
    assert body["voice_setting"] == {
        "voice_id": "Narrator01",
        "speed": 1.2,
        "vol": 2,
        "pitch": -3,
        "emotion": "calm",
    }
    assert body["audio_setting"] == {"format": "mp3", "bitrate": 128000}
    assert "output_format" not in body and "stream_options" not in body
    assert "language_boost" not in body  # not sent unless the language is known
    assert "audio" not in repr(result.audio[:0]) or MP3.hex() not in repr(result)


async def test_t2a_language_boost_is_sent_and_checked(
    client: AsyncMiniMax, router: respx.MockRouter
) -> None:
    route = router.post("/t2a_v2").mock(return_value=ok(data={"audio": MP3.hex(), "status": 2}))
    await client.text_to_audio("你好。", "Narrator01", language_boost="Chinese")
    assert sent(route)["language_boost"] == "Chinese"
    with pytest.raises(MiniMaxValidationError, match="language_boost"):
        await client.text_to_audio("Hi.", "Narrator01", language_boost="Klingon")
    assert route.call_count == 1  # refused before sending


async def test_t2a_seed_base64_without_base_resp(
    client: AsyncMiniMax, router: respx.MockRouter
) -> None:
    route = router.post("/t2a_v2").mock(
        return_value=httpx.Response(200, json={"data": {"audio": base64.b64encode(MP3).decode()}})
    )
    result = await client.text_to_audio("Hi.", "Narrator01", model="speech-01", format="flac")
    assert result.audio == MP3 and result.format == "flac"
    assert sent(route)["model"] == "speech-01-turbo"


async def test_t2a_binary_audio_body(client: AsyncMiniMax, router: respx.MockRouter) -> None:
    router.post("/t2a_v2").mock(
        return_value=httpx.Response(200, content=MP3, headers={"content-type": "audio/mpeg"})
    )
    result = await client.text_to_audio("Hi.", "Narrator01", format="wav")
    assert result.audio == MP3 and result.format == "mp3"


async def test_t2a_url_mode_fetches_audio(client: AsyncMiniMax, router: respx.MockRouter) -> None:
    url = "https://cdn.example.com/speech/abc.mp3"
    route = router.post("/t2a_v2").mock(return_value=ok(data={"audio": url, "status": 2}))
    cdn = router.get(url).mock(side_effect=[httpx.Response(503), httpx.Response(200, content=MP3)])
    result = await client.text_to_audio("Hi.", "Narrator01", output_format="url")
    assert sent(route)["output_format"] == "url"
    assert result.url == url and result.audio == MP3 and cdn.call_count == 2


async def test_t2a_url_mode_refused(client: AsyncMiniMax, router: respx.MockRouter) -> None:
    url = "https://cdn.example.com/speech/gone.mp3"
    router.post("/t2a_v2").mock(return_value=ok(data={"audio": url}))
    router.get(url).mock(return_value=httpx.Response(403))
    with pytest.raises(Exception, match="audio URL refused"):
        await client.text_to_audio("Hi.", "Narrator01", output_format="url")


def sse(*chunks: dict[str, object]) -> httpx.Response:
    text = ": keep-alive\n\n" + "".join(f"data: {json.dumps(c)}\n\n" for c in chunks)
    return httpx.Response(200, text=text, headers={"content-type": "text/event-stream"})


def chunk(audio: bytes, status: int, **extra: object) -> dict[str, object]:
    return {
        "data": {"audio": audio.hex(), "status": status},
        "base_resp": {"status_code": 0},
        **extra,
    }


async def test_t2a_stream_skips_aggregated_final_chunk(
    client: AsyncMiniMax, router: respx.MockRouter
) -> None:
    parts = [MP3[:40], MP3[40:90], MP3[90:]]
    route = router.post("/t2a_v2").mock(
        return_value=sse(
            chunk(parts[0], 1, trace_id="s-1"),
            chunk(parts[1], 1),
            chunk(parts[2], 1),
            chunk(MP3, 2, extra_info={"audio_length": 900, "audio_format": "mp3"}),
        )
    )
    result = await client.text_to_audio("Hi.", "Narrator01", stream=True)
    assert result.audio == MP3  # not doubled
    assert result.duration_ms == 900 and result.trace_id == "s-1"
    body = sent(route)
    assert body["stream"] is True and body["stream_options"] == {"exclude_aggregated_audio": True}


async def test_t2a_stream_with_excluded_aggregate(
    client: AsyncMiniMax, router: respx.MockRouter
) -> None:
    router.post("/t2a_v2").mock(
        return_value=sse(chunk(MP3[:50], 1), chunk(MP3[50:], 1), chunk(b"", 2))
    )
    assert (await client.text_to_audio("Hi.", "Narrator01", stream=True)).audio == MP3


async def test_t2a_stream_only_final_chunk(client: AsyncMiniMax, router: respx.MockRouter) -> None:
    router.post("/t2a_v2").mock(return_value=sse(chunk(MP3, 2)))
    assert (await client.text_to_audio("Hi.", "Narrator01", stream=True)).audio == MP3


async def test_t2a_stream_error_inside_stream(
    client: AsyncMiniMax, router: respx.MockRouter
) -> None:
    bad = {
        "data": None,
        "base_resp": {"status_code": 1042, "status_msg": "invisible character ratio limit"},
    }
    router.post("/t2a_v2").mock(return_value=sse(chunk(MP3[:10], 1), bad))
    with pytest.raises(Exception, match="invisible") as info:
        await client.text_to_audio("Hi.", "Narrator01", stream=True)
    assert getattr(info.value, "code", None) == 1042


async def test_t2a_stream_garbage(client: AsyncMiniMax, router: respx.MockRouter) -> None:
    router.post("/t2a_v2").mock(
        return_value=httpx.Response(
            200, text="data: {not json\n\n", headers={"content-type": "text/event-stream"}
        )
    )
    with pytest.raises(ServerError, match="bad stream chunk"):
        await client.text_to_audio("Hi.", "Narrator01", stream=True)


async def test_t2a_stream_without_audio(client: AsyncMiniMax, router: respx.MockRouter) -> None:
    router.post("/t2a_v2").mock(return_value=sse(chunk(b"", 2)))
    with pytest.raises(ServerError, match="without audio"):
        await client.text_to_audio("Hi.", "Narrator01", stream=True)


@pytest.mark.parametrize(
    "answer",
    [
        ok(data=None),
        ok(data={"audio": "zz-not-audio!"}),
        httpx.Response(200, content=b"", headers={"content-type": "audio/mpeg"}),
    ],
)
async def test_t2a_empty_or_bad_audio(
    client: AsyncMiniMax, router: respx.MockRouter, answer: httpx.Response
) -> None:
    router.post("/t2a_v2").mock(return_value=answer)
    with pytest.raises(ServerError):
        await client.text_to_audio("Hi.", "Narrator01")


async def test_generate_video_fl2v_body(
    client: AsyncMiniMax, router: respx.MockRouter, image: Path
) -> None:
    route = router.post("/video_generation").mock(return_value=ok(task_id=106916112212032))
    jpeg = "data:image/png;base64," + base64.b64encode(png_bytes(800, 600, "JPEG")).decode()
    task_id = await client.generate_video_fl2v(
        "[Zoom in] A mountain at sunset",
        image,
        jpeg,
        resolution="1080P",
        callback_url="https://example.com/hook",
    )
    assert task_id == "106916112212032"
    body = sent(route)
    assert body["model"] == "MiniMax-Hailuo-02" and body["duration"] == 6
    assert body["resolution"] == "1080P" and body["prompt_optimizer"] is True
    assert str(body["first_frame_image"]).startswith("data:image/png;base64,")
    # mislabelled data URL is relabelled from its content
    assert str(body["last_frame_image"]).startswith("data:image/jpeg;base64,")
    assert body["callback_url"] == "https://example.com/hook"


async def test_generate_video_t2v_and_01_series(
    client: AsyncMiniMax, router: respx.MockRouter
) -> None:
    route = router.post("/video_generation").mock(return_value=ok(task_id="9"))
    await client.generate_video("A cat [Pan left,Pedestal up]", duration=10)
    assert sent(route)["duration"] == 10 and "first_frame_image" not in sent(route)
    await client.generate_video("A cat", model="T2V-01", prompt_optimizer=False)
    body = sent(route)
    assert "duration" not in body and "resolution" not in body and body["prompt_optimizer"] is False
    await client.generate_video(
        first_frame_image="https://example.com/a.jpg", model="MiniMax-Hailuo-02", resolution="512P"
    )
    assert sent(route)["first_frame_image"] == "https://example.com/a.jpg" and "prompt" not in sent(
        route
    )


async def test_before_wait_then_slot_then_before_send_for_each_attempt(
    settings: MiniMaxSettings, sleeps: Sleeps, router: respx.MockRouter
) -> None:
    order: list[str] = []

    class Slots:
        @contextlib.asynccontextmanager
        async def slot(self, endpoint: str) -> AsyncIterator[None]:
            order.append(f"slot {endpoint}")
            yield

    def answer(request: httpx.Request) -> httpx.Response:
        order.append("request")
        # The first answer is MiniMax's rate limit (surely not accepted): retried, hooked again.
        return fail(1002, "rate limit") if order.count("request") == 1 else ok(task_id="9")

    router.post("/video_generation").mock(side_effect=answer)

    async def before_send() -> None:
        order.append("before_send")

    def before_wait() -> None:  # the job timeline's start of the rate-limit wait
        order.append("before_wait")

    async with AsyncMiniMax(settings, sleep=sleeps, rate_limits=Slots()) as mm:
        task = await mm.generate_video("A cat", before_send=before_send, before_wait=before_wait)
        assert task == "9"
    create = ["before_wait", "slot video_generation", "before_send", "request"]
    assert order == create + create


async def test_before_send_failing_sends_nothing(
    client: AsyncMiniMax, router: respx.MockRouter, image: Path
) -> None:
    route = router.post("/video_generation").mock(return_value=ok(task_id="9"))

    async def over_budget() -> None:
        raise RuntimeError("over budget")

    with pytest.raises(RuntimeError, match="over budget"):
        await client.generate_video_fl2v("A cat", image, image, before_send=over_budget)
    assert not route.called


async def test_generate_video_without_task_id(
    client: AsyncMiniMax, router: respx.MockRouter
) -> None:
    router.post("/video_generation").mock(return_value=ok())
    with pytest.raises(ServerError, match="task_id"):
        await client.generate_video("A cat")


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        ("Preparing", "Preparing"),
        ("Queueing", "Queueing"),
        ("processing", "Processing"),
        ("Fail", "Fail"),
        ("Failed", "Fail"),
        ("failed", "Fail"),
        ("Rendering", "Processing"),
    ],
)
async def test_query_statuses(
    client: AsyncMiniMax, router: respx.MockRouter, raw: str, status: str
) -> None:
    route = router.get("/query/video_generation").mock(
        return_value=ok(task_id=5, status=raw, file_id="")
    )
    task = await client.query_video_status("5")
    assert route.calls.last.request.url.params["task_id"] == "5"
    assert task.status == status and task.raw_status == raw and task.file_id is None
    assert task.failed == (status == "Fail") and task.running == (status not in ("Fail", "Success"))


async def test_query_success(client: AsyncMiniMax, router: respx.MockRouter) -> None:
    router.get("/query/video_generation").mock(
        return_value=ok(
            task_id="176843862716480",
            status="Success",
            file_id="176844028768320",
            video_width=1920,
            video_height=1080,
        )
    )
    task = await client.query_video_status("176843862716480")
    assert task.done and task.file_id == "176844028768320"
    assert (task.video_width, task.video_height) == (1920, 1080)


async def test_query_failure_reasons(client: AsyncMiniMax, router: respx.MockRouter) -> None:
    router.get("/query/video_generation").mock(
        side_effect=[
            fail(1027, "output new_sensitive", task_id="5", status="Fail"),
            fail(1027, "output new_sensitive"),
            ok(task_id="5", status="Fail", error_msg="Content policy violation"),
        ]
    )
    first = await client.query_video_status("5")
    assert first.failed and first.code == 1027 and first.message == "output new_sensitive"
    second = await client.query_video_status("5")
    assert second.failed and second.code == 1027
    third = await client.query_video_status("5")
    assert third.message == "Content policy violation" and third.code is None


async def test_success_without_file_id_is_an_error(
    client: AsyncMiniMax, router: respx.MockRouter
) -> None:
    router.get("/query/video_generation").mock(return_value=ok(task_id="5", status="Success"))
    with pytest.raises(ServerError, match="no file_id"):
        await client.query_video_status("5")


async def test_retrieve_file(client: AsyncMiniMax, router: respx.MockRouter) -> None:
    route = router.get("/files/retrieve").mock(
        return_value=ok(
            file={
                "file_id": 176844028768320,
                "bytes": 5896337,
                "created_at": 1700469398,
                "filename": "output_aigc.mp4",
                "purpose": "video_generation",
                "download_url": "https://cdn.example.com/output_aigc.mp4",
            }
        )
    )
    info = await client.retrieve_file("176844028768320")
    assert route.calls.last.request.url.params["file_id"] == "176844028768320"
    assert info.file_id == "176844028768320" and info.bytes == 5896337
    assert info.download_url.endswith("output_aigc.mp4")


async def test_fl2v_with_the_last_frame_only(
    client: AsyncMiniMax, router: respx.MockRouter, image: Path
) -> None:
    # The seed calls the first frame optional; the API schema requires only the last one.
    route = router.post("/video_generation").mock(return_value=ok(task_id="7"))
    assert await client.generate_video_fl2v("A cat walks", last_frame_image=image) == "7"
    body = sent(route)
    assert "first_frame_image" not in body
    assert str(body["last_frame_image"]).startswith("data:image/png;base64,")
    with pytest.raises(MiniMaxValidationError, match="last_frame_image"):
        await client.generate_video_fl2v("A cat walks", first_frame_image=image)
    assert route.call_count == 1


@pytest.mark.parametrize(
    ("written", "sent_prompt"),
    [
        ("[Dolly forward] into the cave", "[Push in] into the cave"),
        ("[dolly BACK] away", "[Pull out] away"),
        ("[Orbit left] around the tree", "[Truck left,Pan right] around the tree"),
        ("[Orbit right] around", "[Truck right,Pan left] around"),
        ("[Crane up] over the town", "[Pedestal up] over the town"),
        ("[Crane down,Zoom in] to the door", "[Pedestal down,Zoom in] to the door"),
        ("[Truck left] past the shops", "[Truck left] past the shops"),
    ],
)
async def test_only_documented_camera_commands_reach_the_service(
    client: AsyncMiniMax, router: respx.MockRouter, written: str, sent_prompt: str
) -> None:
    route = router.post("/video_generation").mock(return_value=ok(task_id="8"))
    await client.generate_video(written)
    prompt = str(sent(route)["prompt"])
    assert prompt == sent_prompt
    assert all(cmd in OFFICIAL_CAMERA_COMMANDS for cmd in bracketed_commands(prompt))
