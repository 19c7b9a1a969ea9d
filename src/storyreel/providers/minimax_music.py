"""``--music auto`` with a real MiniMax stage: an instrumental bed from ``music_generation``
(music-2.0), described from the story. One paid call per job: the pipeline runs it through the
ledger (intent written before the request leaves, never repeated on resume)."""

from __future__ import annotations

from pathlib import Path

from storyreel.files import write_bytes_atomic_sync
from storyreel.minimax import MUSIC_PROMPT_CHARS, AsyncMiniMax
from storyreel.plan import Plan
from storyreel.providers.hooks import BeforeSend

MUSIC_MODEL = "music-2.0"
PROMPT_MAX = MUSIC_PROMPT_CHARS[1]  # music-2.0's style prompt bound (the client's rule)


def music_prompt(plan: Plan) -> str:
    """The bed's description: what it is for, then the story's own look and title as its mood."""
    parts = [
        "Instrumental background score for a narrated short film, gentle and unobtrusive, "
        "no vocals",
        plan.style.strip(),
        f"mood of: {plan.title.strip()}",
    ]
    text = "; ".join(p for p in parts if p)
    return text[:PROMPT_MAX].rstrip()


class MiniMaxMusicGen:
    """Writes one generated track to a file."""

    name = "minimax"
    paid = True

    def __init__(self, client: AsyncMiniMax, model: str = MUSIC_MODEL) -> None:
        self.client = client
        self.model = model

    def describe(self) -> str:
        return f"minimax ({self.model})"

    async def compose(
        self, prompt: str, out: Path, *, before_send: BeforeSend | None = None
    ) -> Path:
        result = await self.client.music_generation(
            prompt, model=self.model, format="mp3", before_send=before_send
        )
        out.parent.mkdir(parents=True, exist_ok=True)
        write_bytes_atomic_sync(out, result.audio)
        return out
