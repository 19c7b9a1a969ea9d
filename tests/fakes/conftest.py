"""The fakes' own tests use the fixtures they ship (the project enables them for every test
with ``pytest_plugins`` in the top-level conftest)."""

from tests.fakes.fixtures import fake_apis, fake_minimax, fake_openai

__all__ = ["fake_apis", "fake_minimax", "fake_openai"]
