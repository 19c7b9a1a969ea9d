"""``storyreel doctor``: a table of what is ready and what is not, before anything is paid."""

from __future__ import annotations

import typer
from rich.markup import escape
from rich.table import Table

from storyreel.cli.common import console, load_settings, run
from storyreel.pipeline.doctor import diagnose

_STYLE = {"ok": "green", "warn": "yellow", "fail": "red", "skip": "dim"}


def register(app: typer.Typer) -> None:
    @app.command()
    def doctor() -> None:
        """Check FFmpeg, offline speech, the data directory, the job store and, for the stages
        with keys, the models, keys, host and voice (free calls only). Exit 0 when ready, else 2.

        Example: storyreel doctor
        """
        settings = load_settings()
        report = run(diagnose(settings))
        table = Table(show_edge=False)
        table.add_column("check")
        table.add_column("verdict")
        table.add_column("detail", overflow="fold")
        for check in report.checks:
            style = _STYLE[check.verdict]
            table.add_row(check.name, f"[{style}]{check.verdict}[/{style}]", escape(check.detail))
        console.print(table)
        if not report.ok:
            raise typer.Exit(2)
        console.print("[green]ready[/green]: nothing above stops a job")
