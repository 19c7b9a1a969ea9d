"""The fake MiniMax answers in the real service's shapes, walks tasks, calls back, fails on
demand, counts, and makes real media (probed with PyAV)."""

from __future__ import annotations

import base64
import io
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import av
import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.fakes import media
from tests.fakes.fake_minimax import FakeMiniMax, decode_data_url
from tests.fakes.server import ServerThread

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def api(fake_minimax: FakeMiniMax) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {fake_minimax.api_key}"}
    with httpx.Client(base_url=fake_minimax.url, headers=headers, timeout=30) as client:
        yield client


def _data_url(data: bytes, mime: str = "image/png") -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


def _fl2v_body(prompt: str = "[Zoom in] A lighthouse at dusk", **extra: Any) -> dict[str, Any]:
    first = media.make_image(640, 360, f"first {prompt}")
    last = media.make_image(640, 360, f"last {prompt}", fmt="JPEG")
    return {
        "model": "MiniMax-Hailuo-02",
        "prompt": prompt,
        "first_frame_image": _data_url(first),
        "last_frame_image": _data_url(last, "image/jpeg"),
        "duration": 6,
        "resolution": "768P",
        **extra,
    }


def _code(response: httpx.Response) -> int:
    return int(response.json()["base_resp"]["status_code"])


def _probe(data: bytes) -> dict[str, Any]:
    with av.open(io.BytesIO(data), "r") as container:
        info: dict[str, Any] = {
            "seconds": float(container.duration or 0) / 1_000_000,
            "audio": len(container.streams.audio),
            "video": len(container.streams.video),
        }
        if container.streams.video:
            stream = container.streams.video[0]
            info |= {
                "size": (stream.width, stream.height),
                "fps": float(stream.average_rate or 0),
                "codec": stream.codec_context.name,
                "pix_fmt": stream.codec_context.pix_fmt,
            }
    return info


def _clone(api: httpx.Client, voice_id: str = "Narrator001", seconds: float = 11.0) -> int:
    sample = media.make_tone(seconds)
    uploaded = api.post(
        "/v1/files/upload",
        data={"purpose": "voice_clone"},
        files={"file": ("sample.mp3", sample, "audio/mpeg")},
    ).json()
    file_id = uploaded["file"]["file_id"]
    cloned = api.post("/v1/voice_clone", json={"file_id": file_id, "voice_id": voice_id})
    assert _code(cloned) == 0, cloned.json()
    return int(file_id)


def test_upload_and_voice_clone_have_the_real_shapes(
    api: httpx.Client, fake_minimax: FakeMiniMax
) -> None:
    sample = media.make_tone(11.0)
    answer = api.post(
        "/v1/files/upload",
        data={"purpose": "voice_clone"},
        files={"file": ("sample.mp3", sample, "audio/mpeg")},
    ).json()
    assert answer["base_resp"] == {"status_code": 0, "status_msg": "success"}
    stored = answer["file"]
    assert isinstance(stored["file_id"], int) and len(str(stored["file_id"])) == 15
    assert stored["bytes"] == len(sample)
    assert (stored["filename"], stored["purpose"]) == ("sample.mp3", "voice_clone")

    cloned = api.post(
        "/v1/voice_clone", json={"file_id": stored["file_id"], "voice_id": "Story-Voice1"}
    )
    assert cloned.json() == {
        "input_sensitive": False,
        "input_sensitive_type": 0,
        "demo_audio": "",
        "base_resp": {"status_code": 0, "status_msg": "success"},
    }
    again = api.post(
        "/v1/voice_clone", json={"file_id": stored["file_id"], "voice_id": "Story-Voice1"}
    )
    assert _code(again) == 2039
    assert (
        _code(api.post("/v1/voice_clone", json={"file_id": 1, "voice_id": "Other-Voice1"})) == 20132
    )
    for bad in ("short1", "1StartsWithDigit", "ends_with_", "has space in it"):
        reply = api.post("/v1/voice_clone", json={"file_id": stored["file_id"], "voice_id": bad})
        assert _code(reply) == 2013, bad

    voices = api.post("/v1/get_voice", json={"voice_type": "all"}).json()
    assert [v["voice_id"] for v in voices["voice_cloning"]] == ["Story-Voice1"]
    assert voices["voice_cloning"][0]["created_time"]
    assert voices["system_voice"] and "voice_id" in voices["system_voice"][0]
    assert fake_minimax.accepted["voice_clone"] == 1
    assert fake_minimax.calls["voice_clone"] == 7


