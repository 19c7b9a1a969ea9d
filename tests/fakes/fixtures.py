"""pytest fixtures that start the fake services on real local sockets and point the
environment at them. Enable with ``pytest_plugins = ["tests.fakes.fixtures"]`` in
``tests/conftest.py``.

- ``fake_minimax``: a running :class:`FakeMiniMax`; ``MINIMAX_BASE_URL`` and ``MINIMAX_API_KEY``
  point at it, and polling is made quick (``MINIMAX_POLL_INITIAL_DELAY=0``,
  ``MINIMAX_POLL_INTERVAL=0.05``; a test may set its own afterwards).
- ``fake_openai``: a running :class:`FakeOpenAI`; ``OPENAI_BASE_URL`` (with ``/v1``) and
  ``OPENAI_API_KEY`` point at it.
- ``fake_apis``: both.

Each fixture is function-scoped (a fresh fake per test: counters start at zero) and starts in
a few milliseconds.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

import pytest

from tests.fakes.fake_minimax import FakeMiniMax
from tests.fakes.fake_openai import FakeOpenAI


class FakeAPIs(NamedTuple):
    minimax: FakeMiniMax
    openai: FakeOpenAI


# What the preflight may ask before anything is paid: OpenAI model lookups, MiniMax get_voice.
FREE_ENDPOINTS = {"openai": {"models"}, "minimax": {"get_voice"}}


def assert_nothing_paid(apis: FakeAPIs) -> None:
    """Only free lookups reached the fakes: no plan, image, speech, clone or video."""
    assert {r.endpoint for r in apis.openai.requests} <= FREE_ENDPOINTS["openai"], (
        apis.openai.stats()
    )
    assert {r.endpoint for r in apis.minimax.requests} <= FREE_ENDPOINTS["minimax"], (
        apis.minimax.stats()
    )


@pytest.fixture
def fake_minimax(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeMiniMax]:
    with FakeMiniMax() as fake:
        monkeypatch.setenv("MINIMAX_BASE_URL", fake.url)
        monkeypatch.setenv("MINIMAX_API_KEY", fake.api_key)
        monkeypatch.setenv("MINIMAX_POLL_INITIAL_DELAY", "0")
        monkeypatch.setenv("MINIMAX_POLL_INTERVAL", "0.05")
        yield fake


@pytest.fixture
def fake_openai(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as fake:
        monkeypatch.setenv("OPENAI_BASE_URL", fake.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", fake.api_key)
        yield fake


@pytest.fixture
def fake_apis(fake_minimax: FakeMiniMax, fake_openai: FakeOpenAI) -> FakeAPIs:
    return FakeAPIs(fake_minimax, fake_openai)
