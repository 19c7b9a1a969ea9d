"""The options ``make`` and ``plan`` both take, each declared once (flags, help, default), so
the two commands cannot drift apart. Typer reads a shared declaration afresh for each command."""

from __future__ import annotations

from enum import StrEnum

import typer

from storyreel.assembly.mix_commands import DEFAULT_MUSIC_VOLUME
from storyreel.assembly.spec import ASPECTS, DEFAULT_ASPECT
from storyreel.errors import UsageError


class Resolution(StrEnum):
    p768 = "768P"
    p1080 = "1080P"
    p720 = "720P"


def aspect_choice(value: str) -> str:
    """``value`` when it is a shape the spec table has, else the one-line usage error (exit 2):
    a plain string option, because click's own choice error is a usage block, not one line."""
    if value not in ASPECTS:
        raise UsageError(
            f"{value!r} is not a video shape", field="--aspect", fix=f"use {', '.join(ASPECTS)}"
        )
    return value


class Subtitles(StrEnum):
    burn = "burn"
    srt = "srt"
    none = "none"


class SubtitleStyle(StrEnum):
    boxed = "boxed"
    clean = "clean"
    bold_outline = "bold-outline"


class Choice(StrEnum):
    auto = "auto"
    openai = "openai"
    minimax = "minimax"
    offline = "offline"


STORY = typer.Argument(..., help="A text file with the story, or the story itself.")
# "\[": help is rich markup, where a bare "[default: ...]" would vanish as an unknown tag.
OUT = typer.Option(
    None, "--out", "-o", help="Output folder \\[default: out/NAME]; running again resumes it."
)
OFFLINE = typer.Option(False, "--offline", help="Use the offline providers for every stage (free).")
SEGMENTS = typer.Option(
    None,
    "--segments",
    "-n",
    min=1,
    max=60,
    help="Exact number of segments \\[default: auto: sentences grouped to fill each clip].",
)
RESOLUTION_HELP = "Video resolution, any case (1080P clips are 6 s)."
RESOLUTION = typer.Option(
    Resolution.p768, "--resolution", case_sensitive=False, help=RESOLUTION_HELP
)
ASPECT = typer.Option(
    DEFAULT_ASPECT,
    "--aspect",
    help="The video's shape: 16:9 (landscape), 9:16 (portrait) or 1:1 (square).",
)
SUBTITLES = typer.Option(
    Subtitles.srt, "--subtitles", help="Burn subtitles in, write an .srt, or neither."
)
SUBTITLE_STYLE = typer.Option(
    SubtitleStyle.boxed,
    "--subtitle-style",
    help="Burned subtitles: white on a dark band (boxed), white with a thin outline (clean), "
    "or large yellow with a thick outline (bold-outline).",
)
BUDGET_HELP = "Refuse to spend more than this many USD"
BUDGET = typer.Option(None, "--budget", min=0, help=f"{BUDGET_HELP} \\[default: no limit].")
CONCURRENCY_HELP = "Calls in flight per stage (video: creates at once; waiting holds no slot)"
CONCURRENCY = typer.Option(
    None, "--concurrency", min=1, max=32, help=f"{CONCURRENCY_HELP} \\[default: 4]."
)
VOICE = typer.Option(
    None,
    "--voice",
    help="Narrate with this MiniMax voice id (cloned or stock); offline, an espeak-ng voice "
    "such as es or en-us \\[default: the story's language].",
)
LANGUAGE = typer.Option(
    None,
    "--language",
    help="The story's language (en, zh, ar, ru, es...) \\[default: detected from the story].",
)
# auto: the stage's paid provider when its key is set, else offline.
AUTO = "\\[default: auto: paid when its key is set, else offline]"
PLANNER = typer.Option(None, "--planner", help=f"Planner provider {AUTO}.")
IMAGES = typer.Option(None, "--images", help=f"Keyframe provider {AUTO}.")
VIDEO = typer.Option(None, "--video", help=f"Clip provider {AUTO}.")
SPEECH = typer.Option(None, "--speech", help=f"Narration provider {AUTO}.")
MUSIC_HELP = (
    "A music bed under the narration: an audio FILE (looped or trimmed to the video), "
    "auto (made for the video) or none."
)
MUSIC = typer.Option("none", "--music", help=MUSIC_HELP)
MUSIC_VOLUME = typer.Option(
    DEFAULT_MUSIC_VOLUME,
    "--music-volume",
    min=0.01,
    max=1.0,
    help="The music between sentences, as a fraction of the narration's loudness (ducked "
    "18 dB under the voice while someone speaks).",
)
YES = typer.Option(False, "--yes", "-y", help="Accept the cost estimate without asking.")
CAST = typer.Option(
    None,
    "--cast",
    help="The characters: a JSON list of {name, description, picture?} or lines "
    "'Name: description | picture.png' (pictures relative to the file).",
)
