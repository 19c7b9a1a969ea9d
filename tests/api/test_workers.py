"""``GET /workers`` without Redis: the in-process answer, and 503 when the broker is unreachable.
(With real workers: tests/distributed/test_service.py.)"""

from __future__ import annotations

import socket
from pathlib import Path

from storyreel.api.app import create_app
from tests.api.helpers import QUICK, STORY, in_process, offline_settings


def closed_port() -> int:
    """A local port nothing listens on (bound for a moment, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


async def test_in_process_lists_the_services_own_jobs(tmp_path: Path) -> None:
    # No slot at all: a submitted job waits, held by the service, for as long as the test needs.
    app = create_app(offline_settings(tmp_path), max_jobs=0)
    async with in_process(app) as client:
        empty = await client.get("/workers")
        assert empty.status_code == 200, empty.text
        assert empty.json() == {"mode": "in-process", "workers": [], "queue": None, "jobs": []}

        created = await client.post("/jobs", json={"story": STORY, **QUICK})
        assert created.status_code == 202, created.text
        job_id = created.json()["id"]
        listed = (await client.get("/workers")).json()
    assert listed["mode"] == "in-process"
    assert listed["jobs"] == [
        {
            "id": job_id,
            "status": "queued",
            "url": f"/jobs/{job_id}",
            "steps_done": None,
            "steps_total": None,
        }
    ]


async def test_unreachable_broker_is_a_503_naming_the_variable(tmp_path: Path) -> None:
    password = "never-shown"
    broker = f"redis://:{password}@127.0.0.1:{closed_port()}/0"
    async with in_process(create_app(offline_settings(tmp_path, broker_url=broker))) as client:
        response = await client.get("/workers")
    assert response.status_code == 503, response.text
    detail = response.json()["detail"]
    assert "STORYREEL_BROKER_URL" in detail
    assert "\n" not in detail
    assert password not in response.text
