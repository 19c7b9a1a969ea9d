"""``storyreel make``: a story in, ``final_video.mp4`` out."""

from __future__ import annotations

from enum import Enum
from pathlib import Path

import typer
from rich.markup import escape

from storyreel.cli.common import console, err_console, load_settings, read_story, run
from storyreel.cli.progress import StageBars
from storyreel.config import Settings
from storyreel.pipeline.orchestrator import Pipeline, RenderOptions, RenderResult
from storyreel.providers.factory import build_providers


class Resolution(str, Enum):
    p768 = "768P"
    p1080 = "1080P"
    p720 = "720P"


class Subtitles(str, Enum):
    burn = "burn"
    srt = "srt"
    none = "none"


class Choice(str, Enum):
    auto = "auto"
    openai = "openai"
    minimax = "minimax"
    offline = "offline"


def _overrides(offline: bool, **stages: Choice | None) -> dict[str, str]:
    if offline:
        return dict.fromkeys(("planner", "images", "video", "speech"), "offline")
    return {stage: choice.value for stage, choice in stages.items() if choice is not None}


def _summary(result: RenderResult) -> None:
    console.print(
        f"[green]done[/green] {result.segments} segments, {result.duration:.1f} s -> "
        f"[bold]{escape(str(result.video))}[/bold]"
    )
    extras = [p for p in (result.subtitles, result.storyboard, result.manifest) if p]
    console.print("      " + ", ".join(escape(str(p)) for p in extras), style="dim")


async def _make(settings: Settings, overrides: dict[str, str], story: str, out: Path,
                segments: int | None, options: RenderOptions) -> RenderResult:
    providers = build_providers(settings, overrides=overrides)
    try:
        described = providers.describe()
        if all(v.startswith("offline") for v in described.values()):
            err_console.print(
                "running offline (no API keys set): local keyframes, clips and speech",
                style="yellow",
            )
        else:
            err_console.print(
                "providers: " + ", ".join(f"{k} {v}" for k, v in described.items()), style="dim"
            )
        with StageBars(err_console) as bars:
            pipeline = Pipeline(providers, out, options=options, events=bars)
            return await pipeline.make(story, segments=segments)
    finally:
        await providers.aclose()


def register(app: typer.Typer) -> None:
    @app.command()
    def make(
        story: str = typer.Argument(..., help="A text file with the story, or the story itself."),
        out: Path | None = typer.Option(None, "--out", "-o", help="Output folder [default: out/NAME]."),
        offline: bool = typer.Option(False, "--offline", help="Use the offline providers for every stage."),
        segments: int | None = typer.Option(None, "--segments", "-n", min=1, max=60, help="Exact number of segments."),
        resolution: Resolution = typer.Option(Resolution.p768, "--resolution", help="Video resolution."),
        subtitles: Subtitles = typer.Option(Subtitles.srt, "--subtitles", help="Burn subtitles in, write an .srt, or neither."),
        concurrency: int | None = typer.Option(None, "--concurrency", min=1, max=32, help="Segments worked on at once."),
        planner: Choice | None = typer.Option(None, "--planner", help="Planner provider."),
        images: Choice | None = typer.Option(None, "--images", help="Keyframe provider."),
        video: Choice | None = typer.Option(None, "--video", help="Clip provider."),
        speech: Choice | None = typer.Option(None, "--speech", help="Narration provider."),
        yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask before spending."),
    ) -> None:
        """Turn a story into final_video.mp4 (offline when no API keys are set)."""
        text, name = read_story(story)
        settings = load_settings()
        options = RenderOptions(
            resolution=resolution.value,
            subtitles=subtitles.value,  # type: ignore[arg-type]
            concurrency=concurrency or settings.concurrency,
        )
        overrides = _overrides(offline, planner=planner, images=images, video=video, speech=speech)
        result = run(_make(settings, overrides, text, out or Path("out") / name, segments, options))
        _summary(result)
