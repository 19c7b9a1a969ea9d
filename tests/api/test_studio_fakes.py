"""Issue 13, review before paying, with keys, against the fake MiniMax and OpenAI: a job stops in
review with nothing paid for video; an edit re-makes only what it touched (the fakes' counters
say what was paid); a dry run pays nothing and changes nothing; a remake keeps the old clip and
going back to it pays nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from storyreel.api.app import create_app
from storyreel.config import Settings
from tests.api.helpers import in_process, wait_for
from tests.fakes.fixtures import FakeAPIs

STORY = (
    "A lighthouse keeper finds a glass bottle on the shore at dawn. "
    "Inside is a map of the night sky with one star missing. "
    "That night she climbs the tower and lights the lamp for the lost star."
)
SPEECH, VIDEO = "t2a_v2", "video_generation"


def paid(fake: FakeAPIs) -> dict[str, int]:
    return {
        "images": fake.openai.images_made,
        "speech": fake.minimax.accepted[SPEECH],
        "video": fake.minimax.accepted[VIDEO],
    }


async def both(
    client: httpx.AsyncClient, method: str, url: str, **kwargs: Any
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The dry run, then the real call: the preview, and what applying it answered."""
    preview = await client.request(method, f"{url}?dry_run=true", **kwargs)
    assert preview.status_code == 200, preview.text
    applied = await client.request(method, url, **kwargs)
    assert applied.status_code == 200, applied.text
    return preview.json(), applied.json()


def same_line_length(text: str) -> str:
    """Another sentence of as many words: the same clip length (speech decides durations)."""
    return " ".join(["Waves", *text.split()[1:]])


async def test_review_edit_reroll_approve_then_pay_only_for_what_changed(
    fake_apis: FakeAPIs, tmp_path: Path
) -> None:
    async with in_process(create_app(Settings(data_dir=tmp_path))) as client:
        created = await client.post(
            "/jobs", json={"story": STORY, "segments": 3, "resolution": "768P", "review": True}
        )
        assert created.status_code == 202, created.text
        job_id = created.json()["id"]
        job = await wait_for(client, job_id, ("review",))
        # The cheap stages only: 4 keyframes, 3 narrations, no clip asked for.
        assert paid(fake_apis) == {"images": 4, "speech": 3, "video": 0}
        assert job["estimate"]["total_usd"] > 0  # what approving will pay
        board = (await client.get(f"/jobs/{job_id}/board")).json()
        assert board["status"] == "review" and len(board["frames"]) == 4
        assert board["pending_usd"] > 0 and all(f["url"] for f in board["frames"])
        plan_file = tmp_path / "jobs" / job_id / "plan.json"
        before = plan_file.read_bytes()

        # A narration edit: its preview names it and pays nothing; applied, one speech call.
        narration = same_line_length(board["segments"][0]["narration"])
        edit = {"segments": [{"index": 0, "narration": narration}]}
        dry = await client.patch(f"/jobs/{job_id}/plan?dry_run=true", json=edit)
        assert dry.json()["remakes"] == ["speech:0"] and dry.json()["applied"] is False
        assert dry.json()["cost_usd"] > 0
        assert paid(fake_apis) == {"images": 4, "speech": 3, "video": 0}
        assert plan_file.read_bytes() == before
        assert (await client.get(f"/jobs/{job_id}")).json()["status"] == "review"
        applied = await client.patch(f"/jobs/{job_id}/plan", json=edit)
        assert applied.json()["applied"] is True
        await wait_for(client, job_id, ("review",))
        assert paid(fake_apis) == {"images": 4, "speech": 4, "video": 0}
        assert fake_apis.minimax.requests_for(SPEECH)[-1].json["text"] == narration

        # A re-roll of frame 2: one picture, and a different one.
        old = (await client.get(f"/jobs/{job_id}/frames/2")).content
        preview, _ = await both(client, "POST", f"/jobs/{job_id}/frames/2/reroll")
        assert preview["remakes"] == ["frame:2"]
        await wait_for(client, job_id, ("review",))
        assert paid(fake_apis) == {"images": 5, "speech": 4, "video": 0}
        assert (await client.get(f"/jobs/{job_id}/frames/2")).content != old

        approve = await client.post(f"/jobs/{job_id}/approve?dry_run=true")
        assert approve.json()["remakes"][:3] == ["video:0", "video:1", "video:2"]
        assert paid(fake_apis)["video"] == 0
        approved = await client.post(f"/jobs/{job_id}/approve")
        assert approved.status_code == 200 and approved.json()["status"] == "queued"
        await wait_for(client, job_id)
        assert paid(fake_apis) == {"images": 5, "speech": 4, "video": 3}

        # After the render: a narration and a keyframe changed again. Only that segment's
        # speech and the two clips sharing frame 1 (segments 1 and 2) are paid again.
        board = (await client.get(f"/jobs/{job_id}/board")).json()
        narration = same_line_length(board["segments"][2]["narration"])
        edit = {"segments": [{"index": 2, "narration": narration}]}
        preview, _ = await both(client, "PATCH", f"/jobs/{job_id}/plan", json=edit)
        assert preview["remakes"] == ["speech:2", "mux:2", "assemble"]
        await wait_for(client, job_id, ("review",))
        preview, _ = await both(client, "POST", f"/jobs/{job_id}/frames/1/reroll")
        assert preview["remakes"] == ["frame:1", "video:0", "video:1", "mux:0", "mux:1"]
        assert "clips 1 and 2" in preview["summary"]
        await wait_for(client, job_id, ("review",))
        counted = paid(fake_apis)
        assert counted == {"images": 6, "speech": 5, "video": 3}  # no clip before approval
        assert (await client.post(f"/jobs/{job_id}/approve")).status_code == 200
        job = await wait_for(client, job_id)
        assert paid(fake_apis) == {"images": 6, "speech": 5, "video": 5}
        assert job["estimate"]["total_usd"] == 0
        prompts = [r.json["prompt"] for r in fake_apis.minimax.requests_for(VIDEO)[-2:]]
        assert sorted(prompts) == sorted(s["video_prompt"] for s in board["segments"][:2])


