"""One flaky call never fails a job (issue 10): with 30 % of planning, keyframe and speech calls
failing (HTTP 500/502, connections dropped before or after the service did the work) and 30 % of
video creates refused as clearly not accepted (429/503), a job still finishes, and each clip is
paid for exactly once."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.fakes.fixtures import FakeAPIs
from tests.fakes.harness import Fault
from tests.pipeline._cli import CLI, STORY, check_output

SEGMENTS = 3
CHEAP = (
    Fault("http", status=500),
    Fault("http", status=502),
    Fault("drop"),
    Fault("drop_after"),  # done and billed, answer lost: cents, so it is asked again
)
NOT_ACCEPTED = (Fault("http", status=429), Fault("http", status=503))


async def test_a_job_survives_thirty_percent_transient_faults(
    fake_apis: FakeAPIs, tmp_path: Path
) -> None:
    minimax, openai = fake_apis
    for seed, endpoint in enumerate(("chat/completions", "images/generations", "images/edits")):
        openai.make_flaky(endpoint, 0.3, CHEAP, seed=seed)
    minimax.make_flaky("t2a_v2", 0.3, CHEAP, seed=7)
    minimax.make_flaky("video_generation", 0.3, NOT_ACCEPTED, seed=11)
    story = tmp_path / "story.txt"
    await asyncio.to_thread(story.write_text, STORY, encoding="utf-8")

    done = await CLI(tmp_path / "logs").run(
        "make",
        str(story),
        "--out",
        str(tmp_path / "out"),
        "-n",
        str(SEGMENTS),
        "--yes",
        "--resolution",
        "720P",
        seconds=600,  # generous: a loaded machine, many retries
    )

    assert done.returncode == 0, done.output
    check_output(tmp_path / "out", SEGMENTS)
    # Faults really happened, and no clip was created twice.
    assert minimax.calls["t2a_v2"] > minimax.accepted["t2a_v2"] or (
        openai.calls["images/generations"] + openai.calls["images/edits"] > openai.images_made
    ), (minimax.stats(), openai.stats())
    assert minimax.accepted["video_generation"] == SEGMENTS
