"""Issue 14, finding 4: hostile POST /jobs bodies are refused before anything is stored."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio

from storyreel.api.app import create_app
from storyreel.errors import UsageError
from storyreel.limits import MAX_REQUEST_BYTES, MAX_SEGMENTS, MAX_STORY_CHARS
from tests.api.helpers import QUICK, STORY, in_process, offline_settings, wait_for

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def client(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[httpx.AsyncClient]:
    settings = offline_settings(tmp_path_factory.mktemp("api-hostile"))
    async with in_process(create_app(settings)) as client:
        yield client


async def _jobs(client: httpx.AsyncClient) -> int:
    return len((await client.get("/jobs")).json()["jobs"])


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("segments", True),
        ("offline", "yes"),
        ("offline", 0),
        ("concurrency", "2"),
        ("voice_id", "x" * 300),
        ("voice_id", "1bad id!"),
    ],
)
async def test_loose_types_and_bad_voice_id_are_422_naming_the_field(
    client: httpx.AsyncClient, field: str, value: object
) -> None:
    before = await _jobs(client)
    response = await client.post("/jobs", json={"story": STORY, **QUICK, field: value})
    assert response.status_code == 422, response.text
    assert field in response.json()["message"]
    assert await _jobs(client) == before


async def test_story_over_the_documented_maximum_is_422(client: httpx.AsyncClient) -> None:
    response = await client.post("/jobs", json={"story": "a" * (MAX_STORY_CHARS + 1), **QUICK})
    assert response.status_code == 422
    assert "story" in response.json()["message"]


def _long_story(sentences: int) -> str:
    return "\n\n".join(
        f"Keeper number {n} climbed the long stair of the old lighthouse and lit the lamp again."
        for n in range(sentences)
    )


async def test_a_story_over_60_segments_is_422_at_submit_offline(client: httpx.AsyncClient) -> None:
    """Finding 1: a story the offline planner splits into more than 60 segments was a 202 and
    then a failed job; now it is refused at submit, naming the cap, and nothing is stored."""
    before = await _jobs(client)
    body = {"story": _long_story(4 * MAX_SEGMENTS), "offline": True}
    response = await client.post("/jobs", json=body)
    assert response.status_code == 422, response.text
    assert response.json()["message"].startswith("story: the story makes ")
    assert f"at most {MAX_SEGMENTS}" in response.json()["message"]
    assert await _jobs(client) == before
    # An exact count the story cannot give is refused at submit too.
    short = await client.post("/jobs", json={"story": "Two words.", **QUICK, "segments": 5})
    assert short.status_code == 422
    assert short.json()["message"].startswith("segments: ")
    assert await _jobs(client) == before


async def test_a_story_over_60_segments_is_422_at_submit_with_the_openai_planner(
    tmp_path: Path,
) -> None:
    """Finding 1, the OpenAI planner: the job would be priced from the offline split and fail
    on its cap after the 202; it is refused at submit instead, before any request (nothing is
    sent: the key is fake and nothing listens at the base URL)."""
    from storyreel.config import OpenAISettings, Settings
    from storyreel.minimax import MiniMaxSettings

    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=tmp_path,
        minimax=MiniMaxSettings(_env_file=None, api_key=None),  # type: ignore[call-arg]
        openai=OpenAISettings(_env_file=None, api_key="sk-fake", base_url="http://127.0.0.1:9/v1"),  # type: ignore[call-arg]
    )
    stages = {"planner": "openai", "images": "offline", "video": "offline", "speech": "offline"}
    async with in_process(create_app(settings)) as own:
        response = await own.post("/jobs", json={"story": _long_story(100), **stages})
        assert response.status_code == 422, response.text
        message = response.json()["message"]
        assert message.startswith("story: the story makes ")
        assert f"at most {MAX_SEGMENTS}" in message
        assert (await own.get("/jobs")).json()["jobs"] == []


async def test_the_submit_check_lets_a_story_of_60_segments_through() -> None:
    from storyreel.pipeline.admission import check_plan_size

    # Sentences of 20 words (about 6.5 s each) fill a 6 s clip apiece; two would overflow a 10 s
    # one: k of them plan into k segments.
    def sentences(k: int) -> str:
        return " ".join(
            f"On day {n} the keeper climbed the winding stairs again and lit the great lamp "
            "above the cold dark restless sea."
            for n in range(k)
        )

    await check_plan_size(sentences(MAX_SEGMENTS), segments=None)
    await check_plan_size(sentences(MAX_SEGMENTS + 1), segments=MAX_SEGMENTS)
    await check_plan_size(STORY, segments=None)
    with pytest.raises(UsageError, match=f"makes {MAX_SEGMENTS + 1} segments"):
        await check_plan_size(sentences(MAX_SEGMENTS + 1), segments=None)


async def test_oversized_body_is_413_before_it_is_read(client: httpx.AsyncClient) -> None:
    before = await _jobs(client)
    huge = {"story": STORY, **QUICK, "voice_id": "a" * (MAX_REQUEST_BYTES + 10)}
    response = await client.post("/jobs", json=huge)
    assert response.status_code == 413
    assert "too large" in response.json()["detail"]
    assert await _jobs(client) == before


async def test_a_valid_voice_id_is_still_accepted(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/jobs", json={"story": STORY, **QUICK, "voice_id": "MyNarrator01"}
    )
    assert response.status_code == 202, response.text


async def test_an_estimate_that_fails_in_any_layer_is_not_a_500(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Finding 3: a pydantic error from the planner used to escape GET /jobs/{id} as a 500."""
    import pydantic

    from storyreel.pipeline.jobs import runner as jobs  # where the estimate calls build_plan

    class Strict(pydantic.BaseModel):
        n: int

    def broken(*_: object, **__: object) -> object:
        return Strict.model_validate({"n": "x"})

    monkeypatch.setattr(jobs, "build_plan", broken)

    created = await client.post("/jobs", json={"story": STORY, **QUICK})
    assert created.status_code == 202
    response = await client.get(created.json()["url"])
    assert response.status_code == 200, response.text
    assert "pydantic" not in response.text.lower()
    # The job's own estimate meets the same error (before or after that GET, as the machine's
    # load decides): it fails with one line naming the field, not pydantic's report.
    job = await wait_for(client, created.json()["id"], statuses=("failed",))
    assert (
        job["error"] == "n: Input should be a valid integer, unable to parse string as an integer"
    )
    assert "pydantic" not in json.dumps(job).lower()


