"""parse_callback: the challenge echo and lowercase status notifications."""

from __future__ import annotations

import pytest

from storyreel.minimax import MiniMaxValidationError, parse_callback


def test_challenge() -> None:
    event = parse_callback({"challenge": "abc123"})
    assert event.challenge == "abc123" and event.task_id is None


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        ("processing", "Processing"),
        ("success", "Success"),
        ("failed", "Fail"),
        ("Queueing", "Processing"),
    ],
)
def test_status_notifications(raw: str, status: str) -> None:
    event = parse_callback(
        {
            "task_id": 115334141465231360,
            "status": raw,
            "file_id": "205258526306433" if raw == "success" else "",
            "base_resp": {"status_code": 0, "status_msg": "success"},
        }
    )
    assert event.challenge is None and event.task_id == "115334141465231360"
    assert event.status == status
    assert event.file_id == ("205258526306433" if raw == "success" else None)
    assert event.code is None


def test_failed_with_code() -> None:
    event = parse_callback(
        {
            "task_id": "1",
            "status": "failed",
            "base_resp": {"status_code": 1027, "status_msg": "output new_sensitive"},
        }
    )
    assert event.status == "Fail" and event.code == 1027 and event.message == "output new_sensitive"


@pytest.mark.parametrize("body", [{}, {"status": "success"}, ["challenge"]])
def test_bad_bodies(body: object) -> None:
    with pytest.raises(MiniMaxValidationError):
        parse_callback(body)  # type: ignore[arg-type]