def test_voice_clone_checks_the_sample_like_the_service(api: httpx.Client) -> None:
    short = api.post(
        "/v1/files/upload",
        data={"purpose": "voice_clone"},
        files={"file": ("s.mp3", media.make_tone(3.0), "audio/mpeg")},
    ).json()["file"]["file_id"]
    assert (
        _code(api.post("/v1/voice_clone", json={"file_id": short, "voice_id": "ShortVoice1"}))
        == 2037
    )
    junk = api.post(
        "/v1/files/upload",
        data={"purpose": "voice_clone"},
        files={"file": ("s.mp3", b"not audio at all", "audio/mpeg")},
    ).json()["file"]["file_id"]
    assert (
        _code(api.post("/v1/voice_clone", json={"file_id": junk, "voice_id": "JunkVoice1"})) == 1000
    )


def test_auth_errors_come_back_as_http_200_with_base_resp(
    fake_minimax: FakeMiniMax, api: httpx.Client
) -> None:
    body = {"voice_type": "all"}
    missing = httpx.post(f"{fake_minimax.url}/v1/get_voice", json=body)
    wrong = httpx.post(
        f"{fake_minimax.url}/v1/get_voice", json=body, headers={"Authorization": "Bearer nope"}
    )
    assert (missing.status_code, _code(missing)) == (200, 1004)
    assert (wrong.status_code, _code(wrong)) == (200, 2049)
    assert wrong.headers["trace-id"]
    api.post("/v1/get_voice", json=body)
    logged = fake_minimax.requests_for("get_voice")
    assert all(fake_minimax.api_key not in json.dumps(r.headers) for r in logged)
    assert logged[-1].headers["authorization"] == "<redacted>"


def test_t2a_answers_hex_of_a_real_mp3_whose_length_follows_the_text(
    api: httpx.Client, fake_minimax: FakeMiniMax
) -> None:
    _clone(api, "Narrator001")
    text = " ".join(["word"] * 25)  # 25 words at 2.5 words/s: 10 s
    reply = api.post(
        "/v1/t2a_v2",
        json={"model": "speech-02-hd", "text": text, "voice_setting": {"voice_id": "Narrator001"}},
    )
    answer = reply.json()
    assert answer["base_resp"]["status_code"] == 0
    assert answer["data"]["status"] == 2
    assert answer["trace_id"] == reply.headers["trace-id"]
    audio = bytes.fromhex(answer["data"]["audio"])
    extra = answer["extra_info"]
    assert (extra["audio_length"], extra["audio_format"], extra["audio_size"]) == (
        10000,
        "mp3",
        len(audio),
    )
    probe = _probe(audio)
    assert probe["audio"] == 1 and probe["seconds"] == pytest.approx(10.0, abs=0.2)

    unknown = {"model": "speech-02-hd", "text": "hi", "voice_setting": {"voice_id": "NoSuchVoice1"}}
    assert _code(api.post("/v1/t2a_v2", json=unknown)) == 20132
    seed_model = {"model": "speech-02", "text": "hi", "voice_setting": {"voice_id": "Wise_Woman"}}
    assert _code(api.post("/v1/t2a_v2", json=seed_model)) == 2013
    assert fake_minimax.accepted["t2a_v2"] == 1


def test_t2a_url_mode_serves_the_audio(api: httpx.Client) -> None:
    body = {
        "model": "speech-2.6-hd",
        "text": "Hello there, friend.",
        "voice_setting": {"voice_id": "Wise_Woman", "speed": 1.0},
        "audio_setting": {"format": "wav", "sample_rate": 24000},
        "output_format": "url",
    }
    url = api.post("/v1/t2a_v2", json=body).json()["data"]["audio"]
    assert url.startswith(api.base_url.scheme + "://")
    audio = httpx.get(url)
    assert audio.headers["content-type"] == "audio/wav"
    assert _probe(audio.content)["audio"] == 1


def _sse(text: str) -> list[dict[str, Any]]:
    return [json.loads(line[5:]) for line in text.splitlines() if line.startswith("data:")]


