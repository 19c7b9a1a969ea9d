"""``GET /doctor``: what ``storyreel doctor`` prints, for the service's own settings."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel

from storyreel.api.deps import Authorized, SettingsDep
from storyreel.api.errors import ERROR_RESPONSES
from storyreel.pipeline.doctor import diagnose

router = APIRouter(tags=["service"], dependencies=[Authorized], responses=ERROR_RESPONSES)


class CheckOut(BaseModel):
    name: str
    verdict: Literal["ok", "warn", "fail", "skip"]
    detail: str


class DoctorOut(BaseModel):
    ok: bool
    checks: list[CheckOut]


@router.get("/doctor", response_model=DoctorOut, summary="Is the service ready to make videos?")
async def doctor(settings: SettingsDep) -> DoctorOut:
    """FFmpeg, offline speech, storage, and the preflight of the configured providers (free
    calls only: OpenAI model lookups and MiniMax get_voice). Keys never appear in the answer."""
    report = await diagnose(settings)
    return DoctorOut(
        ok=report.ok, checks=[CheckOut.model_validate(c.to_dict()) for c in report.checks]
    )
