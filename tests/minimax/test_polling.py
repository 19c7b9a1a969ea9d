"""wait_for_video: sequences, failures, transient errors, timeouts and webhook wake-ups."""

from __future__ import annotations

import asyncio

import httpx
import pytest
import respx

from storyreel.minimax import (
    AsyncMiniMax,
    AuthenticationError,
    MiniMaxSettings,
    TaskFailedError,
    TaskTimeoutError,
    VideoTask,
)

from .conftest import Sleeps, fail, ok


def status(raw: str, **extra: object) -> httpx.Response:
    return ok(task_id="42", status=raw, **extra)


SUCCESS = status("Success", file_id="176844028768320", video_width=1366, video_height=768)


async def test_full_sequence_to_success(
    client: AsyncMiniMax, router: respx.MockRouter, sleeps: Sleeps
) -> None:
    router.get("/query/video_generation").mock(
        side_effect=[
            status("Preparing"),
            status("Queueing"),
            status("Queueing"),
            status("Processing"),
            SUCCESS,
        ]
    )
    seen: list[str] = []
    task = await client.wait_for_video("42", on_status=lambda t: seen.append(t.status))
    assert task.done and task.file_id == "176844028768320"
    assert seen == ["Preparing", "Queueing", "Processing", "Success"]  # changes only
    # initial delay, then the interval between polls (settings: 5 s, 10 s)
    assert sleeps.calls == [5.0, 10.0, 10.0, 10.0, 10.0]


@pytest.mark.parametrize("raw", ["Fail", "Failed", "failed"])
async def test_sequence_to_failure(
    client: AsyncMiniMax, router: respx.MockRouter, raw: str
) -> None:
    router.get("/query/video_generation").mock(
        side_effect=[status("Queueing"), status("Processing"), status(raw, error_msg="bad frames")]
    )
    with pytest.raises(TaskFailedError) as info:
        await client.wait_for_video("42")
    assert info.value.task_id == "42" and "bad frames" in str(info.value)


async def test_late_moderation_failure_carries_code(
    client: AsyncMiniMax, router: respx.MockRouter
) -> None:
    router.get("/query/video_generation").mock(
        side_effect=[status("Processing"), fail(1027, "output new_sensitive")]
    )
    with pytest.raises(TaskFailedError) as info:
        await client.wait_for_video("42")
    assert info.value.code == 1027 and info.value.exit_code == 1


async def test_transient_errors_never_abort(
    client: AsyncMiniMax, router: respx.MockRouter, sleeps: Sleeps
) -> None:
    # Each poll retries 3 times itself; 4 failures in a row outlive one poll's retries.
    rate = fail(1002, "rate limit")
    router.get("/query/video_generation").mock(
        side_effect=[
            status("Processing"),
            rate,
            rate,
            httpx.ConnectError("down"),
            httpx.Response(502, text="bad gateway"),
            fail(1001, "request timeout"),
            status("Processing"),
            SUCCESS,
        ]
    )
    statuses: list[VideoTask] = []
    task = await client.wait_for_video("42", on_status=statuses.append)
    assert task.done and [t.status for t in statuses] == ["Processing", "Success"]


async def test_permanent_error_aborts(client: AsyncMiniMax, router: respx.MockRouter) -> None:
    route = router.get("/query/video_generation").mock(
        side_effect=[status("Processing"), fail(1004, "login fail")]
    )
    with pytest.raises(AuthenticationError):
        await client.wait_for_video("42")
    assert route.call_count == 2


async def test_timeout(settings: MiniMaxSettings, router: respx.MockRouter) -> None:
    router.get("/query/video_generation").mock(return_value=status("Queueing"))
    sleeps = Sleeps()
    async with AsyncMiniMax(settings, sleep=sleeps) as mm:
        with pytest.raises(TaskTimeoutError) as info:
            await mm.wait_for_video("42", timeout=35)
    assert info.value.task_id == "42" and "Queueing" in str(info.value)
    assert sum(sleeps.calls) == pytest.approx(35)
    assert sleeps.calls == [5.0, 10.0, 10.0, 10.0]


async def test_timeout_from_settings(settings: MiniMaxSettings, router: respx.MockRouter) -> None:
    router.get("/query/video_generation").mock(return_value=status("Processing"))
    custom = settings.model_copy(
        update={"poll_initial_delay": 0, "poll_interval": 7, "poll_timeout": 20}
    )
    sleeps = Sleeps()
    async with AsyncMiniMax(custom, sleep=sleeps) as mm:
        with pytest.raises(TaskTimeoutError):
            await mm.wait_for_video("42")
    assert sleeps.calls == [7, 7, 6]


async def test_wake_event_triggers_an_immediate_poll(
    settings: MiniMaxSettings, router: respx.MockRouter
) -> None:
    route = router.get("/query/video_generation").mock(side_effect=[status("Processing"), SUCCESS])
    wake = asyncio.Event()

    async def slow_sleep(seconds: float) -> None:
        await asyncio.sleep(3600)  # only a wake-up can end this

    async with AsyncMiniMax(
        settings.model_copy(update={"poll_initial_delay": 0}), sleep=slow_sleep
    ) as mm:
        waiter = asyncio.create_task(mm.wait_for_video("42", wake=wake))
        for _ in range(50):
            await asyncio.sleep(0)
            if route.call_count == 1:
                break
        assert route.call_count == 1 and not waiter.done()
        wake.set()  # e.g. the webhook said "success"
        task = await asyncio.wait_for(waiter, 5)
    assert task.done and route.call_count == 2 and not wake.is_set()


async def test_wake_already_set_skips_initial_delay(
    client: AsyncMiniMax, router: respx.MockRouter, sleeps: Sleeps
) -> None:
    router.get("/query/video_generation").mock(return_value=SUCCESS)
    wake = asyncio.Event()
    wake.set()
    assert (await client.wait_for_video("42", wake=wake)).done
    assert sleeps.calls == []


async def test_wake_not_set_sleeps_normally(
    client: AsyncMiniMax, router: respx.MockRouter, sleeps: Sleeps
) -> None:
    router.get("/query/video_generation").mock(side_effect=[status("Processing"), SUCCESS])
    assert (await client.wait_for_video("42", wake=asyncio.Event())).done
    assert sleeps.calls == [5.0, 10.0]
