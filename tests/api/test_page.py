"""The web page's fixes of issue 13 in real headless Chromium: an empty story is refused, the
status line follows the job, the subtitles and manifest download, a story in any script (and
one that is an XSS attempt) shows as text in the page's fonts, recent jobs filter and delete."""

from __future__ import annotations

import re
from pathlib import Path

from tests.api.browser import chromium_page, fonts_drawing, needs_chromium
from tests.api.helpers import live_app

pytestmark = needs_chromium

XSS = "<img src=x onerror=alert(1)>"
# Chinese and Arabic, and markup that would run if any of it were inserted as HTML.
# The first line is the title, which the list and the job show.
WORLD_STORY = (
    f"{XSS} 灯塔 منارة\n\n灯塔守护者在海边找到一个玻璃瓶。 حارسة المنارة تجد زجاجة على الشاطئ."
)
JOB_SECONDS = 60_000  # ms: a one-segment offline job, on a busy machine


async def submit(page: object, story: str) -> None:
    await page.fill("#story", story)  # type: ignore[attr-defined]
    await page.fill("#segments", "1")  # type: ignore[attr-defined]
    await page.select_option("#resolution", "720P")  # type: ignore[attr-defined]
    await page.click("#submit")  # type: ignore[attr-defined]


async def test_an_empty_story_is_refused_with_a_message(tmp_path: Path) -> None:
    with live_app(data_dir=tmp_path / "data") as server:
        async with chromium_page(server.url + "/") as seen:
            page = seen.page
            await page.wait_for_selector("#mode:not([hidden])")
            await page.fill("#story", "   \n ")
            await page.click("#submit")
            status = page.locator("#form-status")
            await seen.expect(status).to_have_text(
                "story: write the story to turn into a video first"
            )
            assert await status.get_attribute("class") == "status error"
            assert await page.get_attribute("#story", "aria-invalid") == "true"
            assert await page.evaluate("document.activeElement.id") == "story"
            assert await page.is_hidden("#job")
            assert seen.errors == []
            # Nothing was submitted: not the placeholder either.
            listed = await page.request.get(server.url + "/jobs")
            assert (await listed.json())["jobs"] == []


async def test_status_line_downloads_and_a_story_in_any_script_shown_as_text(
    tmp_path: Path,
) -> None:
    with live_app(data_dir=tmp_path / "data") as server:
        async with chromium_page(server.url + "/") as seen:
            page = seen.page
            await page.wait_for_selector("#mode:not([hidden])")
            assert not await page.is_checked("#review")  # offline: nothing paid to review
            await submit(page, WORLD_STORY)
            # The line next to the button follows the job to its end (it stayed "queued").
            await seen.expect(page.locator("#form-status")).to_have_text(
                re.compile(r"^job [a-z2-7]{16}: succeeded$"), timeout=JOB_SECONDS
            )
            job_id = (await page.text_content("#job-id")) or ""
            for link, path in (
                ("#download", "video"),
                ("#download-srt", "subtitles"),
                ("#download-manifest", "manifest"),
            ):
                await seen.expect(page.locator(link)).to_be_visible()
                assert await page.get_attribute(link, "href") == f"/jobs/{job_id}/{path}"
            srt = await page.request.get(f"{server.url}/jobs/{job_id}/subtitles")
            assert srt.headers["content-disposition"] == (
                f'attachment; filename="storyreel-{job_id}.srt"'
            )
            assert "灯塔" in await srt.text()

            # The story is text everywhere: the list shows the markup, no element was made of
            # it, nothing ran.
            preview = page.locator(f'#jobs li[data-job="{job_id}"] .preview')
            await seen.expect(preview).to_have_text(f"{XSS} 灯塔 منارة")
            await seen.expect(page.locator("#job-title")).to_have_text(f"{XSS} 灯塔 منارة")
            assert await page.locator('img[src="x"]').count() == 0
            assert await page.locator("#jobs img, #job-steps img, #stages img").count() == 0
            assert seen.dialogs == []

            # Chinese and Arabic drawn with the fonts the app serves, not a missing-glyph box.
            drawn = await fonts_drawing(page, f'#jobs li[data-job="{job_id}"] .preview')
            assert set(drawn) == {"Noto Sans CJK SC", "Noto Sans Arabic"}, drawn
            # 灯塔: two glyphs; منارة: five letters (and the spaces its run may take).
            assert drawn["Noto Sans CJK SC"] == 2 and drawn["Noto Sans Arabic"] >= 5, drawn
            assert seen.errors == []


async def test_recent_jobs_filter_and_delete(tmp_path: Path) -> None:
    with live_app(data_dir=tmp_path / "data") as server:
        async with chromium_page(server.url + "/") as seen:
            page = seen.page
            await submit(page, "A lighthouse keeper finds a bottle on the shore.")
            await seen.expect(page.locator("#job-status")).to_have_text(
                "succeeded", timeout=JOB_SECONDS
            )
            job_id = (await page.text_content("#job-id")) or ""
            item = page.locator(f'#jobs li[data-job="{job_id}"]')
            await seen.expect(item).to_be_visible()

            # Text filter (in the page) and status filter (asked of the server).
            await page.fill("#jobs-text", "no such words")
            await seen.expect(page.locator("#jobs li")).to_have_text(["No job matches."])
            await page.fill("#jobs-text", job_id[:6])
            await seen.expect(item).to_be_visible()
            await page.select_option("#jobs-status", "failed")
            await seen.expect(page.locator("#jobs li")).to_have_text(["No job matches."])
            await page.select_option("#jobs-status", "succeeded")
            await seen.expect(item).to_be_visible()
            await page.fill("#jobs-text", "")

            # Delete: the in-page confirm first; cancel keeps the job.
            await item.get_by_role("button", name=f"delete job {job_id}").click()
            dialog = page.locator("#confirm")
            await seen.expect(dialog).to_be_visible()
            await seen.expect(page.locator("#confirm-title")).to_have_text(f"Delete job {job_id}?")
            await page.click("#confirm-no")
            await seen.expect(dialog).to_be_hidden()
            assert (await page.request.get(f"{server.url}/jobs/{job_id}")).status == 200

            await item.get_by_role("button", name=f"delete job {job_id}").click()
            await page.click("#confirm-yes")
            await seen.expect(page.locator("#jobs-note")).to_have_text(f"job {job_id} deleted")
            await seen.expect(item).to_have_count(0)
            await seen.expect(page.locator("#job")).to_be_hidden()  # it was the one on screen
            assert (await page.request.get(f"{server.url}/jobs/{job_id}")).status == 404
            assert not (tmp_path / "data" / "jobs" / job_id).exists()
            assert seen.dialogs == [] and seen.errors == []
