"""Issue 13's studio in real headless Chromium, with keys, against the fake MiniMax and OpenAI:
submit with review on (the default when clips are paid for), see the storyboard, edit one
narration and re-roll one keyframe (the page shows what each costs first, in its own confirm),
approve, watch the video play. The fakes' counters say what was paid: the edited segment's
speech and the re-rolled keyframe once more, each clip once. Screenshots of each step go to
pytest's tmp folder and ``out/screenshots/``.

Also: after a render, re-make a segment and go back to its first take; the cast's card (edit
its description, draw a new reference). Each is skipped, saying so, when the service has no
storyboard (``GET /jobs/{id}/board``); the cast's test also without the cast's routes.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import httpx
import pytest
from PIL import Image

from tests.api.browser import Browsing, chromium_page, needs_chromium
from tests.api.helpers import LiveServer, live_app
from tests.fakes.fixtures import FakeAPIs

pytestmark = needs_chromium

STORY = (
    "Mara, the lighthouse keeper, finds a glass bottle on the shore at dawn. "
    "Inside is a map of the night sky with one star missing."
)
SPEECH, VIDEO = "t2a_v2", "video_generation"
STEP_MS = 60_000  # the re-make of one step against the fakes, on a busy machine
RENDER_MS = 120_000
EDIT_COST = re.compile(r"^This costs \$\d+(\.\d+)?\. Still to pay for the video after it: \$")
RENDER_COST = re.compile(r"^This costs \$[1-9]|^This costs \$0\.[0-9]*[1-9]")  # not nothing


def paid(fake: FakeAPIs) -> dict[str, int]:
    return {
        "images": fake.openai.images_made,
        "speech": fake.minimax.accepted[SPEECH],
        "video": fake.minimax.accepted[VIDEO],
    }


def a_png(size: tuple[int, int] = (1366, 768)) -> bytes:
    """A picture within MiniMax's frame rules (short side over 300 px, ratio within 2:5..5:2)."""
    out = io.BytesIO()
    Image.new("RGB", size, (40, 90, 160)).save(out, format="PNG")
    return out.getvalue()


async def portraits(server: LiveServer) -> int:
    """Portraits drawn for the newest job: one per character its frames show (the fake planner
    names one), each paid like a keyframe."""
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as client:
        newest = (await client.get("/jobs")).json()["jobs"][0]["id"]
        board = (await client.get(f"/jobs/{newest}/board")).json()
    return sum(1 for member in board["cast"] if member["reference_url"])


async def require_studio(server: LiveServer) -> set[str]:
    """The service's paths; the test is skipped when it has no storyboard."""
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as client:
        paths = set((await client.get("/openapi.json")).json()["paths"])
    if "/jobs/{job_id}/board" not in paths:
        pytest.skip("this service has no GET /jobs/{id}/board (the studio's review endpoints)")
    return paths


async def confirm(seen: Browsing, shots: Path, name: str, cost: re.Pattern[str] = EDIT_COST) -> str:
    """The in-page confirm is up with the cost: screenshot it, say yes; its text."""
    page = seen.page
    await seen.expect(page.locator("#confirm")).to_be_visible()
    await seen.expect(page.locator("#confirm-cost")).to_have_text(cost)
    text = (await page.text_content("#confirm-text")) or ""
    await seen.shot(shots, name)
    await page.click("#confirm-yes")
    await seen.expect(page.locator("#confirm")).to_be_hidden()
    return text


