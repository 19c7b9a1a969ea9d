"""``storyreel doctor``: is this machine and configuration ready to make a video?

The preflight (free calls to OpenAI and MiniMax for the stages that are real) plus the local
checks: FFmpeg, offline speech, a writable data directory, the job store, and the broker when one
is configured. Nothing here costs money. The service shows the same report at ``GET /doctor``.
"""

from __future__ import annotations

import asyncio
import subprocess
import tempfile
from collections.abc import Awaitable, Callable

from storyreel.config import Settings
from storyreel.errors import StoryreelError
from storyreel.pipeline import preflight
from storyreel.pipeline.preflight import Check, Report

# How long a local check may take before it is a failure (a hung broker, a slow disk).
CHECK_TIMEOUT = 20.0


async def diagnose(settings: Settings) -> Report:
    """Every check, each with its verdict; never raises for a failed check."""
    local = [
        await _guard("FFmpeg", _ffmpeg),
        await _guard("offline speech", _espeak),
        await _guard("data directory", lambda: _data_dir(settings)),
        await _guard("job store", lambda: _store(settings)),
    ]
    if settings.broker_url:
        local.append(await _guard("broker", lambda: _broker(settings)))
    return Report((*local, *await _services(settings)))


async def _services(settings: Settings) -> list[Check]:
    """The preflight of a job made with these settings and no overrides."""
    from storyreel.providers.factory import build_providers

    try:
        # In a thread: real clients set up TLS, and GET /doctor runs on the service's loop.
        providers = await asyncio.to_thread(build_providers, settings)
    except StoryreelError as exc:
        return [Check("providers", "fail", str(exc))]
    async with providers:
        stages = ", ".join(f"{stage} {name}" for stage, name in providers.resolved.items())
        calls = preflight.Calls(stages=providers.resolved, voice_id=settings.voice_id)
        report = await preflight.preflight(
            settings, calls, openai_client=providers.openai, minimax=providers.minimax
        )
    return [Check("providers", "ok", stages), *report.checks]


async def _guard(name: str, check: Callable[[], Awaitable[str]]) -> Check:
    try:
        detail = await asyncio.wait_for(check(), CHECK_TIMEOUT)
    except TimeoutError:
        return Check(name, "fail", f"no answer in {CHECK_TIMEOUT:g} s")
    except Exception as exc:  # a check reports its failure, it does not end the report
        return Check(name, "fail", " ".join(str(exc).split())[:300] or type(exc).__name__)
    return Check(name, "ok", detail)


async def _ffmpeg() -> str:
    from storyreel.assembly.ffmpeg import ffmpeg_exe

    done = await asyncio.to_thread(
        subprocess.run, [ffmpeg_exe(), "-hide_banner", "-version"], capture_output=True, check=True
    )
    first = done.stdout.decode(errors="replace").splitlines()[0]
    return " ".join(first.split()[:3])  # "ffmpeg version n9.0.2-..."


async def _espeak() -> str:
    from storyreel.providers.offline import _espeak

    pcm, rate = await asyncio.to_thread(_espeak.synthesize, "ready", voice="en-us", rate=175)
    if not pcm:
        raise RuntimeError("espeak-ng spoke no samples")
    return f"espeak-ng, {rate} Hz"


async def _data_dir(settings: Settings) -> str:
    def probe() -> None:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=settings.data_dir, prefix=".doctor-"):
            pass

    await asyncio.to_thread(probe)
    return f"{settings.data_dir} is writable"


async def _store(settings: Settings) -> str:
    from storyreel.pipeline.store import default_store_path, open_store

    if not settings.database_url:
        await asyncio.to_thread(
            default_store_path(settings).parent.mkdir, parents=True, exist_ok=True
        )
    store = open_store(settings)
    try:
        await store.list_jobs(limit=1)
    finally:
        await store.aclose()
    return "PostgreSQL" if settings.database_url else f"SQLite in {settings.data_dir}"


async def _broker(settings: Settings) -> str:
    from storyreel.distributed.broker import check_broker_url

    url = check_broker_url(settings.broker_url)
    import redis.asyncio as redis

    client = redis.Redis.from_url(url)
    try:
        await client.ping()
    finally:
        await client.aclose()
    return "Redis answers"
