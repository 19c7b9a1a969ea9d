"""The dependencies routes declare: the app's state, the bearer token, a job from its id."""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Path, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from storyreel.api.manager import JobManager
from storyreel.api.webhooks import Webhooks
from storyreel.config import Settings
from storyreel.errors import JobError
from storyreel.minimax import AsyncMiniMax
from storyreel.pipeline.store import Job, JobStore

# new_job_id(): 16 characters of base32, lowercase. Anything else never reaches the store.
JOB_ID_PATTERN = r"^[a-z2-7]{16}$"
_JOB_ID = re.compile(JOB_ID_PATTERN)
# Browsers cannot put a header on <video src>, <img src> or EventSource: ``POST /session`` sets
# this cookie (HttpOnly, SameSite=Strict, the token exactly), and requests may use it instead of
# the header: GETs always, other methods only from a page of this host (they carry Origin, which
# the SameOrigin middleware has already checked), so a cross-site form can never spend with it.
TOKEN_COOKIE = "storyreel_token"


@dataclass
class AppState:
    """Everything the lifespan builds, on ``app.state.storyreel``."""

    settings: Settings
    store: JobStore
    manager: JobManager
    minimax: AsyncMiniMax


def get_state(request: Request) -> AppState:
    state: AppState = request.app.state.storyreel
    return state


State = Annotated[AppState, Depends(get_state)]


def get_manager(state: State) -> JobManager:
    return state.manager


def get_webhooks(state: State) -> Webhooks:
    return state.manager.webhooks


def get_settings(state: State) -> Settings:
    return state.settings


Manager = Annotated[JobManager, Depends(get_manager)]
WebhooksDep = Annotated[Webhooks, Depends(get_webhooks)]
SettingsDep = Annotated[Settings, Depends(get_settings)]

_bearer = HTTPBearer(auto_error=False, description="Set when STORYREEL_API_TOKEN is set.")


def require_token(
    request: Request,
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    """401 unless the request carries STORYREEL_API_TOKEN (when one is set)."""
    if settings.api_token is None or not settings.api_token.get_secret_value():
        return
    given = credentials.credentials if credentials is not None else None
    if given is None and (request.method == "GET" or "origin" in request.headers):
        given = request.cookies.get(TOKEN_COOKIE)
    if given is None or not token_matches(settings, given):
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "missing or wrong API token: send Authorization: Bearer <STORYREEL_API_TOKEN>",
            headers={"WWW-Authenticate": "Bearer"},
        )


def token_matches(settings: Settings, given: str) -> bool:
    """Constant-time comparison with STORYREEL_API_TOKEN (any characters)."""
    if settings.api_token is None:
        return False
    expected = settings.api_token.get_secret_value().encode()
    return hmac.compare_digest(given.encode(), expected)


Authorized = Depends(require_token)


async def get_job(
    state: State,
    job_id: Annotated[str, Path(description="The job's id.", pattern=JOB_ID_PATTERN)],
) -> Job:
    if not _JOB_ID.match(job_id):  # the Path pattern already says so; never trust one layer
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no job {job_id!r}")
    try:
        return await state.store.get_job(job_id)
    except JobError:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no job {job_id!r}") from None


JobDep = Annotated[Job, Depends(get_job)]
