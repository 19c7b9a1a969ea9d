"""The ``callback_url`` webhook: a challenge to echo, then status notifications.

MiniMax first POSTs ``{"challenge": ...}`` and wants it echoed within 3 s. Later bodies look
like query answers with lowercase statuses (``processing``/``success``/``failed``). No
signature is documented, so treat an event as a hint: confirm with ``query_video_status``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._exceptions import MiniMaxValidationError
from ._models import CallbackEvent, normalize_status


def parse_callback(body: Mapping[str, Any]) -> CallbackEvent:
    """Parse a webhook body. If ``.challenge`` is set, answer ``{"challenge": value}`` at once."""
    if not isinstance(body, Mapping):
        raise MiniMaxValidationError(
            "is not a JSON object", field="body", fix="pass the parsed JSON body of the POST"
        )
    challenge = body.get("challenge")
    if challenge is not None:
        return CallbackEvent(challenge=str(challenge))
    task_id = body.get("task_id")
    if task_id is None or task_id == "":
        raise MiniMaxValidationError(
            "has neither challenge nor task_id", field="body", fix="pass MiniMax's callback body"
        )
    base = body.get("base_resp")
    base = base if isinstance(base, Mapping) else {}
    code = base.get("status_code")
    status = normalize_status(body.get("status"))
    # Callbacks only announce processing/success/failed; earlier stages count as processing.
    mapped = status if status in ("Success", "Fail") else "Processing"
    return CallbackEvent.model_validate(
        {
            "task_id": task_id,
            "status": mapped,
            "file_id": body.get("file_id") or None,
            "code": int(code) if code not in (None, "", 0) else None,
            "message": base.get("status_msg") or None,
        }
    )
