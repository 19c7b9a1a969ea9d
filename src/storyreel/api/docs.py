"""``/docs`` (Swagger UI) and ``/redoc`` (ReDoc), served entirely from this service.

FastAPI's own pages load their bundles from a CDN and start them with an inline script, which a
strict Content-Security-Policy refuses. Here the bundles come from the ``fastapi-offline`` wheel
(Swagger UI and ReDoc, pinned with it) under ``/docs-assets``, and each page starts its bundle
from a file of ours in ``/static``, so both pages run under a policy naming no other origin and
allowing no inline script (see :mod:`storyreel.api.headers`).
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

STATIC = Path(__file__).parent / "static"
ASSETS_URL = "/docs-assets"
# The wheel ships the files themselves: swagger-ui-bundle.js, swagger-ui.css, redoc.standalone.js.
ASSETS = Path(str(files("fastapi_offline") / "static"))

router = APIRouter(include_in_schema=False)


@router.get("/docs")
async def swagger_ui() -> FileResponse:
    return FileResponse(STATIC / "docs.html", media_type="text/html")


@router.get("/redoc")
async def redoc() -> FileResponse:
    return FileResponse(STATIC / "redoc.html", media_type="text/html")


def install(app: FastAPI) -> None:
    """The two pages and their assets (build the app with ``docs_url=None, redoc_url=None``)."""
    app.include_router(router)
    app.mount(ASSETS_URL, StaticFiles(directory=ASSETS), name="docs-assets")


__all__ = ["ASSETS_URL", "install"]
