"""Async client for the MiniMax API (placeholder until the client lands)."""


class MiniMaxError(Exception):
    exit_code = 1
