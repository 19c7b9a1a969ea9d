"""The cast: which frames show whom, what a new reference re-draws, old plans, offline figures."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest
from PIL import Image

from storyreel.cast import characters_in, shows
from storyreel.pipeline.hashing import changed_steps, step_hashes
from storyreel.plan import Character, Plan, PlanError
from storyreel.providers.base import Reference
from storyreel.providers.offline.images import render_keyframe
from storyreel.providers.offline.images.figures import coat_point, figure_for
from storyreel.providers.offline.images.scene import cast_slot
from storyreel.providers.offline.images.words import prompt_words
from storyreel.providers.offline.planner import build_plan
from tests.pipeline.test_hashing import CTX

SEGMENT = {"narration": "x", "video_prompt": "[Zoom in] x", "camera": "Zoom in", "duration": 6}


def cast_plan(**cast_changes: object) -> Plan:
    prompts = ["Mira at the door", "Mira and Tom on the hill", "An empty road", "Tom alone"]
    segments = [
        {**SEGMENT, "first_frame_prompt": first, "last_frame_prompt": last}
        for first, last in itertools.pairwise(prompts)
    ]
    cast = [
        {"name": "Mira", "description": "a girl in a red coat", "picture": "cast/upload_a.png"},
        {"name": "Tom", "description": "a boy in a blue jacket"},
    ]
    cast[0].update(cast_changes)
    return Plan.model_validate({"title": "t", "segments": segments, "cast": cast})


def test_a_frame_shows_the_characters_its_prompt_names() -> None:
    assert shows("Mira's lantern glows", "Mira") and shows("MIRA runs", "mira")
    assert not shows("Miranda waves", "Mira")
    assert shows("小明站在门口", "小明") and not shows("小红站在门口", "小明")
    cast = cast_plan().cast
    assert characters_in("Tom and Mira", cast) == [0, 1]  # cast order, not prompt order


def test_a_new_reference_redraws_exactly_the_frames_showing_that_character() -> None:
    plan = cast_plan()
    ctx = {**CTX.__dict__, "picture_shas": {"cast/upload_a.png": "a" * 64}}
    before = step_hashes(plan, type(CTX)(**ctx))
    new_picture = cast_plan(picture="cast/upload_b.png")
    ctx["picture_shas"] = {"cast/upload_b.png": "b" * 64}
    after = step_hashes(new_picture, type(CTX)(**ctx))
    changed = changed_steps(before, after)
    # Mira is in frames 0 and 1 only; Tom's portrait and frames 2, 3 stay.
    assert {k for k in changed if k.startswith(("frame", "cast"))} == {"frame:0", "frame:1"}
    assert {"video:0", "video:1", "mux:0", "mux:1", "assemble"} <= changed
    assert "video:2" not in changed


def test_a_drawn_portrait_follows_its_description() -> None:
    plan = cast_plan()
    before = step_hashes(plan, CTX)
    plan.cast[1] = plan.cast[1].model_copy(update={"description": "a boy in a green cloak"})
    changed = changed_steps(before, step_hashes(plan, CTX))
    assert {k for k in changed if k.startswith(("frame", "cast"))} == {
        "cast:1",
        "frame:1",
        "frame:3",
    }
    rerolled = plan.model_copy(deep=True)
    rerolled.cast[1] = rerolled.cast[1].model_copy(update={"take": 1})
    assert "cast:1" in changed_steps(step_hashes(plan, CTX), step_hashes(rerolled, CTX))


def test_an_old_plan_without_a_cast_loads_and_keeps_its_hashes(tmp_path: Path) -> None:
    plan = cast_plan()
    data = json.loads(plan.model_dump_json())
    del data["cast"]
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(data))
    old = Plan.load(path)
    assert old.cast == []
    # Saved again, it is written as before the cast existed (older workers read it).
    old.save(tmp_path / "again.json")
    assert "cast" not in json.loads((tmp_path / "again.json").read_text())
    # Without a cast, frame 0 stays every frame's reference: the old hashes hold.
    hashes = step_hashes(old, CTX)
    assert (
        hashes["frame:1"]
        != step_hashes(old, CTX, artefact_sha={"frame:0": "f" * 64}.get)["frame:1"]
    )


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        ({"name": "", "description": "x"}, "cast[0].name: is empty"),
        ({"name": "A", "description": "x", "picture": "../secret.png"}, "cast[0].picture"),
        ({"name": "A", "description": "x", "picture": "/etc/passwd.png"}, "cast[0].picture"),
        ({"name": "A", "description": "x" * 401}, "cast[0].description"),
    ],
)
def test_a_bad_cast_entry_is_named(tmp_path: Path, entry: dict[str, str], problem: str) -> None:
    data = json.loads(cast_plan().model_dump_json())
    data["cast"] = [entry]
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(data))
    with pytest.raises(PlanError) as caught:
        Plan.load(path)
    assert problem in str(caught.value)


def test_the_offline_planner_finds_recurring_names_and_their_looks() -> None:
    plan = build_plan(
        "Mira wore a red coat and Tom a blue jacket. Mira and Tom walked to the sea. "
        "Tom waved at the boats.",
        language="en",
    )
    assert [(c.name, c.description) for c in plan.cast] == [
        ("Mira", "Mira with red coat"),
        ("Tom", "Tom with blue jacket"),
    ]


def test_offline_frames_draw_a_character_the_same_way_in_every_frame(tmp_path: Path) -> None:
    mira = Reference(None, "Mira", "a girl in a red coat")
    tom = Reference(None, "Tom", "a boy in a blue jacket")
    size = (640, 360)
    alone = render_keyframe("Mira at the door of the cottage", size, "ink", [mira])
    together = render_keyframe("Mira and Tom on the hill at noon", size, "ink", [mira, tom])
    figure = figure_for("Mira", "a girl in a red coat")
    assert figure.coat == (196, 42, 38)  # "red coat": the description's colour

    def coat_pixel(image: Image.Image, prompt: str, slot: int, count: int) -> object:
        # The scene's horizon comes from its own random draw: find the figure where it stands.
        from random import Random

        from storyreel.providers.offline.images.palette import seed

        horizon = round(size[1] * 2 * Random(seed("scene", prompt, "ink")).uniform(0.58, 0.7))
        x, feet, standard = cast_slot(
            size[0] * 2, size[1] * 2, horizon, slot, count, prompt_words(prompt)
        )
        px, py = coat_point(x, feet, standard, figure)
        return image.getpixel((round(px / 2), round(py / 2)))

    assert coat_pixel(alone, "Mira at the door of the cottage", 0, 1) == figure.coat
    assert coat_pixel(together, "Mira and Tom on the hill at noon", 0, 2) == figure.coat
    tom_figure = figure_for("Tom", "a boy in a blue jacket")
    assert tom_figure.coat == (40, 86, 190) and tom_figure != figure


def test_an_offline_portrait_carries_its_figure_to_the_frames(tmp_path: Path) -> None:
    import asyncio

    from storyreel.providers.offline.images import OfflineImageGen
    from storyreel.providers.offline.images.figures import figure_from_picture

    gen = OfflineImageGen()
    who = Reference(None, "Mira", "a girl in a red coat and a grey hat")
    out = asyncio.run(gen.portrait(who, out=tmp_path / "p.png", size=(512, 512)))
    assert figure_from_picture(out, "Mira", "") == figure_for("Mira", who.description)
    # An upload carries no note: its own colours make the figure.
    upload = tmp_path / "u.png"
    Image.new("RGB", (400, 400), (20, 160, 60)).save(upload)
    assert figure_from_picture(upload, "Mira", who.description).coat == (20, 160, 60)
    assert Character(name="Mira", description="x").picture is None
