"""Plan first, pay later: ``storyreel plan`` writes ``plan.json``, the user edits it, and
``storyreel render`` re-makes only what the edit reaches (content hashes decide), counted by the
fakes: a new narration costs one speech call; a new last frame costs one image and the two clips
that share it, and nothing else."""

from __future__ import annotations

import asyncio
import hashlib
import os
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import srt

from storyreel.plan import Plan
from tests.fakes.fixtures import FakeAPIs
from tests.pipeline._cli import CLI, StoreView, check_output

N = 3
STORY = (
    "The keeper climbs the tower at dusk. A storm hides the little boat. "
    "The lamp guides it home at dawn."
)
OUT = Path("out")


@pytest.fixture
async def view() -> AsyncIterator[StoreView]:
    await asyncio.to_thread(Path("story.txt").write_text, STORY, encoding="utf-8")
    store = StoreView(Path(os.environ["STORYREEL_DATA_DIR"]))
    yield store
    await store.aclose()


def _files() -> dict[str, str]:
    """Every artefact of the output folder -> its checksum; a paced narration (the narration
    fitted to its clip) counts as its narration."""
    found = [*OUT.glob("frames/*.png"), *OUT.glob("segments/*/*.*"), OUT / "final_video.mp4"]
    found = [p for p in found if not p.name.startswith("paced-")]
    return {str(p.relative_to(OUT)): hashlib.sha256(p.read_bytes()).hexdigest() for p in found}


def _changed(before: dict[str, str], after: dict[str, str]) -> set[str]:
    return {name for name in after if before.get(name) != after[name]}


def _edit(change: str, value: str, segment: int) -> None:
    plan = Plan.load(OUT / "plan.json")
    setattr(plan.segments[segment], change, value)
    plan.save(OUT / "plan.json")


def _counts(apis: FakeAPIs) -> Counter[str]:
    minimax, openai = apis
    return Counter(
        {
            "plan": openai.accepted["chat/completions"],
            "image": openai.accepted["images/generations"] + openai.accepted["images/edits"],
            "speech": minimax.accepted["t2a_v2"],
            "video": minimax.accepted["video_generation"],
        }
    )


async def test_an_edited_plan_remakes_only_what_the_edit_reaches(
    fake_apis: FakeAPIs, view: StoreView, tmp_path: Path
) -> None:
    cli = CLI(tmp_path / "logs")
    planned = await cli.run("plan", "story.txt", "--out", "out", "-n", str(N), "--yes")
    assert planned.returncode == 0, planned.output
    assert _counts(fake_apis) == Counter(plan=1)  # nothing else is paid for yet

    rendered = await cli.run("render", "out", "--yes")
    assert rendered.returncode == 0, rendered.output
    assert _counts(fake_apis) == Counter(plan=1, image=N + 1, speech=N, video=N)
    await asyncio.to_thread(check_output, OUT, N)
    first = await asyncio.to_thread(_files)

    # A new narration for segment 2: its speech, its segment, and the join; no image, no clip.
    new_words = "Rain hammers the glass as the keeper waits."
    await asyncio.to_thread(_edit, "narration", new_words, 1)
    again = await cli.run("render", "out", "--yes")
    assert again.returncode == 0, again.output
    assert "steps reused" in again.stdout
    assert _counts(fake_apis) == Counter(plan=1, image=N + 1, speech=N + 1, video=N)
    second = await asyncio.to_thread(_files)
    assert _changed(first, second) == {
        "segments/02/narration.mp3",
        "segments/02/segment.mp4",
        "final_video.mp4",
    }
    subtitles = await asyncio.to_thread((OUT / "final_video.srt").read_text, encoding="utf-8")
    assert new_words in " ".join(c.content.replace("\n", " ") for c in srt.parse(subtitles))

    # A new last frame for segment 1 is frame 1, shared with segment 2: one image, two clips.
    await asyncio.to_thread(_edit, "last_frame_prompt", "The tower under a green sky", 0)
    third_run = await cli.run("render", "out", "--yes")
    assert third_run.returncode == 0, third_run.output
    assert _counts(fake_apis) == Counter(plan=1, image=N + 2, speech=N + 1, video=N + 2)
    third = await asyncio.to_thread(_files)
    assert _changed(second, third) == {
        "frames/frame_01.png",
        "segments/01/clip.mp4",
        "segments/01/segment.mp4",
        "segments/02/clip.mp4",
        "segments/02/segment.mp4",
        "final_video.mp4",
    }
    await asyncio.to_thread(check_output, OUT, N)

    job = await view.job()
    assert job is not None and job.status == "succeeded"
    steps = {s.key: s for s in await view.store.list_steps(job.id)}
    assert steps["video:2"].attempts == 1 and steps["video:0"].attempts == 2