def test_t2a_streams_sse_chunks_and_a_final_aggregate(api: httpx.Client) -> None:
    body = {
        "model": "speech-02-turbo",
        "text": "A short line to stream.",
        "voice_setting": {"voice_id": "Wise_Woman"},
        "stream": True,
    }
    reply = api.post("/v1/t2a_v2", json=body)
    assert reply.headers["content-type"].startswith("text/event-stream")
    chunks = _sse(reply.text)
    assert len(chunks) >= 3 and all(c["data"]["status"] == 1 for c in chunks[:-1])
    streamed = b"".join(bytes.fromhex(c["data"]["audio"]) for c in chunks[:-1])
    final = chunks[-1]
    assert final["data"]["status"] == 2 and final["extra_info"]["audio_format"] == "mp3"
    assert bytes.fromhex(final["data"]["audio"]) == streamed
    assert _probe(streamed)["seconds"] > 1.5

    body["stream_options"] = {"exclude_aggregated_audio": True}
    assert _sse(api.post("/v1/t2a_v2", json=body).text)[-1]["data"]["audio"] == ""
    body["audio_setting"] = {"format": "wav"}
    assert _code(api.post("/v1/t2a_v2", json=body)) == 2013


def test_seed_shape_mode(api: httpx.Client, fake_minimax: FakeMiniMax) -> None:
    fake_minimax.shape = "seed"
    body = {
        "model": "speech-02",
        "text": "Seed shaped.",
        "voice_setting": {"voice_id": "Wise_Woman"},
    }
    answer = api.post("/v1/t2a_v2", json=body).json()
    assert set(answer) == {"data"}
    assert _probe(base64.b64decode(answer["data"]["audio"]))["audio"] == 1
    streamed = api.post("/v1/t2a_v2", json={**body, "stream": True})
    assert streamed.headers["content-type"] == "audio/mpeg"
    assert _probe(streamed.content)["audio"] == 1

    uploaded = api.post(
        "/v1/files/upload",
        data={"purpose": "voice_clone"},
        files={"file": ("s.mp3", media.make_tone(10.5), "audio/mpeg")},
    ).json()
    file_id = uploaded["file"]["file_id"]
    assert isinstance(file_id, str)
    assert api.post(
        "/v1/voice_clone", json={"file_id": file_id, "voice_id": "SeedVoice1"}
    ).json() == {"base_resp": {"status_code": 0, "status_msg": "success"}}
    assert (
        _code(api.post("/v1/voice_clone", json={"file_id": file_id, "voice_id": "SeedVoice1"}))
        == 1001
    )

    fake_minimax.fail_next_tasks(1)
    task_id = api.post("/v1/video_generation", json=_fl2v_body()).json()["task_id"]
    statuses = [
        api.get("/v1/query/video_generation", params={"task_id": task_id}).json() for _ in range(4)
    ]
    assert [s["status"] for s in statuses] == ["Processing", "Processing", "Processing", "Fail"]
    assert statuses[-1]["error_msg"] and statuses[-1]["base_resp"]["status_code"] == 0


