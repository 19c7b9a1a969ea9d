"""Content hashes: stable, and an edit invalidates exactly the steps that depend on it."""

from __future__ import annotations

from pathlib import Path

import pytest

from storyreel.assembly.spec import OutputSpec
from storyreel.pipeline.hashing import (
    HashContext,
    afile_sha256,
    canonical_json,
    changed_steps,
    content_hash,
    file_sha256,
    frame_prompts,
    speech_hash,
    step_hashes,
    video_hash,
)
from storyreel.plan import Plan, Segment

CTX = HashContext(
    image_provider="openai",
    image_model="gpt-image-1",
    frame_size=(1366, 768),
    video_provider="minimax",
    video_model="MiniMax-Hailuo-02",
    resolution="768P",
    speech_provider="minimax",
    speech_model="speech-02-hd",
    voice_id="storyreel-voice-1",
    speech_speed=1.0,
    spec=OutputSpec.for_resolution("768P"),
)


def make_plan(n: int = 4) -> Plan:
    return Plan(
        title="The lighthouse",
        style="watercolour, soft light",
        segments=[
            Segment(
                narration=f"Narration of part {i}.",
                video_prompt=f"[Zoom in] the keeper climbs, part {i}",
                first_frame_prompt=f"first frame {i}",
                last_frame_prompt=f"last frame {i}",
                camera="Zoom in",
            )
            for i in range(n)
        ],
    )


def edited(plan: Plan, index: int, **changes: str) -> Plan:
    copy = plan.model_copy(deep=True)
    segment = copy.segments[index].model_copy(update=changes)
    copy.segments[index] = Segment.model_validate(segment.model_dump())
    return copy


def test_canonical_json_ignores_key_order_and_whitespace() -> None:
    assert canonical_json({"b": 1, "a": [1, "é"]}) == canonical_json({"a": [1, "é"], "b": 1})
    assert canonical_json({"a": 1}) == b'{"a":1}'
    with pytest.raises(ValueError):
        canonical_json({"a": float("nan")})


def test_content_hash_is_stable_and_tagged_by_kind() -> None:
    fields = {"prompt": "x", "n": 1}
    assert content_hash("frame", fields) == content_hash("frame", dict(reversed(fields.items())))
    assert content_hash("frame", fields) != content_hash("video", fields)
    # Pinned: a change to the canonical form would silently invalidate every stored job (bump
    # HASH_VERSION on purpose instead).
    assert content_hash("frame", fields) == (
        "6364fb3a2d3447975a684485196bf73a972ffc6f34c376a3d2b3912eed4c99ea"
    )
    assert len(content_hash("frame", fields)) == 64


def test_each_input_of_a_step_changes_its_hash() -> None:
    base = dict(
        prompt="p",
        camera="Zoom in",
        duration=6,
        resolution="768P",
        provider="minimax",
        model="MiniMax-Hailuo-02",
        first_frame_sha="a" * 64,
        last_frame_sha="b" * 64,
    )
    reference = video_hash(**base)  # type: ignore[arg-type]
    variants = {
        "prompt": "q",
        "camera": "Pan left",
        "duration": 10,
        "resolution": "1080P",
        "provider": "offline",
        "model": "other",
        "first_frame_sha": "c" * 64,
        "last_frame_sha": "d" * 64,
    }
    for name, value in variants.items():
        assert video_hash(**{**base, name: value}) != reference, name  # type: ignore[arg-type]
    assert video_hash(**{**base, "resolution": "768p"}) == reference  # type: ignore[arg-type]
    one = speech_hash(narration="n", voice_id="v", provider="minimax", model="m", speed=1.0)
    assert one == speech_hash(narration="n", voice_id="v", provider="minimax", model="m", speed=1)
    assert one != speech_hash(narration="n", voice_id="w", provider="minimax", model="m", speed=1)


def test_frames_are_shared_between_neighbouring_segments() -> None:
    plan = make_plan(3)
    assert frame_prompts(plan) == ["first frame 0", "last frame 0", "last frame 1", "last frame 2"]
    assert set(step_hashes(plan, CTX)) == {
        *(f"frame:{k}" for k in range(4)),
        *(f"{kind}:{i}" for kind in ("speech", "video", "mux") for i in range(3)),
        "assemble",
    }


def test_editing_narration_changes_only_that_segments_speech_and_mux() -> None:
    plan = make_plan()
    before = step_hashes(plan, CTX)
    after = step_hashes(edited(plan, 2, narration="A different line."), CTX)
    assert changed_steps(before, after) == {"speech:2", "mux:2", "assemble"}


def test_editing_a_frame_prompt_changes_that_frame_and_both_neighbouring_videos() -> None:
    plan = make_plan()
    before = step_hashes(plan, CTX)
    # Segment 1's last frame is frame 2, which also opens segment 2.
    after = step_hashes(edited(plan, 1, last_frame_prompt="the storm breaks"), CTX)
    assert changed_steps(before, after) == {
        "frame:2",
        "video:1",
        "video:2",
        "mux:1",
        "mux:2",
        "assemble",
    }


def test_editing_the_reference_frame_redraws_every_frame() -> None:
    # Frames 1..N are drawn with frame 0 as their reference, so frame 0 is upstream of all.
    plan = make_plan(2)
    before = step_hashes(plan, CTX)
    after = step_hashes(edited(plan, 0, first_frame_prompt="a new opening"), CTX)
    assert {"frame:0", "frame:1", "frame:2", "video:0", "video:1"} <= changed_steps(before, after)


def test_video_prompt_and_duration_change_only_that_segment() -> None:
    plan = make_plan()
    before = step_hashes(plan, CTX)
    after = step_hashes(edited(plan, 3, video_prompt="[Zoom in] waves"), CTX)
    assert changed_steps(before, after) == {"video:3", "mux:3", "assemble"}
    longer = step_hashes(plan, CTX, durations={0: 10})
    assert changed_steps(before, longer) == {"video:0", "mux:0", "assemble"}


def test_recorded_artefact_shas_replace_the_stand_ins() -> None:
    plan = make_plan(2)
    shas = {"video:0": "f" * 64}
    with_file = step_hashes(plan, CTX, artefact_sha=shas.get)
    assert changed_steps(step_hashes(plan, CTX), with_file) == {"mux:0", "assemble"}
    # A redrawn frame with a different file invalidates both its videos, even with the same prompt.
    redrawn = step_hashes(plan, CTX, artefact_sha={"frame:1": "e" * 64}.get)
    assert {"video:0", "video:1"} <= changed_steps(step_hashes(plan, CTX), redrawn)


def test_context_changes_invalidate_their_stage() -> None:
    plan = make_plan(2)
    before = step_hashes(plan, CTX)
    voice = step_hashes(plan, HashContext(**{**CTX.__dict__, "voice_id": "another"}))
    assert changed_steps(before, voice) == {"speech:0", "speech:1", "mux:0", "mux:1", "assemble"}
    subtitles = step_hashes(plan, HashContext(**{**CTX.__dict__, "subtitles": "burn"}))
    assert changed_steps(before, subtitles) == {"assemble"}


async def test_file_sha256_streams_large_files(tmp_path: Path) -> None:
    import hashlib

    data = bytes(range(256)) * 9000  # > 2 MiB: several chunks
    path = tmp_path / "clip.bin"
    path.write_bytes(data)
    assert file_sha256(path) == hashlib.sha256(data).hexdigest()
    assert await afile_sha256(path) == hashlib.sha256(data).hexdigest()
