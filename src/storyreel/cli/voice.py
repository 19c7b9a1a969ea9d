"""``storyreel voice clone`` and ``storyreel voice list``: the MiniMax voices of this account.

Also home of what every MiniMax command shares: opening the client (announcing mock mode) and
turning the client's validation errors into messages that name the command-line option.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from enum import StrEnum
from pathlib import Path
from typing import Literal

import typer
from rich.markup import escape
from rich.table import Table

from storyreel.cli.common import console, err_console, load_settings, run
from storyreel.config import Settings
from storyreel.errors import UsageError
from storyreel.minimax import (
    AsyncMiniMax,
    MiniMaxValidationError,
    # The client's own checks, run here before the account lookup (which is a request).
    validate_clone_sample,
    validate_voice_id,
)

log = logging.getLogger(__name__)

MOCK_NOTICE = "MiniMax mock mode: no request leaves this machine"
CLONE_FIELDS = {"sample": "SAMPLE", "voice_id": "--voice-id", "file": "SAMPLE"}

CloneOutcome = Literal["cloned", "exists"]


class VoiceType(StrEnum):
    all = "all"
    system = "system"
    voice_cloning = "voice_cloning"


@asynccontextmanager
async def minimax_client(settings: Settings) -> AsyncIterator[AsyncMiniMax]:
    """The MiniMax client for one command; says so on stderr when nothing will be sent."""
    client = AsyncMiniMax(settings.minimax)
    if client.mocked:
        err_console.print(MOCK_NOTICE, style="yellow", highlight=False, soft_wrap=True)
    async with client:
        yield client


def usage_error(exc: MiniMaxValidationError, fields: Mapping[str, str]) -> UsageError:
    """The same complaint, naming the option the user typed instead of the API field."""
    name = fields.get(exc.field)
    if name is None:
        return UsageError(exc.message)
    detail = exc.message.removeprefix(f"{exc.field}: ").removesuffix(f" ({exc.fix})")
    return UsageError(detail, field=name, fix=exc.fix)


async def clone_once(
    client: AsyncMiniMax,
    sample: Path,
    voice_id: str,
    *,
    noise_reduction: bool = False,
    volume_normalization: bool = False,
) -> tuple[CloneOutcome, float]:
    """Validate, then clone ``sample`` as ``voice_id`` unless the account has it already.

    Returns the outcome and the sample's length in seconds. A listed voice costs no upload.
    """
    try:
        validate_voice_id(voice_id)
        seconds = await validate_clone_sample(sample)
    except MiniMaxValidationError as exc:
        raise usage_error(exc, CLONE_FIELDS) from None
    try:
        cloned = await client.ensure_voice(
            sample,
            voice_id,
            need_noise_reduction=noise_reduction,
            need_volume_normalization=volume_normalization,
        )
    except MiniMaxValidationError as exc:
        raise usage_error(exc, CLONE_FIELDS) from None
    return ("cloned" if cloned else "exists"), seconds


def _remind(voice_id: str) -> None:
    err_console.print(
        "note: use a cloned voice in a real TTS call within 7 days or MiniMax deletes it, "
        'e.g. [bold]storyreel tts "Hello" --voice '
        f"{escape(voice_id)} --out hello.mp3[/bold]; "
        "the clone fee is charged on that first use.",
        highlight=False,
        soft_wrap=True,
    )


def _voice_table(voices: list[tuple[str, str, str, str]]) -> Table:
    table = Table(title=f"{len(voices)} voices", title_justify="left")
    table.add_column("voice id", style="bold", no_wrap=True)
    table.add_column("type")
    table.add_column("name")
    table.add_column("created / description", overflow="fold")
    for row in voices:
        table.add_row(*(escape(cell) for cell in row))
    return table


def register(app: typer.Typer) -> None:
    """Add the ``voice`` group to ``app``."""
    voice_app = typer.Typer(
        help="Clone a voice from a sample; list the account's voices.", no_args_is_help=True
    )
    app.add_typer(voice_app, name="voice")

    @voice_app.command("clone")
    def clone(
        sample: Path = typer.Argument(
            ..., help="Audio sample to clone: mp3, m4a or wav, 10 s to 5 min, at most 20 MB."
        ),
        voice_id: str = typer.Option(
            ...,
            "--voice-id",
            help="Id for the new voice: 8-256 letters, digits, '-' or '_', starting with a letter.",
        ),
        noise_reduction: bool = typer.Option(
            False, "--noise-reduction", help="Ask MiniMax to remove background noise."
        ),
        volume_normalization: bool = typer.Option(
            False, "--volume-normalization", help="Ask MiniMax to even out the volume."
        ),
    ) -> None:
        """Clone SAMPLE as a MiniMax voice (once: a voice id the account has is left alone).

        Example: storyreel voice clone sample.wav --voice-id MyVoice01
        """
        settings = load_settings()

        async def go() -> tuple[CloneOutcome, float]:
            async with minimax_client(settings) as client:
                return await clone_once(
                    client,
                    sample,
                    voice_id,
                    noise_reduction=noise_reduction,
                    volume_normalization=volume_normalization,
                )

        outcome, seconds = run(go())
        if outcome == "exists":
            console.print(
                f"{escape(voice_id)}: voice ID already exists on this account; nothing to do",
                highlight=False,
                soft_wrap=True,
            )
        else:
            console.print(
                f"cloned voice [bold]{escape(voice_id)}[/bold] from {escape(sample.name)} "
                f"({seconds:.1f} s sample)",
                highlight=False,
                soft_wrap=True,
            )
        _remind(voice_id)

    @voice_app.command("list")
    def list_(
        voice_type: VoiceType = typer.Option(
            VoiceType.all, "--type", help="Which voices to show.", case_sensitive=False
        ),
    ) -> None:
        """Show the voices this account can speak with.

        Example: storyreel voice list
        """
        settings = load_settings()

        async def go() -> list[tuple[str, str, str, str]]:
            async with minimax_client(settings) as client:
                voices = await client.list_voices(voice_type.value)
            return [
                (
                    v.voice_id,
                    v.kind,
                    v.name or "",
                    v.created_time or "; ".join(v.description),
                )
                for v in voices
            ]

        console.print(_voice_table(run(go())))