# Hailuo-02's own clip sizes, whatever the keyframes' size (640x360 here).
@pytest.mark.parametrize(("resolution", "size"), [("768P", (1366, 768)), ("1080P", (1920, 1080))])
def test_fl2v_task_walks_the_stages_and_yields_a_real_clip(
    api: httpx.Client, fake_minimax: FakeMiniMax, resolution: str, size: tuple[int, int]
) -> None:
    body = _fl2v_body(resolution=resolution)
    created = api.post("/v1/video_generation", json=body).json()
    task_id = created["task_id"]
    assert created["base_resp"]["status_code"] == 0 and task_id.isdigit()
    answers = [
        api.get("/v1/query/video_generation", params={"task_id": task_id}).json() for _ in range(4)
    ]
    assert [a["status"] for a in answers] == ["Preparing", "Queueing", "Processing", "Success"]
    done = answers[-1]
    assert "file_id" not in answers[0]
    assert isinstance(done["file_id"], str)
    assert (done["video_width"], done["video_height"]) == size

    retrieved = api.get("/v1/files/retrieve", params={"file_id": done["file_id"]}).json()["file"]
    assert retrieved["file_id"] == int(done["file_id"])
    assert (retrieved["filename"], retrieved["purpose"]) == ("output_aigc.mp4", "video_generation")
    clip = httpx.get(retrieved["download_url"])
    assert clip.status_code == 200 and len(clip.content) == retrieved["bytes"]
    probe = _probe(clip.content)
    assert probe["video"] == 1 and probe["audio"] == 0
    assert probe["size"] == size and probe["fps"] == 25
    assert (probe["codec"], probe["pix_fmt"]) == ("h264", "yuv420p")
    assert probe["seconds"] == pytest.approx(6.0, abs=0.1)

    sent = fake_minimax.video_requests()[0]
    mime, data = decode_data_url(sent["last_frame_image"])
    assert mime == "image/jpeg" and media.image_size(data) == (640, 360)
    assert fake_minimax.calls["video_generation"] == fake_minimax.accepted["video_generation"] == 1
    assert fake_minimax.calls["query/video_generation"] == 4


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"model": "MiniMax-Hailuo-2.3"}, "FL2V is Hailuo-02 only"),
        ({"resolution": "1080P", "duration": 10}, "1080P is 6 s only"),
        ({"resolution": "512P"}, "no 512P for FL2V"),
        ({"duration": 8}, "6 or 10 s"),
        ({"model": "Sora"}, "unknown model"),
        ({"prompt": "x" * 2001}, "prompt too long"),
        ({"last_frame_image": "data:image/png;base64,@@@"}, "bad base64"),
        ({"last_frame_image": _data_url(media.make_image(200, 200))}, "short side <= 300"),
        ({"last_frame_image": _data_url(media.make_image(1200, 320))}, "aspect past 5:2"),
        ({"first_frame_image": "ftp://example.com/x.png"}, "not a URL or data URL"),
    ],
)
def test_video_generation_validates_like_the_service(
    api: httpx.Client, fake_minimax: FakeMiniMax, change: dict[str, Any], why: str
) -> None:
    reply = api.post("/v1/video_generation", json=_fl2v_body() | change)
    assert _code(reply) == 2013, why
    assert fake_minimax.accepted["video_generation"] == 0


def test_content_policy_at_create_and_failing_tasks(
    api: httpx.Client, fake_minimax: FakeMiniMax
) -> None:
    fake_minimax.reject_prompts_containing("forbidden")
    fake_minimax.fail_tasks_containing("doomed")
    assert (
        _code(api.post("/v1/video_generation", json=_fl2v_body("[Zoom in] FORBIDDEN art"))) == 1026
    )
    task_id = api.post("/v1/video_generation", json=_fl2v_body("[Zoom in] doomed ship")).json()[
        "task_id"
    ]
    answers = [
        api.get("/v1/query/video_generation", params={"task_id": task_id}).json() for _ in range(5)
    ]
    assert [a["status"] for a in answers][-2:] == ["Fail", "Fail"]
    assert answers[-1]["base_resp"]["status_code"] == 1027 and "file_id" not in answers[-1]
    assert fake_minimax.accepted["video_generation"] == 1


def test_task_seconds_hold_a_task_back_by_wall_clock(
    api: httpx.Client, fake_minimax: FakeMiniMax
) -> None:
    # An hour: however slow the machine, polls alone never finish the task.
    fake_minimax.set_latency("video", 3600)
    task_id = api.post("/v1/video_generation", json=_fl2v_body("[Pan left] fields")).json()[
        "task_id"
    ]
    early = [
        api.get("/v1/query/video_generation", params={"task_id": task_id}).json() for _ in range(5)
    ]
    assert early[-1]["status"] != "Success"
    # Then a latency already passed: the next query, with no more polls needed, succeeds.
    fake_minimax.set_latency("video", 0.01)
    deadline = time.monotonic() + 30  # what a busy machine may need to pass 0.01 s
    while (final := api.get("/v1/query/video_generation", params={"task_id": task_id}).json())[
        "status"
    ] != "Success":
        assert time.monotonic() < deadline, final
        time.sleep(0.01)
    assert (final["video_width"], final["video_height"]) == (1366, 768)


