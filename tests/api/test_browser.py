"""The web page in real headless Chromium: submit a story offline (with an uploaded music track),
watch it, play the video.

Needs Debian's chromium at /usr/bin/chromium (Playwright's own browsers are not downloaded).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.api.helpers import CHROMIUM, CHROMIUM_ARGS, live_app
from tests.fakes.media import make_tone

pytestmark = pytest.mark.skipif(
    not os.access(CHROMIUM, os.X_OK),
    reason="needs Debian's chromium at /usr/bin/chromium (apt-get install -y chromium)",
)


async def test_page_submits_a_story_shows_progress_and_plays_the_video(tmp_path: Path) -> None:
    playwright_api = pytest.importorskip("playwright.async_api")
    with live_app(data_dir=tmp_path / "data") as server:
        async with playwright_api.async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                page = await browser.new_page(viewport={"width": 1100, "height": 1400})
                errors: list[str] = []
                page.on("pageerror", lambda error: errors.append(str(error)))
                page.on(
                    "console",
                    lambda msg: (
                        errors.append(f"{msg.text} {msg.location}") if msg.type == "error" else None
                    ),
                )
                await page.goto(server.url + "/")
                # No keys: the page offers offline, checked.
                await page.wait_for_selector("#mode:not([hidden])")
                assert await page.is_checked("#offline")
                await page.fill("#story", "A small robot plants a tree on the moon. It grows.")
                await page.fill("#segments", "1")
                await page.select_option("#resolution", "720P")
                # An uploaded music track (POST /music first, then the job names its id).
                assert await page.is_hidden("#music-track")
                await page.select_option("#music", "upload")
                await page.set_input_files(
                    "#music-track",
                    {"name": "bed.wav", "mimeType": "audio/wav", "buffer": make_tone(4, fmt="wav")},
                )
                await page.click("#submit")

                await page.wait_for_selector("#job:not([hidden])")
                # Live progress: the segment table fills in from the event stream.
                await page.wait_for_selector("#stages tbody tr", timeout=30_000)
                # A locator wait, not wait_for_function: the page's CSP (no 'unsafe-eval') refuses
                # the string predicate that wait_for_function evaluates.
                await playwright_api.expect(page.locator("#job-status")).to_have_text(
                    "succeeded", timeout=60_000
                )
                states = await page.locator("#stages .state").all_inner_texts()
                assert states and all(state == "done" for state in states), states
                assert await page.get_attribute(".bar", "aria-valuenow") == "100"
                await page.wait_for_selector("#storyboard-box:not([hidden])")
                assert await page.evaluate("document.getElementById('storyboard').naturalWidth") > 0
                # The finished job's timeline picture (GET /jobs/{id}/timeline.png) is shown.
                await page.wait_for_selector("#timeline-box:not([hidden])")
                timeline_width = await page.evaluate(
                    """async () => {
                        const img = document.querySelector('#timeline-box img');
                        if (!img.complete) {
                            await new Promise((ok) => img.addEventListener('load', ok));
                        }
                        return img.naturalWidth;
                    }"""
                )
                assert timeline_width == 1400  # timeline_image.WIDTH: the PNG, not a broken image
                assert (await page.get_attribute("#download", "href") or "").endswith("/video")

                played = await page.evaluate(
                    """async () => {
                        const v = document.getElementById('video');
                        v.muted = true;
                        if (v.readyState < 2) {
                            await new Promise((ok, fail) => {
                                v.addEventListener('loadeddata', ok, {once: true});
                                const failed = () => fail(v.error && v.error.message);
                                v.addEventListener('error', failed, {once: true});
                                setTimeout(() => fail('no data after 15 s'), 15000);
                            });
                        }
                        const start = v.currentTime;
                        await v.play();
                        await new Promise((ok) => setTimeout(ok, 800));
                        const now = v.currentTime;
                        return {ready: v.readyState, start, now, duration: v.duration};
                    }"""
                )
                assert played["ready"] >= 2, played
                assert played["duration"] > 0, played
                assert played["now"] > played["start"], played
                (manifest,) = (tmp_path / "data" / "jobs").glob("*/manifest.json")
                track = json.loads(manifest.read_text())["music"]["track"]
                assert Path(track).parent == (tmp_path / "data" / "music").resolve(), track
                recent = await page.locator("#jobs li").all_inner_texts()
                assert any("succeeded" in item for item in recent), recent
                # In-process: no workers line; and no script error all along.
                assert await page.is_hidden("#workers")
                assert errors == [], errors
                shots = os.environ.get("STORYREEL_SCREENSHOT_DIR")
                if shots:
                    await page.screenshot(path=str(Path(shots) / "page.png"), full_page=True)
            finally:
                await browser.close()


@pytest.mark.parametrize(("path", "ready"), [("/docs", ".opblock"), ("/redoc", "h2")])
async def test_api_docs_render_under_their_csp(tmp_path: Path, path: str, ready: str) -> None:
    """Issue 14, finding 7: Swagger UI and ReDoc run from local files under a CSP that names no
    other host and allows no inline script; a CSP refusal shows as a console error."""
    playwright_api = pytest.importorskip("playwright.async_api")
    with live_app(data_dir=tmp_path / "data") as server:
        async with playwright_api.async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                page = await browser.new_page()
                errors: list[str] = []
                outside: list[str] = []
                page.on("pageerror", lambda error: errors.append(str(error)))
                page.on(
                    "console",
                    lambda msg: (
                        errors.append(f"{msg.text} {msg.location}") if msg.type == "error" else None
                    ),
                )
                # Answers, not requests: a request the CSP refuses is asked for and never sent.
                page.on(
                    "response",
                    lambda response: (
                        None
                        if response.url.startswith((server.url, "data:", "blob:"))
                        else outside.append(response.url)
                    ),
                )
                await page.goto(server.url + path)
                await page.locator(ready).first.wait_for(timeout=30_000)
                assert "Submit a story" in await page.content()
                # ReDoc's footer asks for its logo from its CDN; the CSP refuses it (the policy
                # at work: nothing is fetched). Any other error, a refused script or style
                # included, fails the test.
                refused_logo = [e for e in errors if "Loading the image" in e and "violates" in e]
                assert [e for e in errors if e not in refused_logo] == []
                assert len(refused_logo) <= 1
                assert outside == []
            finally:
                await browser.close()
