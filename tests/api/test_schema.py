"""schemathesis against the service's own OpenAPI schema: no server errors, every answer as
documented. Bounded: a few examples per operation, against the app on a real local socket.

The event stream and the webhook are left out (covered by their own tests): a stream has no
body schema to check, and random callback tokens only ever meet the 404.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import httpx
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api.helpers import live_app

MAX_EXAMPLES = 10
EXCLUDED = re.compile(r"^/(webhooks/|jobs/\{job_id\}/events$)")
# The studio's routes are sent to a real job in review, so their checks and states are met (a
# random job id only ever meets the 404).
STUDIO = re.compile(r"^/jobs/\{job_id\}/(board|frames|segments|plan|approve)")
CHECKS = [
    schemathesis.checks.not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def review_job(url: str) -> str:
    """A cheap job stopped in review (offline, one segment)."""
    body = {"story": "A keeper lights the lamp.", "offline": True, "segments": 1}
    created = httpx.post(f"{url}/jobs", json={**body, "resolution": "720P", "review": True})
    job_id: str = created.json()["id"]
    deadline = time.monotonic() + 60
    while httpx.get(f"{url}/jobs/{job_id}").json()["status"] != "review":
        assert time.monotonic() < deadline, "the job did not reach review"
        time.sleep(0.1)
    return job_id


def test_every_operation_answers_as_documented(tmp_path: Path) -> None:
    with live_app(data_dir=tmp_path) as server:
        schema = schemathesis.openapi.from_url(f"{server.url}/openapi.json")
        operations = [result.ok() for result in schema.get_all_operations()]
        job_id = review_job(server.url)
        checked = [op for op in operations if not EXCLUDED.match(op.path)]
        assert len(checked) >= 8, [op.label for op in operations]

        calls: list[str] = []
        for operation in checked:

            @given(case=operation.as_strategy())
            @settings(
                max_examples=MAX_EXAMPLES,
                deadline=None,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            def check(case: schemathesis.Case) -> None:
                if case.path == "/jobs" and case.method == "POST" and isinstance(case.body, dict):
                    # Cheap jobs: the point is the API's answers, not rendering 60 clips.
                    case.body.update(offline=True, segments=1, resolution="720P")
                if STUDIO.match(case.path) and case.path_parameters:
                    case.path_parameters["job_id"] = job_id
                response = case.call(base_url=server.url, timeout=30)
                calls.append(case.operation.label)
                case.validate_response(response, checks=CHECKS)

            check()
        assert set(calls) == {op.label for op in checked}