class _Receiver:
    """A webhook receiver on its own socket, recording what the fake posts."""

    def __init__(self, *, echo: bool = True) -> None:
        self.bodies: list[dict[str, Any]] = []

        async def hook(request: Request) -> JSONResponse:
            body = await request.json()
            self.bodies.append(body)
            if "challenge" in body:
                return JSONResponse({"challenge": body["challenge"] if echo else "wrong"})
            return JSONResponse({"status": "success"})

        self.server = ServerThread(Starlette(routes=[Route("/hook", hook, methods=["POST"])]))

    def wait_for(self, count: int, timeout: float = 30.0) -> None:
        """Until ``count`` bodies came; the deadline is generous, for a loaded machine."""
        deadline = time.monotonic() + timeout
        while len(self.bodies) < count:
            assert time.monotonic() < deadline, f"{len(self.bodies)} of {count} callbacks came"
            time.sleep(0.01)


def test_callback_challenge_then_lowercase_statuses(
    api: httpx.Client, fake_minimax: FakeMiniMax
) -> None:
    receiver = _Receiver()
    with receiver.server:
        body = _fl2v_body(callback_url=f"{receiver.server.url}/hook")
        task_id = api.post("/v1/video_generation", json=body).json()["task_id"]
        receiver.wait_for(3)
    challenge, processing, success = receiver.bodies
    assert set(challenge) == {"challenge"}
    assert (processing["task_id"], processing["status"]) == (task_id, "processing")
    assert (success["status"], success["base_resp"]["status_code"]) == ("success", 0)
    # The notification is true: one confirming query sees the task done.
    confirmed = api.get("/v1/query/video_generation", params={"task_id": task_id}).json()
    assert confirmed["status"] == "Success" and confirmed["file_id"] == success["file_id"]
    assert [c.status_code for c in fake_minimax.callbacks] == [200, 200, 200]


def test_callbacks_stop_when_the_challenge_is_not_echoed(
    api: httpx.Client, fake_minimax: FakeMiniMax
) -> None:
    receiver = _Receiver(echo=False)
    fake_minimax.fail_next_tasks(1)
    with receiver.server:
        api.post(
            "/v1/video_generation", json=_fl2v_body(callback_url=f"{receiver.server.url}/hook")
        )
        receiver.wait_for(1)
        # Until the fake's callback driver has stopped: from then on nothing more can arrive.
        deadline = time.monotonic() + 30
        while not fake_minimax.idle():
            assert time.monotonic() < deadline, "the callback driver kept running"
            time.sleep(0.01)
    assert len(receiver.bodies) == 1 and len(fake_minimax.callbacks) == 1


def test_injected_faults_fire_once_each_and_are_counted(
    api: httpx.Client, fake_minimax: FakeMiniMax
) -> None:
    voice = {"voice_type": "all"}
    fake_minimax.fail_next("get_voice", status=502)
    fake_minimax.fail_next("get_voice", status=429, retry_after=2)
    fake_minimax.fail_next("get_voice", code=1002)
    gateway = api.post("/v1/get_voice", json=voice)
    assert gateway.status_code == 502 and "Bad Gateway" in gateway.text
    limited = api.post("/v1/get_voice", json=voice)
    assert (limited.status_code, limited.headers["retry-after"], _code(limited)) == (429, "2", 1002)
    business = api.post("/v1/get_voice", json=voice)
    assert (business.status_code, _code(business)) == (200, 1002)
    assert _code(api.post("/v1/get_voice", json=voice)) == 0
    assert fake_minimax.calls["get_voice"] == 4


def test_dropped_connections_simulate_unknown_outcomes(
    api: httpx.Client, fake_minimax: FakeMiniMax
) -> None:
    body = {"model": "MiniMax-Hailuo-02", "prompt": "[Static shot] a quiet room"}
    fake_minimax.drop_next("video_generation")
    with pytest.raises(httpx.RemoteProtocolError):
        api.post("/v1/video_generation", json=body)
    assert fake_minimax.calls["video_generation"] == 1
    assert fake_minimax.accepted["video_generation"] == 0

    fake_minimax.drop_next("video_generation", after_processing=True)
    with pytest.raises(httpx.RemoteProtocolError):
        api.post("/v1/video_generation", json=body)
    # The service carried it out (and would bill it) although the client never heard back.
    assert fake_minimax.accepted["video_generation"] == 1 and len(fake_minimax.tasks) == 1
    assert _code(api.post("/v1/video_generation", json=body)) == 0


