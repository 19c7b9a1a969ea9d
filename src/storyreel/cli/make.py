"""``storyreel make`` and ``storyreel plan``: a story in, a video (or a plan to edit) out."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal
from pathlib import Path

import typer
from pydantic import ValidationError

from storyreel.assembly.spec import DEFAULT_ASPECT
from storyreel.cli import options as opt
from storyreel.cli.common import (
    check_out_dir,
    err_console,
    load_settings,
    music_choice,
    read_story,
    run,
)
from storyreel.cli.options import Choice, Resolution, Subtitles, SubtitleStyle, aspect_choice
from storyreel.cli.running import in_review, job_runner, run_with_progress, summary
from storyreel.cli.story_size import check_story_size
from storyreel.errors import UsageError
from storyreel.pipeline.jobs import JobOptions
from storyreel.pipeline.layout import OutputLayout
from storyreel.plan import Plan
from storyreel.providers.factory import Providers

Prepare = Callable[[Providers], Awaitable[None]]
# JobOptions fields whose flag is named differently.
_FLAGS = {"voice_id": "--voice", "segments": "--segments"}


def _voice_preparer(sample: Path | None, voice_id: str | None) -> Prepare | None:
    """Clone ``sample`` as ``voice_id`` once (a second run reuses it) and narrate with it."""
    if sample is None:
        return None
    if not voice_id:
        raise UsageError(
            "a voice sample needs a name", field="--voice-id", fix="add --voice-id MyVoice01"
        )
    if not sample.is_file():
        raise UsageError(f"no such file {sample}", field="--voice-sample")

    async def prepare(providers: Providers) -> None:
        from storyreel.providers.minimax_speech import MiniMaxSpeechGen, ensure_cloned_voice

        if not isinstance(providers.speech, MiniMaxSpeechGen) or providers.minimax is None:
            raise UsageError(
                "cloning a voice needs MiniMax narration",
                field="--voice-sample",
                fix="set MINIMAX_API_KEY, or drop --voice-sample to narrate offline",
            )
        err_console.print(
            f"voice: making sure {voice_id} exists (cloned once, then reused)", style="dim"
        )
        providers.speech.voice_id = await ensure_cloned_voice(providers.minimax, sample, voice_id)

    return prepare


def register(app: typer.Typer) -> None:
    def options_from(
        offline: bool,
        segments: int | None,
        resolution: Resolution,
        subtitles: Subtitles,
        budget: float | None,
        voice: str | None,
        planner: Choice | None,
        *,
        concurrency: int | None = None,
        images: Choice | None = None,
        video: Choice | None = None,
        speech: Choice | None = None,
        language: str | None = None,
        music: str = "none",
        music_volume: float | None = None,
        subtitle_style: SubtitleStyle = SubtitleStyle.boxed,
        aspect: str = DEFAULT_ASPECT,
        review: bool = False,
    ) -> JobOptions:
        def pick(choice: Choice | None) -> str | None:
            return choice.value if choice else None

        try:
            return JobOptions(
                offline=offline,
                segments=segments,
                resolution=resolution.value,
                aspect=aspect_choice(aspect),
                subtitles=subtitles.value,
                concurrency=concurrency,
                budget=Decimal(str(budget)) if budget is not None else None,
                voice_id=voice,
                planner=pick(planner),
                images=pick(images),
                video=pick(video),
                speech=pick(speech),
                language=language,
                subtitle_style=subtitle_style.value,
                music=music_choice(music),
                review=review,
                **({"music_volume": music_volume} if music_volume is not None else {}),
            )
        except ValidationError as problem:
            first = problem.errors()[0]
            name = str(first["loc"][0]) if first["loc"] else "options"
            message = str(first["msg"]).removeprefix("Value error, ")
            raise UsageError(message, field=_FLAGS.get(name, f"--{name}")) from None

    def start(
        story: str,
        out: Path | None,
        options: JobOptions,
        *,
        yes: bool,
        plan_only: bool,
        prepare: Prepare | None = None,
        remote: bool = False,
        repeat_unknown: bool = False,
    ) -> None:
        text, name = read_story(story)
        settings = load_settings()
        target = check_out_dir(out or Path("out") / name)
        if remote:
            from storyreel.cli.workers import make_remote

            if options.review:
                raise UsageError(
                    "the workers render on without stopping for review",
                    field="--review",
                    fix="drop --remote to review here, or drop --review",
                )

            if prepare is not None:
                raise UsageError(
                    "a voice is cloned before a remote job, not by the workers",
                    field="--voice-sample",
                    fix="run `storyreel voice clone` first, then --remote --voice ID",
                )

            run(make_remote(settings, text, options, target, yes=yes))
            return

        async def go() -> None:
            async with job_runner(settings) as runner:
                if not OutputLayout(target).plan.is_file():  # not planned yet
                    await check_story_size(runner, text, options, yes=yes)
                job, resumed = await runner.find_or_create(text, options, target)
                if resumed:
                    err_console.print(
                        f"resuming job {job.id} in {target} (finished work is reused)", style="dim"
                    )
                result = await run_with_progress(
                    runner,
                    job.id,
                    yes=yes,
                    plan_only=plan_only,
                    prepare=prepare,
                    repeat_unknown=repeat_unknown,
                    clones_voice=prepare is not None,
                )
                if options.review and isinstance(result, Plan):
                    in_review(target)
                else:
                    summary(result, target)

        run(go())

    @app.command()
    def make(
        story: str = opt.STORY,
        out: Path | None = opt.OUT,
        offline: bool = opt.OFFLINE,
        segments: int | None = opt.SEGMENTS,
        resolution: Resolution = opt.RESOLUTION,
        aspect: str = opt.ASPECT,
        subtitles: Subtitles = opt.SUBTITLES,
        subtitle_style: SubtitleStyle = opt.SUBTITLE_STYLE,
        concurrency: int | None = opt.CONCURRENCY,
        budget: float | None = opt.BUDGET,
        voice: str | None = opt.VOICE,
        language: str | None = opt.LANGUAGE,
        voice_sample: Path | None = typer.Option(
            None, "--voice-sample", help="Clone this audio sample (10 s-5 min) first."
        ),
        voice_id: str | None = typer.Option(
            None, "--voice-id", help="The id to clone the sample as."
        ),
        planner: Choice | None = opt.PLANNER,
        images: Choice | None = opt.IMAGES,
        video: Choice | None = opt.VIDEO,
        speech: Choice | None = opt.SPEECH,
        music: str = opt.MUSIC,
        music_volume: float = opt.MUSIC_VOLUME,
        yes: bool = opt.YES,
        remote: bool = typer.Option(
            False,
            "--remote",
            help="Hand the job to the workers (STORYREEL_BROKER_URL) and follow it.",
        ),
        repeat_unknown: bool = typer.Option(
            False,
            "--repeat-unknown",
            help="Send again a video request whose answer was lost (it may be billed twice).",
        ),
        review: bool = typer.Option(
            False,
            "--review",
            help="Stop before paying for video: keyframes, narration and storyboard.png only; "
            "then `storyreel render OUT` approves.",
        ),
    ) -> None:
        """Turn a story into final_video.mp4 (offline when no API keys are set).

        Example: storyreel make examples/lighthouse.txt --offline --resolution 1080p
        """
        options = options_from(
            offline,
            segments,
            resolution,
            subtitles,
            budget,
            voice or voice_id,
            planner,
            concurrency=concurrency,
            images=images,
            video=video,
            speech=speech,
            language=language,
            music=music,
            music_volume=music_volume,
            subtitle_style=subtitle_style,
            aspect=aspect,
            review=review,
        )
        start(
            story,
            out,
            options,
            yes=yes,
            plan_only=False,
            prepare=_voice_preparer(voice_sample, voice_id),
            remote=remote,
            repeat_unknown=repeat_unknown,
        )

    @app.command()
    def plan(
        story: str = opt.STORY,
        out: Path | None = opt.OUT,
        offline: bool = opt.OFFLINE,
        segments: int | None = opt.SEGMENTS,
        resolution: Resolution = opt.RESOLUTION,
        aspect: str = opt.ASPECT,
        subtitles: Subtitles = opt.SUBTITLES,
        budget: float | None = opt.BUDGET,
        voice: str | None = opt.VOICE,
        language: str | None = opt.LANGUAGE,
        planner: Choice | None = opt.PLANNER,
        yes: bool = opt.YES,
    ) -> None:
        """Plan only: write plan.json to edit before paying for anything else.

        Example: storyreel plan examples/lighthouse.txt -o out/lighthouse
        """
        options = options_from(
            offline,
            segments,
            resolution,
            subtitles,
            budget,
            voice,
            planner,
            language=language,
            aspect=aspect,
        )
        start(story, out, options, yes=yes, plan_only=True)