async def test_estimates_run_off_the_event_loop(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Finding 2: a slow plan in flight; GET /info answers meanwhile (event-driven, no timing)."""
    import asyncio
    import threading

    from storyreel.pipeline.jobs import runner as jobs  # where the estimate calls build_plan

    started = threading.Event()
    release = threading.Event()
    real = jobs.build_plan

    def slow(*args: object, **kwargs: object) -> object:
        started.set()
        release.wait(30)  # held until /info has answered; would block the loop if run on it
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(jobs, "build_plan", slow)
    created = await client.post("/jobs", json={"story": STORY, **QUICK})
    detail = asyncio.create_task(client.get(created.json()["url"]))
    try:
        await asyncio.to_thread(started.wait, 30)
        assert started.is_set()
        info = await client.get("/info")
        assert info.status_code == 200
        assert not detail.done()
    finally:
        release.set()
    assert (await detail).status_code == 200


@pytest.mark.parametrize(
    "piece", ["providers", "plan.json", "summaries", "file check", "voice folder"]
)
async def test_blocking_work_in_a_request_does_not_stall_another(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, piece: str
) -> None:
    """Finding 2, the audit: each piece of blocking work a route does (building providers for
    an estimate, about 60 ms of TLS setup; reading plan.json; the storyboard stat of every
    listed job; a video's file check; the voice upload's temporary folder) is held in flight,
    and GET /info still answers. Event-driven: were the piece on the event loop, /info could
    not answer until it was released."""
    import asyncio
    import tempfile
    import threading
    from collections.abc import Callable

    from storyreel.api import routes_jobs
    from storyreel.pipeline.jobs import JobOptions, JobRunner
    from tests.api.helpers import voice_sample

    started, release = threading.Event(), threading.Event()
    timed_out: list[bool] = []

    def held(real: Callable[..., object]) -> Callable[..., object]:
        def slow(*args: object, **kwargs: object) -> object:
            started.set()
            # On the event loop this could only end by its timeout: /info would wait for it.
            timed_out.append(not release.wait(30))
            return real(*args, **kwargs)

        return slow

    app = create_app(offline_settings(tmp_path))
    async with in_process(app) as own:
        runner = app.state.storyreel.manager.runner
        # Queued and never started: it stays unfinished, so its GET estimates.
        job = await runner.create(STORY, JobOptions.model_validate(QUICK))
        path, method = f"/jobs/{job.id}", "GET"
        if piece == "providers":
            monkeypatch.setattr(runner, "build", held(runner.build))
        elif piece == "plan.json":
            monkeypatch.setattr(JobRunner, "_saved_plan", held(JobRunner._saved_plan))
        elif piece == "summaries":
            monkeypatch.setattr(routes_jobs, "_summary", held(routes_jobs._summary))
            path = "/jobs"
        elif piece == "file check":
            monkeypatch.setattr(routes_jobs, "_file", held(routes_jobs._file))
            path = f"/jobs/{job.id}/video"
        else:
            monkeypatch.setattr(tempfile, "mkdtemp", held(tempfile.mkdtemp))
            path, method = "/voices", "POST"
        form = {
            "files": {"sample": ("me.wav", voice_sample(), "audio/wav")},
            "data": {"voice_id": "HeldNarrator01"},
        }
        pending = asyncio.ensure_future(
            own.request(method, path, **(form if method == "POST" else {}))  # type: ignore[arg-type]
        )
        try:
            await asyncio.to_thread(started.wait, 30)
            assert started.is_set()
            info = await own.get("/info")
            assert info.status_code == 200
            assert not pending.done()
        finally:
            release.set()
        assert (await pending).status_code < 500
        assert timed_out and not any(timed_out)


@pytest.mark.parametrize("path", ["/", "/info", "/jobs", "/static/app.js", "/jobs/nosuchjob"])
async def test_security_headers_on_every_response(client: httpx.AsyncClient, path: str) -> None:
    """Finding 7: CSP without inline scripts, nosniff, frame-ancestors 'none', Referrer-Policy."""
    response = await client.get(path)
    csp = response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"


async def test_the_page_has_no_inline_script_or_style(client: httpx.AsyncClient) -> None:
    page = (await client.get("/")).text
    assert "<style" not in page and " style=" not in page
    assert all("src=" in tag for tag in page.split("<script")[1:])


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
async def test_the_api_docs_load_only_same_origin_files(
    client: httpx.AsyncClient, page: str
) -> None:
    """Finding 7: /docs and /redoc loaded FastAPI's CDN bundle under a looser CSP naming CDN
    hosts. Now every script and stylesheet is one of ours, and no policy names another host."""
    import re

    response = await client.get(page)
    assert response.status_code == 200
    html = response.text
    scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", html, re.DOTALL)
    assert scripts and all(body.strip() == "" for _, body in scripts)  # no inline script
    urls = [re.search(r'src="([^"]+)"', attrs) for attrs, _ in scripts]
    urls += [re.search(r'href="([^"]+)"', tag) for tag in re.findall(r"<link\b[^>]*>", html)]
    for url in urls:
        assert url is not None
        assert url[1].startswith("/") and not url[1].startswith("//"), url[1]
        asset = await client.get(url[1])
        assert asset.status_code == 200, url[1]
        assert len(asset.content) > 100
    csp = response.headers["content-security-policy"]
    assert "http" not in csp and "cdn" not in csp
    assert "script-src 'self';" in csp
    if page == "/docs":
        assert csp == (await client.get("/")).headers["content-security-policy"]
    assert "/openapi.json" in html and (await client.get("/openapi.json")).status_code == 200


async def test_webhook_refuses_an_oversized_body_from_content_length(tmp_path: Path) -> None:
    """Finding 11: refused from the declared length, before the body is read."""
    from storyreel.api.deps import get_webhooks
    from storyreel.api.routes_webhooks import MAX_CALLBACK_BYTES

    class Tokens:
        def job_for(self, _: str) -> str:
            return "a" * 16

    class Webhooks:
        tokens = Tokens()

    app = create_app(offline_settings(tmp_path))
    app.dependency_overrides[get_webhooks] = Webhooks
    async with in_process(app) as own:
        response = await own.post(
            "/webhooks/minimax/" + "t" * 24,
            content=b"{" + b" " * (MAX_CALLBACK_BYTES + 1) + b"}",
            headers={"content-type": "application/json"},
        )
    assert response.status_code == 413


async def test_nul_and_control_characters_are_stripped_from_the_story(
    client: httpx.AsyncClient,
) -> None:
    """Finding 9: a NUL must not reach espeak (it cut the narration) nor the subtitles."""
    response = await client.post(
        "/jobs", json={"story": "A keeper\x00 wakes\x07 at dawn.", **QUICK}
    )
    assert response.status_code == 202, response.text
    job = (await client.get(response.json()["url"])).json()
    assert job["story"] == "A keeper wakes at dawn."
    only_controls = await client.post("/jobs", json={"story": "\x00\x01", **QUICK})
    assert only_controls.status_code == 422


async def test_a_story_with_control_characters_makes_a_clean_video_and_srt(
    tmp_path: Path,
) -> None:
    """Finding 9, the output side: through the offline path (espeak narration, SRT subtitles)
    a story with NUL and other control characters gives subtitles without them, narration of
    every word, and a video that reads back."""
    import srt

    from storyreel.assembly.probe import probe
    from storyreel.limits import strip_controls
    from storyreel.pipeline.layout import OutputLayout

    story = "A keeper\x00 wakes\x07 at dawn.\x1b The lamp\x7f is lit\x85 again.\x0c"
    async with in_process(create_app(offline_settings(tmp_path))) as own:
        created = await own.post("/jobs", json={"story": story, **QUICK})
        assert created.status_code == 202, created.text
        await wait_for(own, created.json()["id"])
    layout = OutputLayout(tmp_path / "jobs" / created.json()["id"])
    text = layout.subtitles.read_text(encoding="utf-8")
    assert strip_controls(text) == text
    cues = list(srt.parse(text))
    spoken = " ".join(" ".join(cue.content.split()) for cue in cues)
    assert spoken == "A keeper wakes at dawn. The lamp is lit again."
    info = probe(layout.video, decode=True)
    assert info.decoded and info.video is not None and info.audio is not None
    # Ten words at 165 a minute: the whole narration, not the two words before the NUL.
    narration = probe(layout.narration(0, ".wav"))
    assert narration.duration > 2.5


async def test_a_cross_origin_post_is_403_and_a_same_origin_one_passes(
    client: httpx.AsyncClient,
) -> None:
    """Finding 5 (Origin part): a page elsewhere cannot submit or clone on a token-less service."""
    before = await _jobs(client)
    body = {"story": STORY, **QUICK}
    evil = await client.post("/jobs", json=body, headers={"origin": "https://evil.example"})
    assert evil.status_code == 403
    voices = await client.post(
        "/voices", files={"sample": ("a.wav", b"x")}, headers={"origin": "https://evil.example"}
    )
    assert voices.status_code == 403
    assert await _jobs(client) == before
    same = await client.post("/jobs", json=body, headers={"origin": "http://localhost"})
    assert same.status_code == 202


async def test_a_foreign_host_header_is_403_without_a_token(tmp_path: Path) -> None:
    # Finding 5, DNS rebinding: a page on evil.example resolves its name to 127.0.0.1.
    settings = offline_settings(tmp_path, public_url="https://reel.example.org")
    async with in_process(create_app(settings)) as client:
        assert (await client.get("/info")).status_code == 200  # Host: localhost
        for host in ("127.0.0.1:8000", "[::1]:8000", "reel.example.org"):
            assert (await client.get("/info", headers={"Host": host})).status_code == 200, host
        for host in ("evil.example", "localhost.evil.example", ""):
            refused = await client.get("/info", headers={"Host": host})
            assert refused.status_code == 403, host
            assert "STORYREEL_ALLOWED_HOSTS" in refused.json()["detail"]
    token = offline_settings(tmp_path / "t", api_token="tok")
    async with in_process(create_app(token)) as client:
        # With a token the token protects; any Host may carry it.
        answer = await client.get("/info", headers={"Host": "reel.internal"})
        assert answer.status_code == 200
