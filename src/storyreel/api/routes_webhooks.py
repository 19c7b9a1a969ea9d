"""``/webhooks/minimax/{token}``: where MiniMax reports on the clips of one job.

MiniMax first checks the URL with a challenge it wants echoed within 3 seconds, then posts
``processing``, ``success`` or ``failed``. Nothing slow happens before the answer: a
notification is confirmed with ``query_video_status`` in the background (callbacks carry no
signature) and then wakes the job's waiting fetch. Repeats are harmless.
"""

from __future__ import annotations

import json
import logging
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Request, status

from storyreel.api.deps import WebhooksDep
from storyreel.api.errors import validation_problem
from storyreel.api.schemas import Problem, ValidationProblem, WebhookAck
from storyreel.minimax import MiniMaxValidationError, parse_callback

log = logging.getLogger(__name__)

router = APIRouter(prefix="/webhooks", tags=["webhooks"])
MAX_CALLBACK_BYTES = 64 * 1024


@router.post(
    "/minimax/{token}",
    response_model=WebhookAck,
    response_model_exclude_none=True,
    summary="MiniMax video callbacks",
    responses={
        404: {"model": Problem, "description": "Unknown token."},
        422: {"model": ValidationProblem, "description": "Not a MiniMax callback body."},
    },
)
async def minimax_callback(
    token: Annotated[str, Path(min_length=20, max_length=100, pattern=r"^[A-Za-z0-9_-]+$")],
    request: Request,
    webhooks: WebhooksDep,
) -> WebhookAck:
    job_id = webhooks.tokens.job_for(token)
    if job_id is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "unknown callback token")
    # Refused from the declared length before a byte is read (a chunked body is still capped by
    # the app's BodyLimit and checked again below).
    declared = request.headers.get("content-length", "0")
    if not declared.isdigit() or int(declared) > MAX_CALLBACK_BYTES:
        raise HTTPException(
            status.HTTP_413_CONTENT_TOO_LARGE,
            f"callback body too large: at most {MAX_CALLBACK_BYTES} bytes",
        )
    raw = await request.body()
    try:
        if len(raw) > MAX_CALLBACK_BYTES:
            raise ValueError("too large")
        event = parse_callback(json.loads(raw))
    except (ValueError, MiniMaxValidationError) as error:
        if isinstance(error, MiniMaxValidationError):
            raise validation_problem(error) from None
        raise validation_problem(
            MiniMaxValidationError("is not a JSON object", field="body", fix="send JSON")
        ) from None
    if event.challenge is not None:
        return WebhookAck(challenge=event.challenge)
    if event.task_id is not None and event.status is not None:
        log.debug("callback for job %s: task %s %s", job_id, event.task_id, event.status)
        webhooks.on_callback(job_id, event.task_id, event.status)
    return WebhookAck(status="received")
