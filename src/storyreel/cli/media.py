"""``storyreel tts`` and ``storyreel video``: one MiniMax speech file or one MiniMax clip.

Everything is checked before the first request, so bad input costs nothing (exit 2). A video
task's id is printed as soon as it exists: Ctrl-C leaves the task running on MiniMax, and
``storyreel video --resume TASK_ID`` waits for it and downloads it later.
"""

from __future__ import annotations

import asyncio
import sys
import time
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import typer
from rich.markup import escape
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
    TransferSpeedColumn,
)

from storyreel.assembly.probe import MediaInfo, probe
from storyreel.cli.common import console, err_console, load_settings, run
from storyreel.cli.voice import minimax_client, usage_error
from storyreel.errors import UsageError
from storyreel.files import write_bytes_atomic
from storyreel.minimax import AsyncMiniMax, MiniMaxValidationError, TaskTimeoutError, VideoTask

AUDIO_SUFFIXES = {".mp3": "mp3", ".wav": "wav", ".flac": "flac"}
# A TEXT argument with one of these suffixes is a file even when it does not exist (a typo
# must fail, not be read aloud).
_TEXT_SUFFIXES = {".txt", ".md", ".text"}
# Longer arguments are text: asking the OS about a 10,000-character "path" raises.
_MAX_PATH_CHARS = 1024
FL2V_MODEL = "MiniMax-Hailuo-02"
VIDEO_DURATIONS = (6, 10)

TTS_FIELDS = {
    "text": "TEXT",
    "voice_id": "--voice",
    "model": "--model",
    "speed": "--speed",
    "format": "--format",
}
VIDEO_FIELDS = {
    "prompt": "--prompt",
    "first_frame_image": "--first",
    "last_frame_image": "--last",
    "model": "--model",
    "duration": "--duration",
    "resolution": "--resolution",
    "callback_url": "--callback-url",
    "task_id": "--resume",
}


class AudioFormat(StrEnum):
    mp3 = "mp3"
    wav = "wav"
    flac = "flac"


class VideoResolution(StrEnum):
    p768 = "768P"
    p1080 = "1080P"
    p512 = "512P"


# --- tts ---------------------------------------------------------------------------------------


def read_text(text: str) -> str:
    """TEXT is a UTF-8 file when it names one (or looks like a file name), else the words."""
    path = Path(text)
    looks_like_file = (
        "\n" not in text
        and len(text) < _MAX_PATH_CHARS
        and (path.suffix.lower() in _TEXT_SUFFIXES or path.is_file())
    )
    if not looks_like_file:
        return text
    if not path.is_file():
        raise UsageError(
            f"no such file {text!r}", field="TEXT", fix="pass an existing text file or the words"
        )
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise UsageError(f"{text} is not UTF-8 text", field="TEXT") from None


def audio_format(out: Path, given: AudioFormat | None) -> str:
    """The T2A format: --format if given, else from the --out suffix; the two must agree."""
    by_suffix = AUDIO_SUFFIXES.get(out.suffix.lower())
    if given is None:
        if by_suffix is None:
            raise UsageError(
                f"cannot tell the audio format from {out.name!r}",
                field="--out",
                fix="end it in .mp3, .wav or .flac, or pass --format",
            )
        return by_suffix
    if out.suffix and by_suffix != given.value:
        raise UsageError(
            f"{given.value} does not match {out.name!r}",
            field="--format",
            fix=f"write to a .{given.value} file, or drop --format",
        )
    return given.value


async def _probe(path: Path) -> MediaInfo:
    return await asyncio.to_thread(probe, path)


# --- video -------------------------------------------------------------------------------------


@dataclass
class _VideoRun:
    """What Ctrl-C needs to know to tell the user how to continue."""

    out: Path
    task_id: str | None = None

    def resume_hint(self) -> str:
        return f"storyreel video --resume {self.task_id} --out {self.out}"


def check_video_args(
    *,
    prompt: str | None,
    first: str | None,
    last: str | None,
    out: Path,
    duration: int,
    resume: str | None,
) -> None:
    """The rules the client cannot see: they concern how the options combine."""
    if out.suffix.lower() != ".mp4":
        raise UsageError(
            f"{out.name!r} is not an .mp4 file", field="--out", fix="MiniMax clips are MP4"
        )
    if duration not in VIDEO_DURATIONS:
        raise UsageError(
            f"{duration} s is not a clip length MiniMax makes",
            field="--duration",
            fix="use 6 or 10",
        )
    if resume is not None:
        if prompt is not None or first is not None or last is not None:
            err_console.print(
                "--resume: the task already exists; --prompt/--first/--last are ignored",
                style="dim",
                highlight=False,
            )
        return


