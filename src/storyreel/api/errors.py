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
from storyreel.errors import JobError, ProviderError, UsageError
from storyreel.minimax import MiniMaxError, MiniMaxValidationError

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


async def _on_usage_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, UsageError | MiniMaxValidationError)
    return await _on_validation(request, validation_problem(exc))


async def _on_job_error(_: Request, exc: Exception) -> JSONResponse:
    return JSONResponse({"detail": str(exc)}, status_code=status.HTTP_409_CONFLICT)


async def _on_provider_error(_: Request, exc: Exception) -> JSONResponse:
    # Provider and client messages are already free of keys (the client redacts them).
    return JSONResponse({"detail": str(exc)}, status_code=status.HTTP_502_BAD_GATEWAY)


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
    app.add_exception_handler(UsageError, _on_usage_error)
    app.add_exception_handler(MiniMaxValidationError, _on_usage_error)
    app.add_exception_handler(JobError, _on_job_error)
    app.add_exception_handler(ProviderError, _on_provider_error)
    app.add_exception_handler(MiniMaxError, _on_provider_error)