async def test_review_edit_reroll_approve_and_play_in_the_page(
    fake_apis: FakeAPIs, tmp_path: Path
) -> None:
    shots = tmp_path / "screenshots"
    with live_app(data_dir=tmp_path / "data") as server:
        await require_studio(server)
        async with chromium_page(server.url + "/", height=1600) as seen:
            page, expect = seen.page, seen.expect
            await page.wait_for_selector("#job-form")
            await expect(page.locator("#review")).to_be_checked()  # paid clips: review first
            await page.fill("#story", STORY)
            await page.fill("#segments", "2")
            await page.click("#submit")

            # 1. The storyboard: two segments, three keyframes; nothing paid for video yet.
            await expect(page.locator("#studio")).to_be_visible(timeout=STEP_MS)
            await expect(page.locator("#job-status")).to_have_text("review")
            await expect(page.locator("#frames > li")).to_have_count(3)
            await expect(page.locator("#segment-cards > li")).to_have_count(2)
            await expect(page.locator("#approve")).to_have_text(
                re.compile(r"^Approve and render \(\$\d")
            )
            drawn = 3 + await portraits(server)
            assert paid(fake_apis) == {"images": drawn, "speech": 2, "video": 0}
            await seen.shot(shots, "1-storyboard")

            # 2. Edit segment 1's narration (as many words: the same clip length).
            narration = page.locator("#segment-0-narration")
            old = (await narration.input_value()).split()
            new_text = " ".join(["Waves", *old[1:]])
            await page.locator('[data-segment="0"]').evaluate("card => card.dataset.old = 'yes'")
            await narration.fill(new_text)
            await page.get_by_role("button", name="Save segment 1").click()
            summary = await confirm(seen, shots, "2-narration-cost")
            assert "narration 1" in summary, summary
            # The board is drawn anew once the job is back in review (the card replaced).
            await expect(page.locator('[data-segment="0"]:not([data-old])')).to_be_visible(
                timeout=STEP_MS
            )
            await expect(page.locator("#job-status")).to_have_text("review")
            await expect(narration).to_have_value(new_text)  # as the server now has it
            assert paid(fake_apis) == {"images": drawn, "speech": 3, "video": 0}
            assert fake_apis.minimax.requests_for(SPEECH)[-1].json["text"] == new_text

            # 3. Re-roll keyframe 1, the one both clips share.
            picture = page.locator('[data-frame="1"] img')
            old_picture = await picture.get_attribute("src")
            await page.get_by_role("button", name="Re-roll keyframe 1").click()
            await confirm(seen, shots, "3-reroll-cost")
            # A new take: the picture's URL carries its new sha.
            await expect(picture).not_to_have_attribute("src", old_picture or "", timeout=STEP_MS)
            await expect(page.locator("#job-status")).to_have_text("review")
            assert paid(fake_apis) == {"images": drawn + 1, "speech": 3, "video": 0}

            # An uploaded picture becomes keyframe 2, paying for nothing.
            card = page.locator('[data-frame="2"]')
            old_picture = await card.locator("img").get_attribute("src")
            await page.set_input_files(
                "#frame-2-file", {"name": "mine.png", "mimeType": "image/png", "buffer": a_png()}
            )
            await card.get_by_role("button", name="Upload picture").click()
            await confirm(seen, shots, "4-upload-cost")
            await expect(card.locator("img")).not_to_have_attribute(
                "src", old_picture or "", timeout=STEP_MS
            )
            await expect(page.locator("#job-status")).to_have_text("review")
            assert paid(fake_apis) == {"images": drawn + 1, "speech": 3, "video": 0}
            await seen.shot(shots, "4-after-edits")

            # 4. Approve: the render pays for each clip once, and the video plays.
            await page.click("#approve")
            await confirm(seen, shots, "5-approve-cost", RENDER_COST)
            await expect(page.locator("#job-status")).to_have_text("succeeded", timeout=RENDER_MS)
            await expect(page.locator("#video-box")).to_be_visible()
            played = await page.evaluate(
                """async () => {
                    const v = document.getElementById('video');
                    v.muted = true;
                    if (v.readyState < 2) {
                        await new Promise((ok, fail) => {
                            v.addEventListener('loadeddata', ok, {once: true});
                            v.addEventListener('error', () => fail(v.error && v.error.message),
                                {once: true});
                            setTimeout(() => fail('no data after 15 s'), 15000);
                        });
                    }
                    const start = v.currentTime;
                    await v.play();
                    await new Promise((ok) => setTimeout(ok, 800));
                    return {ready: v.readyState, start, now: v.currentTime, duration: v.duration};
                }"""
            )
            assert played["ready"] >= 2 and played["duration"] > 0, played
            assert played["now"] > played["start"], played
            await seen.shot(shots, "6-video")
            # Paid again: one narration and one keyframe; each clip once, from the frames kept.
            assert paid(fake_apis) == {"images": drawn + 1, "speech": 3, "video": 2}
            assert seen.dialogs == [] and seen.errors == []


XSS = "<img src=x onerror=alert(1)>"