async def test_remake_keeps_a_version_and_select_goes_back_without_paying(
    fake_apis: FakeAPIs, tmp_path: Path
) -> None:
    async with in_process(create_app(Settings(data_dir=tmp_path))) as client:
        created = await client.post("/jobs", json={"story": STORY, "segments": 2})
        job_id = created.json()["id"]
        await wait_for(client, job_id)
        assert paid(fake_apis)["video"] == 2
        first_clip = (await client.get(f"/jobs/{job_id}/segments/1/clip")).content

        preview, applied = await both(client, "POST", f"/jobs/{job_id}/segments/1/remake")
        assert preview["remakes"] == ["video:1", "mux:1", "assemble"] and preview["cost_usd"] > 0
        assert applied["applied"] is True
        await wait_for(client, job_id)
        assert paid(fake_apis)["video"] == 3
        board = (await client.get(f"/jobs/{job_id}/board")).json()
        versions = board["segments"][1]["versions"]
        assert [(v["version"], v["current"]) for v in versions] == [(1, False), (2, True)]
        kept = await client.get(versions[0]["url"])
        assert kept.status_code == 200 and kept.content == first_clip

        counted = paid(fake_apis)
        preview, _ = await both(client, "POST", f"/jobs/{job_id}/segments/1/versions/1/select")
        assert preview["cost_usd"] == 0 and preview["remakes"] == ["mux:1", "assemble"]
        job = await wait_for(client, job_id)
        assert paid(fake_apis) == counted  # going back paid for nothing
        assert (await client.get(f"/jobs/{job_id}/segments/1/clip")).content == first_clip
        board = (await client.get(f"/jobs/{job_id}/board")).json()
        current = [v["version"] for v in board["segments"][1]["versions"] if v["current"]]
        assert current == [1]
        assert (await client.get(job["video_url"])).status_code == 200
