"""Video: create a task (text, first frame, or first and last frame), query it, wait for it.

A create is paid and not repeated blindly (see ``BaseClient._call``); the wait is polling, kept
apart from retrying in ``_polling``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from . import _file_checks
from . import _validation as check
from ._base_client import BaseClient, BeforeSend, BeforeWait
from ._constants import VIDEO_CREATE, VIDEO_QUERY
from ._exceptions import ContentPolicyError, MiniMaxValidationError, ServerError
from ._models import VideoRequest, VideoTask, int_or_none, normalize_status
from ._polling import wait_for_task

log = logging.getLogger(__name__)


class VideoResource(BaseClient):
    """The video endpoints: creates (paid, never repeated blindly), queries and the wait."""

    async def generate_video(
        self,
        prompt: str | None = None,
        *,
        model: str = "MiniMax-Hailuo-02",
        first_frame_image: str | Path | None = None,
        last_frame_image: str | Path | None = None,
        duration: int = 6,
        resolution: str = "768P",
        prompt_optimizer: bool = True,
        callback_url: str | None = None,
        before_send: BeforeSend | None = None,
        before_wait: BeforeWait | None = None,
    ) -> str:
        """``POST /v1/video_generation`` (T2V, I2V or FL2V by the frames given). Returns task_id.

        ``before_send``: awaited after validation and the rate-limit wait, right before the
        request leaves. A caller that must record "this may now be billed" (a write-ahead log)
        does it there, so an interruption while waiting for a slot is not mistaken for a
        request that may have been accepted. An exception from it cancels the request.
        ``before_wait``: called as the request starts waiting for its rate-limit slot (5 RPM
        by default), so the wait can be told from the request's own time."""
        mode: check.Mode = (
            "fl2v"
            if last_frame_image is not None
            else "i2v"
            if first_frame_image is not None
            else "t2v"
        )
        text = check.validate_prompt(prompt, required=mode == "t2v")
        params = check.validate_video(
            model=model, mode=mode, duration=duration, resolution=resolution
        )
        callback = check.validate_callback_url(callback_url)
        first = await _file_checks.prepare_image(first_frame_image, "first_frame_image")
        last = await _file_checks.prepare_image(last_frame_image, "last_frame_image")
        request = VideoRequest(
            model=model,
            prompt=text,
            first_frame_image=first,
            last_frame_image=last,
            duration=params.duration,
            resolution=params.resolution,
            prompt_optimizer=prompt_optimizer,
            callback_url=callback,
        )
        body = await self._json(
            "POST",
            VIDEO_CREATE,
            json=request.body(),
            before_send=before_send,
            before_wait=before_wait,
        )
        task_id = body.get("task_id")
        if task_id in (None, ""):
            raise ServerError("the answer has no task_id", endpoint=VIDEO_CREATE)
        log.debug("video task %s created (%s, %s)", task_id, model, mode)
        return str(task_id)

    async def generate_video_fl2v(
        self,
        prompt: str | None = None,
        first_frame_image: str | Path | None = None,
        last_frame_image: str | Path | None = None,
        *,
        model: str = "MiniMax-Hailuo-02",
        duration: int = 6,
        resolution: str = "768P",
        prompt_optimizer: bool = True,
        callback_url: str | None = None,
        before_send: BeforeSend | None = None,
        before_wait: BeforeWait | None = None,
    ) -> str:
        """First-and-last-frame video (Hailuo-02 only). Returns task_id.

        The first frame is optional (the seed says so, and the API requires only ``model`` and
        ``last_frame_image``); the last frame is not."""
        if last_frame_image is None:
            raise MiniMaxValidationError(
                "is missing",
                field="last_frame_image",
                fix="first-last-frame video needs at least the last frame",
            )
        return await self.generate_video(
            prompt,
            model=model,
            first_frame_image=first_frame_image,
            last_frame_image=last_frame_image,
            duration=duration,
            resolution=resolution,
            prompt_optimizer=prompt_optimizer,
            callback_url=callback_url,
            before_send=before_send,
            before_wait=before_wait,
        )

    async def query_video_status(self, task_id: str) -> VideoTask:
        """``GET /v1/query/video_generation``. A moderation code (1026/1027) means ``Fail``."""
        if not str(task_id).strip():
            raise MiniMaxValidationError(
                "is empty", field="task_id", fix="pass the id from generate_video"
            )
        try:
            body = await self._call(
                "GET", VIDEO_QUERY, params={"task_id": str(task_id)}, read=self._read_query
            )
        except ContentPolicyError as exc:
            return VideoTask(
                task_id=str(task_id),
                status="Fail",
                raw_status="Fail",
                code=exc.code,
                message=exc.message,
            )
        task = self._parse(
            VideoTask, {**body, "task_id": body.get("task_id") or task_id}, VIDEO_QUERY
        )
        if task.failed and task.message is None:
            reason = body.get("error_msg") or body.get("error_message")
            base = body.get("base_resp")
            base = base if isinstance(base, dict) else {}
            code = int_or_none(base.get("status_code"))
            message = reason or (base.get("status_msg") if code else None)
            task = task.model_copy(
                update={"message": str(message) if message else None, "code": code or task.code}
            )
        if task.done and not task.file_id:
            raise ServerError(
                f"task {task_id} succeeded but the answer has no file_id", endpoint=VIDEO_QUERY
            )
        return task

    async def _read_query(self, endpoint: str, response: httpx.Response) -> dict[str, Any]:
        # A failed task may carry its reason as a non-zero base_resp: that is a result, not
        # an error of the query itself.
        body = await self._read_body(response)
        if (
            response.status_code < 400
            and isinstance(body, dict)
            and body.get("status")
            and normalize_status(body["status"]) == "Fail"
        ):
            return body
        return self._raise_for_body(endpoint, response, body)

    async def wait_for_video(
        self,
        task_id: str,
        *,
        on_status: Callable[[VideoTask], None] | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 -- part of the public contract
        wake: asyncio.Event | None = None,
    ) -> VideoTask:
        """Poll until the task succeeds (returned), fails or times out (raised)."""
        initial, interval = self.settings.poll_initial_delay, self.settings.poll_interval
        if self.mocked:
            # Mock tasks advance one stage per poll: waiting real seconds would prove nothing.
            initial, interval = 0.0, 0.0
        return await wait_for_task(
            self.query_video_status,
            str(task_id),
            sleep=self._sleep,
            initial_delay=initial,
            interval=interval,
            timeout=timeout if timeout is not None else self.settings.poll_timeout,
            on_status=on_status,
            wake=wake,
        )
