"""The ``storyreel`` command. The only place with ``asyncio.run``; errors become one line and an
exit code here: 0 success, 2 bad input or configuration, 1 failure after retries, 130 Ctrl-C."""

from __future__ import annotations

import logging
import sys
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape

from storyreel import __version__
from storyreel.cli import doctor, jobs, make, media, serve, voice, workers
from storyreel.errors import StoryreelError

err_console = Console(stderr=True)

app = typer.Typer(
    name="storyreel",
    help="Turn a story into a finished, narrated video.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"storyreel {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log provider calls and retries."),
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version and exit."
    ),
) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    # httpx logs every request at INFO; keep that for --verbose only.
    logging.getLogger("httpx").setLevel(logging.INFO if verbose else logging.WARNING)


for module in (make, jobs, voice, media, serve, workers, doctor):
    module.register(app)


def _no_flag_metavars(command: Any) -> None:
    """On/off flags take no value, so the help shows none (typer would print ``<bool>``).
    Typed loosely: typer builds the tree from its own vendored copy of click."""
    for param in command.get_params(typer.Context(command)):  # --help included
        if getattr(param, "is_flag", False):
            param.metavar = ""
    for sub in getattr(command, "commands", {}).values():
        _no_flag_metavars(sub)


def cli_command() -> Any:
    """The click command tree of ``storyreel``, as the console script runs it."""
    tree = typer.main.get_command(app)
    _no_flag_metavars(tree)
    return tree


def main() -> None:
    """Console-script entry point."""
    command = cli_command()
    try:
        code = command.main(prog_name="storyreel", standalone_mode=False)
    except (KeyboardInterrupt, typer.Abort):
        err_console.print("[yellow]stopped[/yellow] (Ctrl-C); finished work is kept")
        sys.exit(130)
    except typer.Exit as done:
        sys.exit(done.exit_code)
    except typer.TyperException as problem:  # usage errors: bad or missing options, exit 2
        show = getattr(problem, "show", None)
        if callable(show):
            show()
        else:
            err_console.print(f"error: {escape(str(problem))}", highlight=False, soft_wrap=True)
        sys.exit(getattr(problem, "exit_code", 2))
    except StoryreelError as problem:
        # escape: messages carry "[Zoom in]"-like text that rich would eat as markup
        err_console.print(
            f"[red]error:[/red] {escape(str(problem))}", highlight=False, soft_wrap=True
        )
        sys.exit(problem.exit_code)
    sys.exit(code if isinstance(code, int) else 0)
