"""The HTTP service: ``create_app(settings)`` builds it; the lifespan opens the job store and the
MiniMax client, resumes unfinished jobs, and at shutdown stops running jobs (they stay
resumable)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from storyreel import __version__
from storyreel.api import routes_jobs, routes_voices, routes_webhooks
from storyreel.api.deps import AppState, State
from storyreel.api.errors import install as install_error_handlers
from storyreel.api.manager import DEFAULT_MAX_JOBS, JobManager
from storyreel.api.schemas import Info
from storyreel.config import Settings
from storyreel.minimax import AsyncMiniMax
from storyreel.pipeline.store import SQLiteJobStore, default_store_path

STATIC = Path(__file__).parent / "static"

page = APIRouter()


@page.get("/", include_in_schema=False)
async def index() -> FileResponse:
    return FileResponse(STATIC / "index.html", media_type="text/html")


@page.get("/info", response_model=Info, tags=["service"], summary="What the web page needs")
async def info(state: State) -> Info:
    settings = state.settings
    token = settings.api_token.get_secret_value() if settings.api_token else ""
    return Info(
        version=__version__,
        auth_required=bool(token),
        offline_default=not settings.openai.configured and settings.minimax.mocked,
        mock=state.minimax.mocked,
        webhooks=state.manager.webhooks_on,
        max_jobs=state.manager.max_jobs,
    )


def create_app(settings: Settings, *, max_jobs: int = DEFAULT_MAX_JOBS) -> FastAPI:
    """The service, on the store and job folders under ``settings.data_dir``.

    ``max_jobs`` jobs run at once (each with ``settings.concurrency`` segments in flight);
    more wait in the queue.
    """

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        path = default_store_path(settings)
        path.parent.mkdir(parents=True, exist_ok=True)
        async with SQLiteJobStore(path) as store, AsyncMiniMax(settings.minimax) as minimax:
            manager = JobManager(settings, store, max_jobs=max_jobs, minimax=minimax)
            app.state.storyreel = AppState(settings, store, manager, minimax)
            await manager.start()
            try:
                yield
            finally:
                await manager.aclose()

    app = FastAPI(
        title="storyreel",
        version=__version__,
        summary="Turn a story into a narrated video: submit, watch it render, download it.",
        lifespan=lifespan,
    )
    install_error_handlers(app)
    app.include_router(page)
    app.include_router(routes_jobs.router)
    app.include_router(routes_voices.router)
    app.include_router(routes_webhooks.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app


__all__ = ["create_app"]
