"""The music bed under the narration: the one asked for as it is (a file, the synthesised bed,
or none), or with ``--music auto`` and a real MiniMax stage one paid music_generation call.

The bed is started as a task when rendering starts, so it is made while the segments are, and
awaited by the final assembly.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from storyreel.assembly.mix_commands import SYNTH_VERSION, Music
from storyreel.pipeline.hashing import afile_sha256, music_hash
from storyreel.pipeline.layout import OutputLayout
from storyreel.pipeline.steps import Steps
from storyreel.plan import Plan

if TYPE_CHECKING:
    from storyreel.minimax import AsyncMiniMax


async def music_fields(music: Music) -> dict[str, object]:
    """What makes the bed what it is, for the assemble step's hash: the track's content (a new
    file under the same name re-mixes) or the synthesised bed's version, and the volume."""
    source = await afile_sha256(music.path) if music.path is not None else SYNTH_VERSION
    return {"source": source, "volume": music.volume}


class MusicBed:
    """The bed of one job in this process."""

    def __init__(
        self,
        steps: Steps,
        music: Music | None,
        client: AsyncMiniMax | None,
        layout: OutputLayout,
    ) -> None:
        self.steps = steps
        self.music = music
        self.client = client
        self.layout = layout
        self._task: asyncio.Task[Music | None] | None = None

    def start(self, plan: Plan) -> asyncio.Task[Music | None]:
        """The bed, once per process (a task render starts early and assemble awaits)."""
        if self._task is None:
            self._task = asyncio.create_task(self._make(plan))
        return self._task

    def take_unfinished(self) -> asyncio.Task[Music | None] | None:
        """The bed's task if it is still being made, forgotten here so the caller can cancel
        it (a bed no one will mix: stop paying for it). A finished bed is kept for assembly."""
        task = self._task
        if task is None or task.done():
            return None
        self._task = None
        return task

    async def _make(self, plan: Plan) -> Music | None:
        """``--music auto`` with a real MiniMax stage: one paid music_generation call through
        the ledger (intent first, reused on resume); otherwise the bed asked for as it is."""
        music, client = self.music, self.client
        if music is None or music.path is not None or client is None:
            return music
        # Imported here: an offline run never loads the MiniMax client.
        from storyreel.providers.minimax_music import MiniMaxMusicGen, music_prompt

        gen = MiniMaxMusicGen(client)
        prompt = music_prompt(plan)
        inputs = music_hash(prompt=prompt, provider=gen.name, model=gen.describe())
        out = self.layout.music

        def make() -> Awaitable[Path]:
            return gen.compose(prompt, out)

        path = await self.steps.artefact("music", None, inputs, make, provider=gen.name, paid=True)
        return replace(music, path=path)
