"""What each segment shows: its camera move and the prompts for its first frame, last frame
and clip."""

from __future__ import annotations

import re

from storyreel.providers.offline.planner.sentences import drop_end_mark

# First matching rule wins; each offers two commands so consecutive segments can differ.
_CAMERA_RULES: tuple[tuple[re.Pattern[str], tuple[str, str]], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), commands)
    for pattern, commands in (
        (r"\b(storm|thunder|earthquake|explo\w*|crash\w*|shook|shake|trembl\w*|quake\w*)\b",
         ("Shake", "Static shot")),
        (r"\b(climb\w*|rose|rise[sn]?|rising|ascend\w*|soar\w*|flew up|looked up|towering|"
         r"up the|upward\w*|summit|sky)\b", ("Tilt up", "Crane up")),
        (r"\b(fell|fall\w*|descend\w*|sank|sink\w*|dove|dive\w*|down (?:the|into|to)|"
         r"below|beneath|looked down)\b", ("Tilt down", "Crane down")),
        (r"\b(far (?:out|away|off)|distance|distant|horizon|vast|whole|across the|"
         r"as far as|landscape|panorama)\b", ("Zoom out", "Pull out")),
        (r"\b(around|circl\w*|surround\w*|spun|spinning|orbit\w*|whirl\w*)\b",
         ("Orbit right", "Orbit left")),
        (r"\b(walk\w*|ran|run\w*|chas\w*|follow\w*|rac\w*|hurr\w*|march\w*|rode|riding|"
         r"journey\w*|travel\w*|along)\b", ("Tracking shot", "Truck right")),
        (r"\b(enter\w*|approach\w*|toward\w*|towards|stepped into|into the|door\w*)\b",
         ("Dolly forward", "Push in")),
        (r"\b(left behind|leav\w*|retreat\w*|away from|backed|farewell|goodbye|departed)\b",
         ("Dolly back", "Pull out")),
        (r"\b(face|eyes|whisper\w*|letter|tiny|small|closer|detail|noticed|secret|"
         r"hand|hands|glint\w*)\b", ("Zoom in", "Push in")),
        (r"\b(street|shore|river|road|row|market|crowd|coast|beach|skyline)\b",
         ("Pan right", "Pan left")),
        (r"\b(silence|silent|still|quiet|waited|waiting|paused|calm|slept|asleep)\b",
         ("Static shot", "Push in")),
    )
)  # fmt: skip

# For sentences with no telling word: a sequence that alternates push/pan/tilt/pull so no two
# neighbours look alike.
_ROTATION = (
    "Push in",
    "Pan right",
    "Tilt up",
    "Zoom out",
    "Truck left",
    "Dolly forward",
    "Orbit right",
    "Pan left",
    "Crane up",
    "Zoom in",
    "Truck right",
    "Pull out",
)
_RECENT = 2  # a command is not reused within this many segments (unless the words insist)


def choose_cameras(narrations: list[str]) -> list[str]:
    chosen: list[str] = []
    turn = 0
    for text in narrations:
        recent = chosen[-_RECENT:]
        pick = None
        for pattern, commands in _CAMERA_RULES:
            if pattern.search(text):
                pick = next((c for c in commands if c not in recent), None)
                if pick:
                    break
        if pick is None:
            for step in range(len(_ROTATION)):
                candidate = _ROTATION[(turn + step) % len(_ROTATION)]
                if candidate not in recent:
                    pick = candidate
                    turn = (turn + step + 1) % len(_ROTATION)
                    break
        chosen.append(pick or "Static shot")
    return chosen


# -- prompts -------------------------------------------------------------------------------------

_FRAMING: dict[str, tuple[str, str]] = {
    "Zoom in": ("wide shot", "close-up"),
    "Push in": ("medium-wide shot", "close medium shot"),
    "Dolly forward": ("wide shot", "medium shot, closer to the subject"),
    "Zoom out": ("close-up", "wide establishing shot"),
    "Pull out": ("medium shot", "wide shot"),
    "Dolly back": ("medium shot", "wide shot, the subject smaller in the frame"),
    "Tilt up": ("low view of the ground", "view tilted up toward the sky"),
    "Pedestal up": ("low eye-level view", "higher view"),
    "Crane up": ("ground-level view", "high view from above"),
    "Tilt down": ("view of the sky and tops", "view tilted down to the ground"),
    "Pedestal down": ("high eye-level view", "lower view"),
    "Crane down": ("high view from above", "ground-level view"),
    "Pan left": ("view to the right", "view turned to the left"),
    "Pan right": ("view to the left", "view turned to the right"),
    "Truck left": ("side view", "side view, moved left"),
    "Truck right": ("side view", "side view, moved right"),
    "Orbit left": ("three-quarter view", "opposite three-quarter view"),
    "Orbit right": ("three-quarter view", "opposite three-quarter view"),
    "Tracking shot": ("side view following the subject", "side view, further along the way"),
    "Shake": ("unsteady wide shot", "unsteady wide shot"),
    "Static shot": ("steady medium shot", "steady medium shot"),
}
_MOTION: dict[str, str] = {
    "Zoom in": "The camera slowly zooms in",
    "Zoom out": "The camera slowly zooms out to reveal the scene",
    "Push in": "The camera pushes in gently",
    "Pull out": "The camera pulls out",
    "Dolly forward": "The camera dollies forward",
    "Dolly back": "The camera dollies back",
    "Pan left": "The camera pans left",
    "Pan right": "The camera pans right",
    "Truck left": "The camera trucks left",
    "Truck right": "The camera trucks right",
    "Tilt up": "The camera tilts up",
    "Tilt down": "The camera tilts down",
    "Pedestal up": "The camera rises on a pedestal",
    "Pedestal down": "The camera lowers on a pedestal",
    "Crane up": "The camera cranes up",
    "Crane down": "The camera cranes down",
    "Orbit left": "The camera orbits left around the subject",
    "Orbit right": "The camera orbits right around the subject",
    "Shake": "The camera shakes",
    "Tracking shot": "The camera tracks alongside the subject",
    "Static shot": "The camera holds still",
}


def shot_prompts(narration: str, sentences: list[str], camera: str) -> tuple[str, str, str]:
    start, end = _FRAMING.get(camera, ("medium shot", "medium shot"))
    first = f"{start.capitalize()}, as the shot begins: {drop_end_mark(sentences[0])}."
    # The last frame is where the action has got to when the clip ends.
    last = f"{end.capitalize()}, at the end of the action: {drop_end_mark(sentences[-1])}."
    video = (
        f"[{camera}] {_MOTION.get(camera, 'The camera moves')}. {narration.strip()} "
        "Smooth, continuous motion from the first frame to the last; "
        "consistent characters and lighting."
    )
    return video, first, last