def test_expired_download_urls_are_refreshed_by_a_new_retrieve(
    api: httpx.Client, fake_minimax: FakeMiniMax
) -> None:
    task_id = api.post("/v1/video_generation", json=_fl2v_body()).json()["task_id"]
    for _ in range(4):
        done = api.get("/v1/query/video_generation", params={"task_id": task_id}).json()
    first = api.get("/v1/files/retrieve", params={"file_id": done["file_id"]}).json()["file"]
    fake_minimax.expire_next_downloads()
    assert httpx.get(first["download_url"]).status_code == 403
    fresh = api.get("/v1/files/retrieve", params={"file_id": done["file_id"]}).json()["file"]
    assert fresh["download_url"] != first["download_url"]
    assert httpx.get(fresh["download_url"]).status_code == 200
    fake_minimax.download_ttl = 0.0
    time.sleep(0.01)
    assert httpx.get(fresh["download_url"]).status_code == 403


def test_latency_rate_stats_and_an_emulated_rate_limit(
    api: httpx.Client, fake_minimax: FakeMiniMax
) -> None:
    fake_minimax.set_latency("get_voice", 0.2)
    started = time.monotonic()
    api.post("/v1/get_voice", json={"voice_type": "system"})
    assert time.monotonic() - started >= 0.2
    fake_minimax.set_latency("get_voice", 0)
    fake_minimax.rpm_limits["get_voice"] = 3
    codes = [_code(api.post("/v1/get_voice", json={"voice_type": "system"})) for _ in range(4)]
    assert codes == [0, 0, 1002, 1002]  # the first call above counts toward the minute
    assert fake_minimax.max_per_minute("get_voice") == 5
    assert sum(fake_minimax.per_minute("get_voice").values()) == 5
    assert fake_minimax.max_per_minute("get_voice", window=0.0001) == 1


def test_state_survives_a_restart(tmp_path: Path) -> None:
    state = tmp_path / "minimax.json"
    with FakeMiniMax(state_path=state) as fake:
        headers = {"Authorization": f"Bearer {fake.api_key}"}
        with httpx.Client(base_url=fake.url, headers=headers) as api:
            _clone(api, "KeptVoice01")
            task_id = api.post("/v1/video_generation", json=_fl2v_body()).json()["task_id"]
    with FakeMiniMax(state_path=state) as again:
        headers = {"Authorization": f"Bearer {again.api_key}"}
        with httpx.Client(base_url=again.url, headers=headers, timeout=30) as api:
            assert again.accepted["video_generation"] == 1 and again.calls["voice_clone"] == 1
            assert (
                _code(api.post("/v1/voice_clone", json={"file_id": 1, "voice_id": "KeptVoice01"}))
                == 20132
            )
            listed = api.post("/v1/get_voice", json={"voice_type": "voice_cloning"}).json()
            assert [v["voice_id"] for v in listed["voice_cloning"]] == ["KeptVoice01"]
            for _ in range(4):
                done = api.get("/v1/query/video_generation", params={"task_id": task_id}).json()
            assert done["status"] == "Success"
            url = api.get("/v1/files/retrieve", params={"file_id": done["file_id"]}).json()["file"]
            assert _probe(httpx.get(url["download_url"]).content)["seconds"] == pytest.approx(
                6, abs=0.1
            )


def test_admin_api_steers_and_reports(fake_minimax: FakeMiniMax, api: httpx.Client) -> None:
    control = {"method": "fail_next", "args": {"endpoint": "get_voice", "code": 1039}}
    assert httpx.post(f"{fake_minimax.url}/_fake/control", json=control).json()["ok"] is True
    assert _code(api.post("/v1/get_voice", json={})) == 1039
    stats = httpx.get(f"{fake_minimax.url}/_fake/stats").json()
    assert stats["calls"] == {"get_voice": 1} and stats["max_per_minute"] == {"get_voice": 1}
    bad = httpx.post(f"{fake_minimax.url}/_fake/control", json={"method": "stop"})
    assert bad.status_code == 400


def test_runs_standalone_as_a_process() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.fakes.fake_minimax", "--port", "0", "--latency", "video=5"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert "listening on http://127.0.0.1:" in line
        url = line.rsplit(" ", 1)[-1].strip()
        reply = httpx.post(f"{url}/v1/get_voice", json={}, headers={"Authorization": "Bearer nope"})
        assert _code(reply) == 2049
    finally:
        proc.terminate()
        assert proc.wait(timeout=10) == 0
        if proc.stdout is not None:
            proc.stdout.close()