class _PollDisplay:
    """A spinner with the task's status and elapsed time; each change is also logged as a line
    so a non-interactive log (CI, a pipe) still shows Preparing -> Queueing -> Processing."""

    def __init__(self, task_id: str) -> None:
        self.started = time.monotonic()
        self.progress = Progress(
            SpinnerColumn(),
            TextColumn("video task {task.fields[task_id]}"),
            TextColumn("[bold]{task.fields[status]}"),
            TimeElapsedColumn(),
            console=err_console,
            transient=True,
        )
        self.bar = self.progress.add_task("poll", total=None, task_id=task_id, status="waiting")

    def __call__(self, task: VideoTask) -> None:
        self.progress.update(self.bar, status=task.status)
        elapsed = time.monotonic() - self.started
        self.progress.console.print(
            f"  {elapsed:6.1f} s  {task.status}", style="dim", highlight=False
        )


async def _wait(client: AsyncMiniMax, task_id: str) -> VideoTask:
    display = _PollDisplay(task_id)
    with display.progress:
        return await client.wait_for_video(task_id, on_status=display)


async def _download(client: AsyncMiniMax, file_id: str, out: Path) -> None:
    with Progress(
        TextColumn("downloading"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        console=err_console,
        transient=True,
    ) as progress:
        bar = progress.add_task("download", total=None)

        def on_progress(done: int, total: int | None) -> None:
            progress.update(bar, completed=done, total=total)

        await client.download_file(file_id, out, on_progress=on_progress)


def _describe(info: MediaInfo) -> str:
    size = f"{info.video.width}x{info.video.height}, " if info.video else ""
    return f"{size}{info.duration:.1f} s, {info.size_bytes / 1e6:.1f} MB"


async def _speak_offline(words: str, voice: str, out: Path, speed: float) -> None:
    """Speak ``words`` with espeak-ng: --voice when it names an espeak voice (a MiniMax voice
    id does not), else the voice of the text's language."""
    from storyreel.language import detect_language, is_espeak_voice_name
    from storyreel.providers.offline.speech import DEFAULT_RATE_WPM, OfflineSpeechGen

    espeak = voice if is_espeak_voice_name(voice) else None
    rate = round(DEFAULT_RATE_WPM * speed)
    speaker = OfflineSpeechGen(voice=espeak, rate_wpm=rate)
    language = detect_language(words)
    err_console.print(
        f"offline (no MiniMax key): espeak-ng voice {speaker.voice_for(language)}",
        style="yellow",
        highlight=False,
    )
    await speaker.speak(words, out=out, language=language)


def register(app: typer.Typer) -> None:
    """Add ``tts`` and ``video`` to ``app``."""

    @app.command()
    def tts(
        text: str = typer.Argument(..., help="The words to speak, or a UTF-8 text file."),
        voice: str = typer.Option(..., "--voice", help="Voice id (cloned or a system voice)."),
        out: Path = typer.Option(..., "--out", "-o", help="Audio file to write (.mp3/.wav/.flac)."),
        model: str | None = typer.Option(
            None, "--model", help="Speech model \\[default: STORYREEL_TTS_MODEL or speech-02-hd]."
        ),
        speed: float | None = typer.Option(
            None, "--speed", help="0.5 to 2.0 \\[default: STORYREEL_SPEECH_SPEED or 1.0]."
        ),
        fmt: AudioFormat | None = typer.Option(
            None,
            "--format",
            case_sensitive=False,
            help="Audio format \\[default: from the --out suffix].",
        ),
    ) -> None:
        """Speak TEXT with a MiniMax voice into an audio file (offline, with no MiniMax key:
        espeak-ng, in the voice of the text's language or --voice when it names one).

        Example: storyreel tts "Once upon a time." --voice English_expressive_narrator -o a.mp3
        """
        settings = load_settings()
        words = read_text(text)
        file_format = audio_format(out, fmt)

        async def go() -> MediaInfo:
            if settings.minimax.mocked:
                # Real speech, not the mock's tone: what a user hears offline is a voice.
                await _speak_offline(
                    words, voice, out, speed if speed is not None else settings.speech_speed
                )
                return await _probe(out)
            async with minimax_client(settings) as client:
                try:
                    result = await client.text_to_audio(
                        words,
                        voice,
                        model=model or settings.tts_model,
                        speed=speed if speed is not None else settings.speech_speed,
                        format=file_format,
                    )
                except MiniMaxValidationError as exc:
                    raise usage_error(exc, TTS_FIELDS) from None
            await write_bytes_atomic(out, result.audio)
            # Probed, not trusted: the figure printed is what a player will see.
            return await _probe(out)

        info = run(go())
        console.print(
            f"wrote {escape(str(out))} ({file_format}, {info.duration:.2f} s)",
            highlight=False,
            soft_wrap=True,
        )

    @app.command()
    def video(
        prompt: str | None = typer.Option(
            None, "--prompt", "-p", help="What happens; camera moves in brackets, e.g. [Push in]."
        ),
        first: str | None = typer.Option(
            None, "--first", help="First frame: a local JPG/PNG/WebP or an https URL."
        ),
        last: str | None = typer.Option(
            None,
            "--last",
            help="Last frame (first-last-frame video, MiniMax-Hailuo-02); --first is optional.",
        ),
        out: Path = typer.Option(..., "--out", "-o", help="The .mp4 file to write."),
        model: str | None = typer.Option(
            None,
            "--model",
            help="\\[default: MiniMax-Hailuo-02 with --last, else STORYREEL_VIDEO_MODEL].",
        ),
        duration: int = typer.Option(6, "--duration", help="Clip length: 6 or 10 seconds."),
        resolution: VideoResolution = typer.Option(
            VideoResolution.p768,
            "--resolution",
            case_sensitive=False,
            help="1080P makes 6 s clips only; 512P is never first+last frame.",
        ),
        no_prompt_optimizer: bool = typer.Option(
            False, "--no-prompt-optimizer", help="Send the prompt exactly as written."
        ),
        callback_url: str | None = typer.Option(
            None, "--callback-url", help="Public URL MiniMax notifies when the task changes."
        ),
        resume: str | None = typer.Option(
            None,
            "--resume",
            metavar="TASK_ID",
            help="Wait for and download an existing task instead of creating one.",
        ),
    ) -> None:
        """Make one MiniMax clip: text-to-video, from a first frame, or first+last frame.

        Example: storyreel video -p "A lighthouse at night [Push in]" --first a.png -o clip.mp4
        """
        check_video_args(
            prompt=prompt, first=first, last=last, out=out, duration=duration, resume=resume
        )
        settings = load_settings()
        chosen_model = model or (FL2V_MODEL if last is not None else settings.video_model)
        state = _VideoRun(out=out, task_id=resume)

        async def create(client: AsyncMiniMax) -> str:
            try:
                # The client checks prompt, camera commands, model/duration/resolution and the
                # frames (format, size, aspect) before it sends anything.
                return await client.generate_video(
                    prompt,
                    model=chosen_model,
                    first_frame_image=first,
                    last_frame_image=last,
                    duration=duration,
                    resolution=resolution.value,
                    prompt_optimizer=not no_prompt_optimizer,
                    callback_url=callback_url,
                )
            except MiniMaxValidationError as exc:
                raise usage_error(exc, VIDEO_FIELDS) from None

        async def go() -> MediaInfo:
            async with minimax_client(settings) as client:
                if state.task_id is None:
                    state.task_id = await create(client)
                    console.print(
                        f"video task {state.task_id} created ({chosen_model}, {duration} s, "
                        f"{resolution.value})",
                        highlight=False,
                        soft_wrap=True,
                    )
                try:
                    task = await _wait(client, state.task_id)
                except MiniMaxValidationError as exc:
                    raise usage_error(exc, VIDEO_FIELDS) from None
                except TaskTimeoutError:
                    err_console.print(
                        f"wait again later: {escape(state.resume_hint())}",
                        highlight=False,
                        soft_wrap=True,
                    )
                    raise
                assert task.file_id is not None  # the client rejects Success without a file
                await _download(client, task.file_id, out)
            return await _probe(out)

        try:
            info = run(go())
        except KeyboardInterrupt:
            if state.task_id is not None:
                err_console.print(
                    f"stopped; video task {state.task_id} keeps running on MiniMax. "
                    f"Continue with: {escape(state.resume_hint())}",
                    highlight=False,
                    soft_wrap=True,
                )
            else:
                err_console.print("stopped before MiniMax answered with a task id", highlight=False)
            # sys.exit, not typer.Exit: typer >= 0.25 turns an Exit raised under
            # standalone_mode=False into a return value, which main() does not pass on.
            sys.exit(130)
        console.print(
            f"saved {escape(str(out.resolve()))} ({_describe(info)})",
            highlight=False,
            soft_wrap=True,
        )
