"""Workers benchmark (a script, not a test; issue 7).

N jobs of S segments (default 20 x 4, 720P) handed to 1, 2 and 4 ``storyreel worker`` processes
(3 threads each) through real Redis and PostgreSQL, against the fake MiniMax and OpenAI on local
sockets with latency (video 10 s per task, every other call 0.2 s). The fake MiniMax renders one
clip per shape and serves it to every task (MiniMax renders on its own machines; here its
rendering would take the CPU being measured); downloads, muxing and assembly are the workers' own
FFmpeg work. Reports jobs per minute, the videos started per minute, and how busy the CPU was.

Where the RPM limit binds: every video create takes a slot in the Redis window shared by all
workers, so N x S videos need at least (N x S / MINIMAX_VIDEO_RPM - 1) minutes whatever the
number of workers. Below that floor, throughput grows with workers (each adds threads waiting
on videos in parallel); at it, more workers only wait longer for slots. The other ceiling is the
CPU: the "CPU busy" column is the workers' (and their FFmpeg's) CPU time over wall time x cores.

Run:  .venv/bin/python bench/bench_workers.py [--jobs 20 --segments 4 --workers 1,2,4 --rpm 60]
      [--json FILE]   (the figures, for bench/run.py's RESULTS.md)
Needs Redis (STORYREEL_TEST_REDIS, default redis://127.0.0.1:6379/13) and PostgreSQL
(STORYREEL_TEST_PG, default postgresql://postgres@127.0.0.1:5432/postgres).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import secrets
import signal
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.fakes.fake_minimax import FakeMiniMax
from tests.fakes.fake_openai import FakeOpenAI

from storyreel.config import Settings
from storyreel.distributed import submit_job
from storyreel.pipeline.jobs import JobOptions, JobRunner
from storyreel.pipeline.store import open_store

PG = os.environ.get("STORYREEL_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS = os.environ.get("STORYREEL_TEST_REDIS", "redis://127.0.0.1:6379/13")
STORY = (
    "A lighthouse keeper finds a glass bottle on the shore. Inside is a map of the stars. "
    "She climbs the tower at midnight and the beam of light turns into a bridge to the sky. "
    "At dawn she comes back down with a pocket full of stardust."
)


def _database() -> tuple[str, str]:
    import psycopg

    name = f"storyreel_bench_{secrets.token_hex(4)}"
    with psycopg.connect(PG, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    return name, f"{PG.rpartition('/')[0]}/{name}"


def _drop(name: str) -> None:
    import psycopg

    with psycopg.connect(PG, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _forget(namespace: str) -> None:
    from redis import Redis

    client = Redis.from_url(REDIS)
    keys = list(client.scan_iter(match=f"{namespace}*"))
    if keys:
        client.delete(*keys)
    client.close()


async def one_run(workers: int, args: argparse.Namespace) -> dict[str, float]:
    name, url = _database()
    namespace = f"storyreel-bench-{secrets.token_hex(4)}"
    data = Path(tempfile.mkdtemp(prefix="storyreel-bench-"))
    with FakeMiniMax() as minimax, FakeOpenAI() as openai:
        minimax.reuse_clips = True
        minimax.set_latency("video", args.video)
        for endpoint in ("t2a_v2", "files/upload", "query/video_generation", "files/retrieve"):
            minimax.set_latency(endpoint, args.other)
        for endpoint in ("plan", "image"):
            openai.set_latency(endpoint, args.other)
        env = {
            **os.environ,
            "STORYREEL_BROKER_URL": REDIS,
            "STORYREEL_REDIS_NAMESPACE": namespace,
            "STORYREEL_DATABASE_URL": url,
            "STORYREEL_DATA_DIR": str(data),
            "MINIMAX_BASE_URL": minimax.url,
            "MINIMAX_API_KEY": minimax.api_key,
            "OPENAI_BASE_URL": openai.base_url,
            "OPENAI_API_KEY": openai.api_key,
            "MINIMAX_VIDEO_RPM": str(args.rpm),
            "MINIMAX_POLL_INITIAL_DELAY": "0",
            "MINIMAX_POLL_INTERVAL": "0.5",
        }
        os.environ.update(env)
        cpu_before = _children_cpu()
        procs = [
            await asyncio.create_subprocess_exec(
                *(sys.executable, "-m", "storyreel.cli", "worker", "--threads", str(args.threads)),
                env=env,
                stderr=asyncio.subprocess.DEVNULL,
            )
            for _ in range(workers)
        ]
        store = open_store(Settings())
        try:
            runner = JobRunner(Settings(), store)
            options = JobOptions(segments=args.segments, resolution="720P", subtitles="srt")
            started = time.monotonic()
            jobs = [await runner.create(STORY, options, data / f"job{n}") for n in range(args.jobs)]
            for job in jobs:
                await submit_job(job.id, Settings())
            first_done: float | None = None
            while True:
                states = [(await store.get_job(j.id)).status for j in jobs]
                if "failed" in states:
                    errors = [(await store.get_job(j.id)).error for j in jobs]
                    raise SystemExit(f"a job failed: {[e for e in errors if e]}")
                if first_done is None and "succeeded" in states:
                    first_done = time.monotonic() - started
                if all(s == "succeeded" for s in states):
                    break
                await asyncio.sleep(0.5)
            wall = time.monotonic() - started
        finally:
            await store.aclose()
            for proc in procs:
                proc.send_signal(signal.SIGTERM)
            for proc in procs:
                await asyncio.wait_for(proc.wait(), 30)
            cpu = _children_cpu() - cpu_before
            _forget(namespace)
            _drop(name)
        videos = minimax.accepted["video_generation"]
        return {
            "workers": workers,
            "wall": wall,
            "first": first_done or wall,
            "jobs_per_min": args.jobs / wall * 60,
            "videos": videos,
            "max_rpm": minimax.max_per_minute("video_generation"),
            "floor": max(0.0, (videos / args.rpm - 1) * 60) if videos > args.rpm else 0.0,
            "cpu_busy": cpu / (wall * (os.cpu_count() or 1)),
        }


def _children_cpu() -> float:
    """CPU seconds of the waited-for child processes (the workers, with their FFmpeg)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=20)
    parser.add_argument("--segments", type=int, default=4)
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--threads", type=int, default=3)
    parser.add_argument("--rpm", type=int, default=60)
    parser.add_argument("--video", type=float, default=10.0)
    parser.add_argument("--other", type=float, default=0.2)
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    rows = [await one_run(int(w), args) for w in args.workers.split(",")]
    if args.json:
        figures = {"jobs": args.jobs, "segments": args.segments, "rpm": args.rpm, "rows": rows}
        args.json.write_text(json.dumps(figures, indent=2), encoding="utf-8")
    print(
        f"\n{args.jobs} jobs x {args.segments} segments, {os.cpu_count()} cores, video "
        f"{args.video:g} s, others {args.other:g} s, MINIMAX_VIDEO_RPM={args.rpm}, "
        f"{args.threads} threads per worker\n"
    )
    print(
        "| workers | wall (s) | first job (s) | jobs/min | speed-up | videos | max videos/min |"
        " RPM floor (s) | CPU busy |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    base = rows[0]["wall"]
    for r in rows:
        print(
            f"| {r['workers']:.0f} | {r['wall']:.1f} | {r['first']:.1f} | {r['jobs_per_min']:.1f}"
            f" | {base / r['wall']:.2f}x | {r['videos']:.0f} | {r['max_rpm']:.0f} |"
            f" {r['floor']:.0f} | {r['cpu_busy']:.0%} |"
        )


if __name__ == "__main__":
    asyncio.run(main())
