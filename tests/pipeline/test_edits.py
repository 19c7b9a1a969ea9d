"""What an edit re-makes (issue 13): takes and uploads in the content hashes, older hashes kept,
and the stale steps of an edited plan against the store's records."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from storyreel.pipeline.edits import describe, stale_steps
from storyreel.pipeline.hashing import content_hash, frame_hash, step_hashes, upload_frame_hash
from storyreel.pipeline.store import Step, parse_step_key
from tests.pipeline.test_hashing import CTX, make_plan

FRAME = {
    "prompt": "a lighthouse",
    "style": "ink",
    "size": (1366, 768),
    "provider": "openai",
    "model": "gpt-image-1",
    "reference_sha": None,
}


def test_take_one_keeps_the_hash_of_frames_made_before_takes_existed() -> None:
    before = content_hash(
        "frame", {**{k: v for k, v in FRAME.items() if k not in ("size", "reference_sha")},
                  "size": [1366, 768], "reference": None},
    )  # fmt: skip
    assert frame_hash(**FRAME) == frame_hash(**FRAME, take=1) == before  # type: ignore[arg-type]
    assert frame_hash(**FRAME, take=2) != before  # type: ignore[arg-type]
    upload = upload_frame_hash(upload_sha="ab" * 32, size=(1366, 768))
    assert upload != before and upload == upload_frame_hash(upload_sha="ab" * 32, size=(1366, 768))


def done(key: str, inputs: str, at: float = 1.0) -> Step:
    kind, index = parse_step_key(key)
    return Step(
        job_id="j", key=key, kind=kind, segment=index, state="done", inputs_hash=inputs,
        provider="p", provider_ref=None, artefact_path=Path(f"/x/{key}"),
        artefact_sha256=f"sha-of-{key}", attempts=1, error=None, cost_estimate_usd=None,
        cost_actual_usd=None, intent_at=None, submitted_at=None, finished_at=at, created_at=0,
        updated_at=at,
    )  # fmt: skip


def rendered(plan_steps: dict[str, str]) -> dict[str, Step]:
    return {key: done(key, value) for key, value in plan_steps.items()}


def test_a_rerolled_frame_makes_its_two_clips_stale_and_nothing_else() -> None:
    plan = make_plan(4)
    records = rendered(step_hashes(plan, CTX, artefact_sha=lambda key: f"sha-of-{key}"))
    assert stale_steps(plan, CTX, records, {}) == set()
    plan.takes["frame:2"] = 2
    assert stale_steps(plan, CTX, records, {}) == {
        "frame:2", "video:1", "video:2", "mux:1", "mux:2", "assemble",
    }  # fmt: skip
    # Frame 0 is the others' reference: an upload there re-makes every frame and clip.
    uploaded = stale_steps(make_plan(4), CTX, records, {0: "cd" * 32})
    assert {f"frame:{k}" for k in range(5)} <= uploaded and "video:3" in uploaded


def test_a_mux_older_than_its_narration_is_stale() -> None:
    plan = make_plan(2)
    records = rendered(step_hashes(plan, CTX, artefact_sha=lambda key: f"sha-of-{key}"))
    records["speech:1"] = done("speech:1", records["speech:1"].inputs_hash or "", at=5.0)
    assert stale_steps(plan, CTX, records, {}) == {"mux:1", "assemble"}


def test_the_summary_names_frames_narrations_and_clips_as_people_count_them() -> None:
    line = describe(["frame:3", "speech:1", "video:2", "video:3", "mux:2", "assemble"],
                    Decimal("0.62"), Decimal("0.62"))  # fmt: skip
    assert line.startswith("re-makes frame 3, narration 2 and clips 3 and 4: $0.62")
    assert describe(["assemble"], Decimal(0), Decimal(0)).startswith("re-assembles the video")
