"""Peak memory while the MiniMax client downloads a 1 GB clip (a script, not a test; issue 15).

A local HTTP server in this process answers ``files/retrieve`` with a download URL on itself and
serves that URL's body generated on the fly (a 1 MiB block repeated: no 1 GB file anywhere but
the download's own destination). The client runs in a child process that does nothing else:
``AsyncMiniMax.download_file`` streams each file to disk there, and the child reads its peak
resident memory (``VmHWM``, reset before each download through ``/proc/self/clear_refs`` where
the kernel allows; else the process's high-water mark, still in order: small file first).

  baseline  the same process downloading 10 MB
  measured  the same process downloading 1 GB (1024 MiB)

A streamed download holds one chunk at a time, so the two peaks are about equal (ratio ~1.0);
a download read into memory would add a gigabyte. Reported with each download's seconds and CPU
seconds (the CPU figure is the one to compare on a busy machine).

Run:  .venv/bin/python bench/bench_download_rss.py [--mb 1024] [--baseline-mb 10] [--json FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

MIB = 1 << 20
BLOCK = bytes(range(256)) * (MIB // 256)  # what every MiB of a served file holds
KEY = "bench-download-key"


class Handler(BaseHTTPRequestHandler):
    """``GET /v1/files/retrieve?file_id=N``: file N is N bytes; ``GET /_files/N``: its body."""

    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        return

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        if url.path == "/v1/files/retrieve":
            file_id = parse_qs(url.query).get("file_id", ["0"])[0]
            host, port = self.server.server_address[:2]
            body = json.dumps(
                {
                    "file": {
                        "file_id": int(file_id),
                        "bytes": int(file_id),
                        "filename": "output.mp4",
                        "purpose": "video_generation",
                        "download_url": f"http://{host!s}:{port}/_files/{file_id}",
                    },
                    "base_resp": {"status_code": 0, "status_msg": "success"},
                }
            ).encode()
            self._send(200, "application/json", len(body))
            self.wfile.write(body)
        elif match := re.fullmatch(r"/_files/(\d+)", url.path):
            size = int(match.group(1))
            self._send(200, "video/mp4", size)
            whole, rest = divmod(size, MIB)
            for _ in range(whole):
                self.wfile.write(BLOCK)
            self.wfile.write(BLOCK[:rest])
        else:
            self._send(404, "text/plain", 0)

    def _send(self, status: int, kind: str, length: int) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(length))
        self.end_headers()


def _hwm_kib() -> int:
    """This process's peak resident memory since the last reset, in KiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)  # KiB on Linux


def _reset_hwm() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")  # 5: reset the peak RSS to the current
    except OSError:
        return False
    return True


def client(base_url: str, sizes: list[int], work: Path) -> dict[str, Any]:
    """The child: download each size with the real client; report each one's peak memory."""
    from storyreel.minimax import AsyncMiniMax, MiniMaxSettings

    settings = MiniMaxSettings(_env_file=None, api_key=KEY, base_url=base_url)  # type: ignore[call-arg]
    results: list[dict[str, Any]] = []

    async def run() -> None:
        async with AsyncMiniMax(settings) as mm:
            for size in sizes:
                reset = _reset_hwm()
                before = _hwm_kib()
                cpu, wall = time.process_time(), time.perf_counter()
                dest = await mm.download_file(str(size), work / f"{size}.mp4")
                wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
                got = dest.stat().st_size
                dest.unlink()
                if got != size:
                    raise SystemExit(f"downloaded {got} bytes of {size}")
                results.append(
                    {
                        "bytes": size,
                        "rss_before_kib": before,
                        "peak_kib": _hwm_kib(),
                        "reset": reset,
                        "seconds": wall,
                        "cpu_seconds": cpu,
                    }
                )

    asyncio.run(run())
    return {"downloads": results}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=1024, help="MiB of the big download")
    parser.add_argument("--baseline-mb", type=int, default=10, help="MiB of the baseline one")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--client", help=argparse.SUPPRESS)  # the child's own mode: BASE_URL
    parser.add_argument("--sizes", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.client:
        sizes = [int(s) for s in args.sizes.split(",")]
        with tempfile.TemporaryDirectory(prefix="storyreel-bench-download-") as tmp:
            print(json.dumps(client(args.client, sizes, Path(tmp))))
        return 0

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    host, port = server.server_address[:2]
    sizes = [args.baseline_mb * MIB, args.mb * MIB]
    sizes_arg = ",".join(map(str, sizes))
    try:
        done = subprocess.run(
            [sys.executable, __file__, "--client", f"http://{host!s}:{port}", "--sizes", sizes_arg],
            capture_output=True,
            text=True,
            check=False,
            env=os.environ,
        )
    finally:
        server.shutdown()
    if done.returncode != 0:
        sys.stderr.write(done.stdout + done.stderr)
        return 1
    base, big = json.loads(done.stdout.strip().splitlines()[-1])["downloads"]
    figures = {
        "baseline_mb": args.baseline_mb,
        "mb": args.mb,
        "baseline_peak_mib": base["peak_kib"] / 1024,
        "peak_mib": big["peak_kib"] / 1024,
        "ratio": big["peak_kib"] / base["peak_kib"],
        "growth_mib": (big["peak_kib"] - big["rss_before_kib"]) / 1024,
        "reset": big["reset"],
        "seconds": big["seconds"],
        "cpu_seconds": big["cpu_seconds"],
        "baseline_cpu_seconds": base["cpu_seconds"],
        "mib_per_cpu_second": args.mb / max(big["cpu_seconds"], 1e-9),
    }
    print(
        f"peak RSS downloading {args.mb} MiB: {figures['peak_mib']:.1f} MiB; "
        f"{args.baseline_mb} MiB: {figures['baseline_peak_mib']:.1f} MiB "
        f"(ratio {figures['ratio']:.2f}x; {figures['growth_mib']:.1f} MiB more in the big one); "
        f"{big['seconds']:.1f} s, CPU {big['cpu_seconds']:.1f} s "
        f"({figures['mib_per_cpu_second']:.0f} MiB per CPU second)"
    )
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