async def test_after_the_render_remake_a_segment_and_go_back_to_its_first_take(
    tmp_path: Path,
) -> None:
    """Offline (nothing to pay, so no review by default): the finished job's board offers a
    re-make per segment; the old clip stays as a take to go back to. A story that is markup
    shows as text in the board's fields too."""
    shots = tmp_path / "screenshots"
    with live_app(data_dir=tmp_path / "data") as server:
        await require_studio(server)
        async with chromium_page(server.url + "/") as seen:
            page, expect = seen.page, seen.expect
            await page.wait_for_selector("#mode:not([hidden])")
            await expect(page.locator("#review")).not_to_be_checked()
            await page.fill("#story", f"{XSS} A robot plants a tree on the moon.")
            await page.fill("#segments", "1")
            await page.select_option("#resolution", "720P")
            await page.click("#submit")
            await expect(page.locator("#job-status")).to_have_text("succeeded", timeout=RENDER_MS)
            card = page.locator('[data-segment="0"]')
            await expect(card).to_be_visible()
            await expect(page.locator("#segment-0-narration")).to_have_value(
                re.compile(re.escape(XSS))
            )
            await expect(page.locator("#approve")).to_be_hidden()  # rendered: nothing to approve

            await card.evaluate("card => card.dataset.old = 'yes'")
            await page.get_by_role("button", name="Re-make segment 1").click()
            await confirm(seen, shots, "7-remake-cost")
            fresh = page.locator('[data-segment="0"]:not([data-old])')
            await expect(fresh).to_be_visible(timeout=RENDER_MS)
            await expect(page.locator("#job-status")).to_have_text("succeeded")
            takes = fresh.locator(".takes li")
            await expect(takes).to_have_text(["take 1 use this take", "take 2 (in the video)"])
            await seen.shot(shots, "8-takes")

            await fresh.evaluate("card => card.dataset.old = 'yes'")
            await page.get_by_role("button", name="use take 1 of segment 1").click()
            text = await confirm(seen, shots, "9-go-back-cost")
            assert text
            again = page.locator('[data-segment="0"]:not([data-old])')
            await expect(again.locator(".takes li")).to_have_text(
                ["take 1 (in the video)", "take 2 use this take"], timeout=RENDER_MS
            )
            await expect(page.locator("#job-status")).to_have_text("succeeded")
            assert await page.locator('img[src="x"]').count() == 0
            assert seen.dialogs == [] and seen.errors == []


async def test_the_cast_is_shown_and_edited_in_the_page(tmp_path: Path) -> None:
    """A job with a cast, in review, opened from the recent jobs: the character's card shows
    its description (as text, markup included); a new description and a new reference are each
    previewed, confirmed, applied. Skipped, saying so, without the cast's routes."""
    with live_app(data_dir=tmp_path / "data") as server:
        paths = await require_studio(server)
        if "/jobs/{job_id}/cast/{name}" not in paths:
            pytest.skip("this service has no PATCH /jobs/{id}/cast/{name} (the cast's endpoints)")
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
            created = await client.post(
                "/jobs",
                json={
                    "story": "Mara keeps the lighthouse. At dawn Mara finds a bottle on the shore.",
                    "offline": True,
                    "segments": 2,
                    "resolution": "720P",
                    "review": True,
                    "cast": [{"name": "Mara", "description": f"a tall keeper in a red coat {XSS}"}],
                },
            )
        assert created.status_code == 202, created.text
        job_id = created.json()["id"]
        async with chromium_page(server.url + "/") as seen:
            page, expect = seen.page, seen.expect
            await page.get_by_role("button", name=f"open job {job_id}").click()
            await expect(page.locator("#job-status")).to_have_text("review", timeout=RENDER_MS)
            await expect(page.locator("#cast > li")).to_have_count(1)
            description = page.locator("#cast-0-description")
            await expect(description).to_have_value(f"a tall keeper in a red coat {XSS}")

            await page.locator("#cast > li").evaluate("card => card.dataset.old = 'yes'")
            await description.fill("a short keeper in a yellow coat")
            await page.get_by_role("button", name="Save description").click()
            await confirm(seen, tmp_path, "cast-description-cost")
            await expect(page.locator("#cast > li:not([data-old])")).to_be_visible(timeout=STEP_MS)
            await expect(page.locator("#job-status")).to_have_text("review")
            await expect(description).to_have_value("a short keeper in a yellow coat")

            await page.get_by_role("button", name="Draw a new reference").click()
            await confirm(seen, tmp_path, "cast-reroll-cost")
            await expect(page.locator("#studio-status")).not_to_have_class(
                re.compile("error"), timeout=STEP_MS
            )
            await expect(page.locator("#job-status")).to_have_text("review", timeout=STEP_MS)
            assert await page.locator('img[src="x"]').count() == 0
            assert seen.dialogs == [] and seen.errors == []
