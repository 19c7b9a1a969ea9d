"""The HTTP service: ``create_app(settings)`` builds it; the lifespan opens the job store (the
shared PostgreSQL one when ``STORYREEL_DATABASE_URL`` is set) and the MiniMax client, resumes
unfinished jobs, and at shutdown stops running jobs (they stay resumable). With
``STORYREEL_BROKER_URL`` set, jobs run on the workers instead (see ``JobManager``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import urlsplit

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from storyreel import __version__
from storyreel.api import (
    routes_cast,
    routes_doctor,
    routes_edits,
    routes_fonts,
    routes_job_files,
    routes_jobs,
    routes_music,
    routes_session,
    routes_studio,
    routes_timeline,
    routes_voices,
    routes_webhooks,
    routes_workers,
)
from storyreel.api.bodylimit import BodyLimit
from storyreel.api.deps import AppState, State
from storyreel.api.docs import install as install_docs
from storyreel.api.errors import install as install_error_handlers
from storyreel.api.headers import SecurityHeaders
from storyreel.api.manager import DEFAULT_MAX_JOBS, JobManager
from storyreel.api.origin import LOCAL_HOSTS, SameOrigin, host_name
from storyreel.api.schemas import Info
from storyreel.config import Settings
from storyreel.distributed import distributed_enabled
from storyreel.errors import ConfigError
from storyreel.minimax import AsyncMiniMax
from storyreel.pipeline.store import open_store
from storyreel.providers.factory import resolve_choices

STATIC = Path(__file__).parent / "static"
# The storyboard's route: the page draws its studio when the service has it.
BOARD_PATH = "/jobs/{job_id}/board"

page = APIRouter()


@page.get("/", include_in_schema=False)
async def index() -> FileResponse:
    return FileResponse(STATIC / "index.html", media_type="text/html")


@page.get("/info", response_model=Info, tags=["service"], summary="What the web page needs")
async def info(state: State, request: Request) -> Info:
    settings = state.settings
    token = settings.api_token.get_secret_value() if settings.api_token else ""
    return Info(
        version=__version__,
        auth_required=bool(token),
        offline_default=not settings.openai.configured and settings.minimax.mocked,
        mock=state.minimax.mocked,
        video_paid=_video_paid(settings),
        webhooks=state.manager.webhooks_on,
        max_jobs=state.manager.max_jobs,
        # From the schema (built once, then cached): included routers are not flat routes.
        studio=BOARD_PATH in request.app.openapi()["paths"],
    )


def _video_paid(settings: Settings) -> bool:
    try:
        video = resolve_choices(settings)["video"]
    except ConfigError:  # a provider that cannot be built: no job runs until it is fixed
        return False
    return video == "minimax" and not settings.minimax.mocked


def create_app(settings: Settings, *, max_jobs: int = DEFAULT_MAX_JOBS) -> FastAPI:
    """The service, on the store and job folders under ``settings.data_dir``.

    ``max_jobs`` jobs run at once (each with ``settings.concurrency`` segments in flight);
    more wait in the queue. With a broker, the workers decide how many run at once.
    """
    if distributed_enabled(settings):
        _check_broker(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        store = open_store(settings)
        try:
            async with AsyncMiniMax(settings.minimax) as minimax:
                manager = JobManager(settings, store, max_jobs=max_jobs, minimax=minimax)
                app.state.storyreel = AppState(settings, store, manager, minimax)
                await manager.start()
                try:
                    yield
                finally:
                    await manager.aclose()
        finally:
            await store.aclose()

    app = FastAPI(
        title="storyreel",
        version=__version__,
        summary="Turn a story into a narrated video: submit, watch it render, download it.",
        lifespan=lifespan,
        # Served by storyreel.api.docs from local files: FastAPI's own pages use a CDN.
        docs_url=None,
        redoc_url=None,
    )
    install_error_handlers(app)
    install_docs(app)
    app.include_router(page)
    app.include_router(routes_jobs.router)
    app.include_router(routes_job_files.router)
    app.include_router(routes_studio.router)
    app.include_router(routes_edits.router)
    app.include_router(routes_timeline.router)
    app.include_router(routes_voices.router)
    app.include_router(routes_music.router)
    app.include_router(routes_webhooks.router)
    app.include_router(routes_workers.router)
    app.include_router(routes_session.router)
    app.include_router(routes_doctor.router)
    app.include_router(routes_cast.router)
    app.include_router(routes_fonts.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    # Every route's body is capped; only the uploads (a 20 MB voice sample, a music track) get
    # more room, each its own route's limit.
    per_path = {"/voices": routes_voices.MAX_BODY_BYTES, "/music": routes_music.MAX_BODY_BYTES}
    per_pattern = {
        routes_edits.UPLOAD_PATH: routes_edits.MAX_BODY_BYTES,
        routes_cast.PICTURE_PATH: routes_cast.MAX_BODY_BYTES,
    }
    app.add_middleware(BodyLimit, per_path=per_path, per_pattern=per_pattern)
    app.add_middleware(SameOrigin, allowed_hosts=None if settings.api_token else _hosts(settings))
    app.add_middleware(SecurityHeaders)  # outermost: on every answer, the 413s included
    return app


def _hosts(settings: Settings) -> set[str]:
    """The host names a token-less service answers to (against DNS rebinding)."""
    hosts = {*LOCAL_HOSTS, *(h.lower() for h in settings.allowed_hosts)}
    if settings.public_url:
        hosts.add(host_name(urlsplit(settings.public_url).netloc))
    return hosts


def _check_broker(settings: Settings) -> None:
    """Refuse to start (rather than fail each submission) without what workers need."""
    try:
        from storyreel.distributed.broker import check_broker_url
    except ImportError:
        raise ConfigError(
            "STORYREEL_BROKER_URL is set but the distributed extra is not installed",
            field="STORYREEL_BROKER_URL",
            fix="pip install 'storyreel[distributed]', or unset it to run jobs in-process",
        ) from None
    check_broker_url(settings.broker_url)


__all__ = ["create_app"]
