"""How errors look on the wire: ``{"detail": "..."}``, and for 422 FastAPI's list of problems
(each with ``loc`` naming the field) plus a one-line ``message``."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request, status
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from storyreel.api.schemas import Problem, ValidationProblem
from storyreel.errors import (
    BudgetExceededError,
    JobError,
    ProviderError,
    ServiceUnavailableError,
    StoryreelError,
    UsageError,
)
from storyreel.minimax import MiniMaxError, MiniMaxValidationError
from storyreel.providers._minimax_common import vendor_error

log = logging.getLogger(__name__)

ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem, "description": "STORYREEL_API_TOKEN is set and was not sent."},
    404: {"model": Problem, "description": "No such job, or not ready yet."},
    422: {"model": ValidationProblem, "description": "A field is invalid; `loc` names it."},
}


def _where(loc: Any) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "request"


def validation_problem(
    error: UsageError | MiniMaxValidationError, *, where: str = "body"
) -> RequestValidationError:
    """The same 422 as a failed pydantic check, for a check made in code."""
    field = error.field or "request"
    message = error.message if isinstance(error, MiniMaxValidationError) else str(error)
    msg = message.removeprefix(f"{field}: ").removesuffix(f" ({error.fix})")
    return RequestValidationError(
        [{"loc": (where, field), "msg": msg, "type": "value_error", "fix": error.fix}]
    )


async def _on_validation(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        # The rejected input is left out: it may be large, or something not meant to be echoed.
        {k: v for k, v in error.items() if k != "input"}
        for error in exc.errors()
    ]
    message = "; ".join(f"{_where(e.get('loc', ()))}: {e.get('msg', 'invalid')}" for e in errors)
    return JSONResponse(
        {"detail": jsonable_encoder(errors), "message": message},
        status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
    )


# Storyreel's own errors by class: the status an API client can act on.
_STATUS: tuple[tuple[type[StoryreelError], int], ...] = (
    (BudgetExceededError, status.HTTP_422_UNPROCESSABLE_CONTENT),
    (JobError, status.HTTP_409_CONFLICT),
    (ServiceUnavailableError, status.HTTP_503_SERVICE_UNAVAILABLE),
    # Provider messages are already free of keys (the boundaries redact them).
    (ProviderError, status.HTTP_502_BAD_GATEWAY),
)


async def _on_storyreel_error(request: Request, exc: Exception) -> JSONResponse:
    """The one handler of storyreel's tree (vendor errors arrive translated)."""
    if isinstance(exc, MiniMaxError):
        exc = vendor_error(exc)
    assert isinstance(exc, StoryreelError)
    if isinstance(exc, UsageError):
        return await _on_validation(request, validation_problem(exc))
    code = next(
        (code for cls, code in _STATUS if isinstance(exc, cls)),
        status.HTTP_500_INTERNAL_SERVER_ERROR,
    )
    return JSONResponse({"detail": str(exc)}, status_code=code)


async def _on_model_error(request: Request, exc: Exception) -> JSONResponse:
    # A pydantic check raised by code behind a route (not by the request's own parsing): still
    # the API's 422 shape, never a 500 carrying pydantic's raw text.
    assert isinstance(exc, ValidationError)
    errors = [{**e, "loc": ("body", *e.get("loc", ()))} for e in exc.errors()]
    return await _on_validation(request, RequestValidationError(errors))


async def _on_unexpected(_: Request, exc: Exception) -> JSONResponse:
    log.exception("unexpected error", exc_info=exc)
    return JSONResponse(
        {"detail": f"internal error ({type(exc).__name__}); the service log has the details"},
        status_code=status.HTTP_500_INTERNAL_SERVER_ERROR,
    )


def install(app: FastAPI) -> None:
    app.add_exception_handler(ValidationError, _on_model_error)
    app.add_exception_handler(Exception, _on_unexpected)
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(StoryreelError, _on_storyreel_error)
    # The routes that call the MiniMax client directly (voices, webhooks) meet its errors:
    # translated here, once, into storyreel's tree.
    app.add_exception_handler(MiniMaxError, _on_storyreel_error)
