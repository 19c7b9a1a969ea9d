"""``/session``: the page's login. The token goes in once and comes back as an HttpOnly cookie.

The page never keeps the token itself (no localStorage, no script-readable cookie), so a script
injected into it could not read the token out. The cookie's value is the token exactly: Starlette
quotes a value with ``; , = +`` or spaces when it sets the cookie and unquotes it when it reads.
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field

from storyreel.api.deps import TOKEN_COOKIE, SettingsDep, token_matches
from storyreel.api.errors import ERROR_RESPONSES

router = APIRouter(prefix="/session", tags=["session"], responses=ERROR_RESPONSES)


class Login(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: str = Field(min_length=1, max_length=4096, description="STORYREEL_API_TOKEN")


@router.post("", status_code=status.HTTP_204_NO_CONTENT, summary="Log the page in")
async def login(login: Login, request: Request, settings: SettingsDep) -> Response:
    if not token_matches(settings, login.token):
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "wrong API token")
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    response.set_cookie(
        TOKEN_COOKIE,
        login.token,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )
    return response


@router.delete("", status_code=status.HTTP_204_NO_CONTENT, summary="Log the page out")
async def logout() -> Response:
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    response.delete_cookie(TOKEN_COOKIE, path="/", httponly=True, samesite="strict")
    return response
