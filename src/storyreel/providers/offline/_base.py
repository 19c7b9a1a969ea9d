"""What every offline provider is: free, local, with nothing to close."""

from __future__ import annotations


class OfflineProvider:
    name = "offline"
    paid = False

    def describe(self) -> str:
        # The offline renderers' output depends on their code only, not on a model or a key.
        return "offline"

    async def aclose(self) -> None:
        return None
