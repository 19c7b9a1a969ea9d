"""``storyreel serve``: the HTTP service and its web page (uvicorn)."""

from __future__ import annotations

import typer

from storyreel.cli.common import err_console, load_settings


def register(app: typer.Typer) -> None:
    @app.command()
    def serve(
        host: str = typer.Option("127.0.0.1", "--host", help="Interface to listen on."),
        port: int = typer.Option(8000, "--port", min=0, max=65535, help="Port to listen on."),
        max_jobs: int = typer.Option(
            2,
            "--max-jobs",
            min=1,
            max=32,
            envvar="STORYREEL_MAX_JOBS",
            help="Jobs rendering at once; more wait in the queue.",
        ),
    ) -> None:
        """Serve the API (docs at /docs) and the web page at /. Unfinished jobs resume.

        Example: storyreel serve --port 8000, then open http://127.0.0.1:8000/
        """
        import uvicorn

        from storyreel.api.app import create_app

        settings = load_settings()
        if host not in ("127.0.0.1", "localhost", "::1") and settings.api_token is None:
            err_console.print(
                "warning: listening beyond this machine without STORYREEL_API_TOKEN",
                style="yellow",
            )
        err_console.print(f"storyreel on http://{host}:{port}/ (data in {settings.data_dir})")
        uvicorn.run(create_app(settings, max_jobs=max_jobs), host=host, port=port, log_level="info")
