"""Run the benchmarks and write ``bench/RESULTS.md`` (what ``make bench`` does).

Each benchmark is its own script (read its docstring for what it measures) and runs here in its
own process, writing its figures to a JSON file this script collects. Every figure in
RESULTS.md is a ratio against a baseline measured in the same run, so a busy or slow machine
moves both sides: wall / critical path, 6 segments / 1 segment, video seconds / render seconds,
MoviePy / ours, 4 workers / 1 worker.

The critical path of a multi-segment run is that run's own: the plan, the slowest segment's
chain (its narration or keyframes, clip, mux) and the assembly, each step timed as it ran. The
1-segment job's steps (the older baseline) are shown too; that job narrates the whole story in
one long segment, so its mux holds frames and re-encodes where the others copy.

  concurrency  8 segments at RPM 60 and at RPM 5 against the fakes (bench_concurrency.py)
  scaling      6 segments vs 1 at 6 s video latency (bench_concurrency.py again)
  offline      the offline 6-segment story at 720P, speed x real time (bench_offline_render.py)
  assembly     10 clips muxed and joined, copy and re-encode paths vs MoviePy (bench_assembly.py)
  workers      1, 2, 4 workers on Redis + PostgreSQL, jobs per minute (bench_workers.py)
  download     peak RSS of the MiniMax client downloading 1 GB vs 10 MB (bench_download_rss.py)

A benchmark whose services or packages are missing is skipped, and RESULTS.md says why.

Run:  python bench/run.py [--quick] [NAME ...] [--out bench/RESULTS.md]
      --quick: smaller inputs (fewer clips, shorter latency, fewer jobs): minutes, not an hour.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
Figures = dict[str, Any]
# (figure, measured, baseline in the same run, ratio, goal)
Row = tuple[str, str, str, str, str]


@dataclass(frozen=True)
class Bench:
    script: str
    full: tuple[str, ...]
    quick: tuple[str, ...]
    rows: Callable[[Figures], list[Row]]
    # None when it can run here, else why not.
    missing: Callable[[], str | None] = lambda: None
    # Extra arguments when an optional part cannot run here (and the note to print).
    optional: Callable[[], tuple[tuple[str, ...], str | None]] = lambda: ((), None)


def _x(value: float) -> str:
    return f"{value:.2f}x"


def _s(value: float) -> str:
    return f"{value:.1f} s"


def concurrency_rows(f: Figures) -> list[Row]:
    n, cp, runs = f["segments"], f["critical_path"], f["runs"]
    lat = f"{f['video_latency']:g} s video"
    rows: list[Row] = []
    if "rpm60" in runs:
        r = runs["rpm60"]
        rows.append(
            (
                f"{n} segments, RPM 60 ({lat}): wall / its critical path",
                _s(r["wall"]),
                f"slowest segment's chain {_s(r['own_cp'])}",
                _x(r["wall_per_own_cp"]),
                "<= 1.10x",
            )
        )
        if "span" in r:
            rows.append(
                (
                    f"{n} segments, RPM 60 ({lat}): the job's events, first to last / its "
                    "critical path",
                    _s(r["span"]),
                    f"slowest segment's chain {_s(r['own_cp'])}",
                    _x(r["span_per_own_cp"]),
                    "(the wall without the start-up)",
                )
            )
            rows.append(
                (
                    f"{n} segments, RPM 60 ({lat}): the command's start-up (launch to the "
                    "job's first event) / wall",
                    _s(r["startup"]),
                    f"wall {_s(r['wall'])}",
                    f"{r['startup'] / r['wall']:.0%}",
                    "",
                )
            )
        rows.append(
            (
                f"{n} segments, RPM 60 ({lat}): wall / 1-segment job's steps",
                _s(r["wall"]),
                f"1-segment steps {_s(cp)}",
                _x(r["wall_per_cp"]),
                "(the old figure)",
            )
        )
    if "rpm5" in runs:
        r = runs["rpm5"]
        rows.append(
            (
                f"{n} segments, RPM 5 ({lat}): wall / its RPM-bound minimum",
                _s(r["wall"]),
                f"minimum {_s(r['own_floor'])}",
                _x(r["wall_per_own_floor"]),
                "<= 1.10x",
            )
        )
        rows.append(
            (
                f"{n} segments, RPM 5 ({lat}): wall / RPM-bound minimum from the 1-segment job",
                _s(r["wall"]),
                f"minimum {_s(r['floor'])}",
                _x(r["wall_per_floor"]),
                "(the old figure)",
            )
        )
    if "c1_rpm60" in runs:
        r = runs["c1_rpm60"]
        rows.append(
            (
                f"{n} segments, --concurrency 1, RPM 60: wall / its critical path",
                _s(r["wall"]),
                f"slowest segment's chain {_s(r['own_cp'])}",
                _x(r["wall_per_own_cp"]),
                "(sequential baseline)",
            )
        )
    return rows


def scaling_rows(f: Figures) -> list[Row]:
    wall = f["runs"]["rpm60"]["wall"]
    one = f["one_segment_wall"]
    return [
        (
            f"{f['segments']} vs 1 segments ({f['video_latency']:g} s video, RPM 60): wall",
            _s(wall),
            f"1 segment {_s(one)}",
            _x(wall / one),
            "<= 1.3x",
        )
    ]


def offline_rows(f: Figures) -> list[Row]:
    speed = f["video_seconds"] / f["wall"]
    rows: list[Row] = [
        (
            f"offline, {f['segments']} segments at {f['resolution']}: speed x real time",
            f"render {_s(f['wall'])}",
            f"video {_s(f['video_seconds'])}",
            _x(speed),
            ">= 2x",
        )
    ]
    busy = sum(stage["busy"] for stage in f["stages"].values()) or 1.0
    for name, stage in f["stages"].items():
        rows.append(
            (
                f"offline stage {name} ({stage['steps']} steps): share of busy time",
                f"busy {_s(stage['busy'])}, span {_s(stage['span'])}",
                f"all stages busy {_s(busy)}",
                f"{stage['busy'] / busy:.0%}",
                "",
            )
        )
    return rows


def assembly_rows(f: Figures) -> list[Row]:
    what = f"{f['segments']} clips of {f['seconds']:g} s at 720P"
    rows: list[Row] = [
        (
            f"assembly, {what}: re-encode path / copy path",
            f"re-encode {_s(f['ours_re'])}",
            f"copy {_s(f['ours'])}",
            _x(f["ours_re"] / f["ours"]),
            "(what copying saves)",
        )
    ]
    if "limit" in f:
        rows.append(
            (
                f"assembly, {f['segments']} clips: ours (copy path) / physical limit",
                f"ours {_s(f['ours'])}",
                f"raw ffmpeg copy-mux + concat copy {_s(f['limit'])}",
                _x(f["ours"] / f["limit"]),
                "<= 2x",
            )
        )
    if "moviepy" in f:
        for label, ours in (("copy path", f["ours"]), ("re-encode path", f["ours_re"])):
            rows.append(
                (
                    f"assembly, {what}: MoviePy / ours ({label})",
                    f"MoviePy {_s(f['moviepy'])}",
                    f"ours {_s(ours)}",
                    _x(f["moviepy"] / ours),
                    ">= 20x" if label == "copy path" else "",
                )
            )
    return rows


def workers_rows(f: Figures) -> list[Row]:
    rows = f["rows"]
    base = rows[0]
    what = f"{f['jobs']} jobs x {f['segments']} segments, RPM {f['rpm']}"
    return [
        (
            f"workers {r['workers']:.0f} vs {base['workers']:.0f} ({what}): jobs per minute",
            f"{r['jobs_per_min']:.1f}/min (CPU {r['cpu_busy']:.0%})",
            f"{base['jobs_per_min']:.1f}/min",
            _x(r["jobs_per_min"] / base["jobs_per_min"]),
            ">= 3x" if r["workers"] == 4 else "",
        )
        for r in rows[1:]
    ]


def download_rows(f: Figures) -> list[Row]:
    return [
        (
            f"download {f['mb']} MiB clip (streamed to disk): peak RSS",
            f"{f['peak_mib']:.1f} MiB ({f['seconds']:.1f} s, CPU {f['cpu_seconds']:.1f} s)",
            f"{f['baseline_mb']} MiB download {f['baseline_peak_mib']:.1f} MiB",
            _x(f["ratio"]),
            "~1x (streamed)",
        )
    ]


def _services_missing() -> str | None:
    for module in ("redis", "psycopg", "dramatiq"):
        if importlib.util.find_spec(module) is None:
            return f"the Python package {module} is not installed (pip install -e '.[bench]')"
    import psycopg
    import redis

    url = os.environ.get("STORYREEL_TEST_REDIS", "redis://127.0.0.1:6379/13")
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=3)
        client.ping()
        client.close()
    except redis.RedisError as exc:
        return f"no Redis at {url} ({type(exc).__name__}); set STORYREEL_TEST_REDIS"
    pg = os.environ.get("STORYREEL_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
    try:
        psycopg.connect(pg, connect_timeout=3).close()
    except psycopg.Error as exc:
        return f"no PostgreSQL at {pg} ({type(exc).__name__}); set STORYREEL_TEST_PG"
    return None


def _moviepy() -> tuple[tuple[str, ...], str | None]:
    if importlib.util.find_spec("moviepy") is None:
        return (
            "--skip-moviepy",
        ), "MoviePy not installed (pip install -e '.[bench]'): no MoviePy rows"
    return (), None


BENCHES: dict[str, Bench] = {
    "concurrency": Bench(
        "bench_concurrency.py",
        full=("--video", "20", "--segments", "8"),
        quick=("--video", "6", "--segments", "8", "--skip-sequential"),
        rows=concurrency_rows,
    ),
    "scaling": Bench(
        "bench_concurrency.py",
        full=("--video", "6", "--segments", "6", "--skip-rpm5", "--skip-sequential"),
        quick=("--video", "6", "--segments", "6", "--skip-rpm5", "--skip-sequential"),
        rows=scaling_rows,
    ),
    "offline": Bench(
        "bench_offline_render.py",
        full=("--segments", "6", "--resolution", "720P"),
        quick=("--segments", "6", "--resolution", "720P"),
        rows=offline_rows,
    ),
    "assembly": Bench(
        "bench_assembly.py",
        full=("--segments", "10", "--seconds", "6"),
        quick=("--segments", "3", "--seconds", "6"),
        rows=assembly_rows,
        optional=_moviepy,
    ),
    "workers": Bench(
        "bench_workers.py",
        full=("--jobs", "20", "--segments", "4", "--workers", "1,2,4"),
        quick=("--jobs", "6", "--segments", "2", "--workers", "1,4"),
        rows=workers_rows,
        missing=_services_missing,
    ),
    "download": Bench(
        "bench_download_rss.py",
        full=("--mb", "1024", "--baseline-mb", "10"),
        # The figure is about size, so quick mode keeps the gigabyte (about 15 s).
        quick=("--mb", "1024", "--baseline-mb", "10"),
        rows=download_rows,
    ),
}


def _env() -> dict[str, str]:
    # The code measured is this checkout's, whatever is installed: src/ and the repository
    # root (the fakes in tests/) first on the path of every process the benchmarks start.
    path = os.pathsep.join(
        p for p in (str(ROOT / "src"), str(ROOT), os.environ.get("PYTHONPATH", "")) if p
    )
    return {**os.environ, "PYTHONPATH": path}


def run_bench(name: str, bench: Bench, quick: bool, work: Path) -> tuple[Figures | None, str]:
    """Run one benchmark; answers its figures (None when it did not run) and a note."""
    reason = bench.missing()
    if reason:
        return None, f"skipped: {reason}"
    extra, note = bench.optional()
    out = work / f"{name}.json"
    argv = [sys.executable, str(HERE / bench.script), *(bench.quick if quick else bench.full)]
    argv += [*extra, "--json", str(out)]
    print(f"\n== {name}: {' '.join(argv[1:])}", flush=True)
    started, load_before = time.monotonic(), _load()
    done = subprocess.run(argv, cwd=ROOT, env=_env(), check=False)
    took = time.monotonic() - started
    # Other work on the machine moves the figures: say how busy it was around this one.
    busy = f"1-min load average {load_before} before, {_load()} after"
    if done.returncode != 0 or not out.is_file():
        return None, f"failed (exit {done.returncode}) after {took:.0f} s; its output is above"
    ran = f"ran in {took:.0f} s, {busy}"
    return json.loads(out.read_text(encoding="utf-8")), f"{note}; {ran}" if note else ran


def _load() -> str:
    return f"{os.getloadavg()[0]:.1f}"


def render(
    results: dict[str, tuple[Figures | None, str]], quick: bool, argv: list[str], load: str
) -> str:
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# Benchmark results",
        "",
        f"Made by `python bench/run.py {' '.join(argv)}`".rstrip() + f" on {now}: "
        f"{'quick' if quick else 'full'} mode, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, load average {load} at the start.",
        "",
        "Every ratio compares two figures measured in the same run, so a busy machine slows both",
        "sides. The inputs and what each benchmark does are in its script's docstring.",
        "",
        "| figure | measured | baseline (same run) | ratio | goal |",
        "|---|---|---|---|---|",
    ]
    notes = []
    for name, (figures, note) in results.items():
        notes.append(f"- **{name}** ({BENCHES[name].script}): {note}")
        if figures is None:
            continue
        for row in BENCHES[name].rows(figures):
            lines.append("| " + " | ".join(row) + " |")
    lines += ["", "## Runs", "", *notes]
    lines.append("")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", metavar="NAME", help=f"of {', '.join(BENCHES)}")
    parser.add_argument("--quick", action="store_true", help="smaller inputs: minutes, not an hour")
    parser.add_argument("--out", type=Path, default=HERE / "RESULTS.md")
    args = parser.parse_args()
    unknown = [n for n in args.names if n not in BENCHES]
    if unknown:
        parser.error(f"no benchmark named {', '.join(unknown)}; choose from {', '.join(BENCHES)}")
    names = args.names or list(BENCHES)
    load = " / ".join(f"{v:.2f}" for v in os.getloadavg())
    with tempfile.TemporaryDirectory(prefix="storyreel-bench-run-") as tmp:
        results = {name: run_bench(name, BENCHES[name], args.quick, Path(tmp)) for name in names}
    args.out.write_text(render(results, args.quick, sys.argv[1:], load), encoding="utf-8")
    print(f"\nwrote {args.out}")
    for name, (_, note) in results.items():
        print(f"  {name}: {note}")
    return 1 if any(note.startswith("failed") for _, note in results.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
