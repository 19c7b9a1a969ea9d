"""The N+1 keyframes of a plan: frame k ends segment k and opens segment k+1, so each is drawn
once and awaited by both neighbours.

In a plan with a cast, each character without an uploaded picture gets one reference portrait
(step ``cast:n``, drawn once), and every frame is drawn with the references of the characters its
prompt names (see :mod:`storyreel.cast`), all in one request. In a plan without a cast, frame 0
is drawn first and handed to every later frame as the reference, so characters and style carry
over while frames 1..N are still drawn in parallel.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from storyreel.cast import PORTRAIT_SIZE, draws_portraits, frame_references
from storyreel.errors import ProviderError, UsageError
from storyreel.minimax import MiniMaxValidationError
from storyreel.pipeline.hashing import (
    afile_sha256,
    character_hash,
    frame_hash,
    frame_prompts,
    upload_frame_hash,
)
from storyreel.pipeline.layout import OutputLayout
from storyreel.pipeline.pictures import check_picture, fit_picture
from storyreel.pipeline.steps import Steps
from storyreel.plan import Plan
from storyreel.providers.base import ImageGen, Reference

# The store's record of who made an uploaded keyframe.
UPLOAD = "upload"


def frame_place(k: int, segments: int) -> str:
    """Where keyframe ``k`` of a plan of ``segments`` sits: frame k ends segment k and opens
    segment k+1 (numbered from 1, as the user sees them)."""
    roles = []
    if k >= 1:
        roles.append(f"the last frame of segment {k}")
    if k < segments:
        roles.append(f"the first frame of segment {k + 1}")
    return f"frame {k} ({' and '.join(roles)})"


class Keyframes:
    """The keyframes of one job in this process, each a task both its segments await."""

    def __init__(
        self, steps: Steps, images: ImageGen, layout: OutputLayout, size: tuple[int, int]
    ) -> None:
        self.steps = steps
        self.images = images
        self.layout = layout
        self.size = size
        self._tasks: dict[int, asyncio.Task[Path]] = {}
        self._portraits: dict[int, asyncio.Task[Path]] = {}

    def frame(self, plan: Plan, k: int) -> asyncio.Task[Path]:
        """Keyframe ``k`` of the N+1, made once per process."""
        if k not in self._tasks:
            self._tasks[k] = asyncio.create_task(self._draw(plan, k))
        return self._tasks[k]

    def portrait(self, plan: Plan, n: int) -> asyncio.Task[Path]:
        """Cast member ``n``'s drawn reference portrait, made once per process."""
        if n not in self._portraits:
            self._portraits[n] = asyncio.create_task(self._draw_portrait(plan, n))
        return self._portraits[n]

    async def cast_pictures(self, plan: Plan) -> list[Path | None]:
        """Every cast member's reference picture (drawn now when it is not yet): the upload,
        else the portrait; None for a model that takes no pictures. For the storyboard."""
        drawn = draws_portraits(plan, self.images.max_references)
        out: list[Path | None] = []
        for n, character in enumerate(plan.cast):
            if character.picture is not None:
                out.append(self.layout.root / character.picture)
            else:
                out.append(await self.portrait(plan, n) if n in drawn else None)
        return out

    def take_tasks(self) -> list[asyncio.Task[Path]]:
        """The tasks started so far, forgotten here: the caller cancels the ones still running
        (see ``Pipeline.drop_frames``)."""
        tasks = [*self._tasks.values(), *self._portraits.values()]
        self._tasks, self._portraits = {}, {}
        return tasks

    async def _draw_portrait(self, plan: Plan, n: int) -> Path:
        images, character = self.images, plan.cast[n]
        inputs = character_hash(plan, n, provider=images.name, model=images.describe())

        async def make() -> Path:
            who = Reference(None, character.name, character.description)
            out = self.layout.portrait(n)
            await asyncio.to_thread(out.parent.mkdir, parents=True, exist_ok=True)
            return await images.portrait(who, out=out, size=PORTRAIT_SIZE, style=plan.style)

        return await self.steps.artefact(
            "cast", n, inputs, make, provider=images.name, paid=images.paid
        )

    async def _references(
        self, plan: Plan, k: int, prompt: str, take: int
    ) -> tuple[list[Reference], str]:
        """Frame ``k``'s references and the hash of its inputs (see ``hashing.step_hashes``)."""
        images = self.images

        def inputs(sha: str | None, shas: list[str] | None) -> str:
            return frame_hash(
                prompt=prompt,
                style=plan.style,
                size=self.size,
                provider=images.name,
                model=images.describe(),
                reference_sha=sha,
                reference_shas=shas,
                take=take,
            )

        if not plan.cast:  # the opening frame anchors the others
            anchor = await self.frame(plan, 0) if k > 0 else None
            sha = await afile_sha256(anchor) if anchor else None
            return ([Reference(anchor)] if anchor else []), inputs(sha, None)
        references: list[Reference] = []
        shas: list[str] = []
        drawn = draws_portraits(plan, images.max_references)
        for n in frame_references(plan, prompt, images.max_references):
            character = plan.cast[n]
            path: Path | None = None
            if character.picture is not None:
                path = self.layout.root / character.picture
            elif n in drawn:
                path = await self.portrait(plan, n)
            shas.append(
                await afile_sha256(path)
                if path
                else character_hash(plan, n, provider=images.name, model=images.describe())
            )
            path = path if images.max_references > 0 else None
            references.append(Reference(path, character.name, character.description))
        return references, inputs(None, shas)

    async def _draw(self, plan: Plan, k: int) -> Path:
        if k in plan.frame_files:
            return await self._uploaded(plan, k)
        images = self.images
        prompt = frame_prompts(plan)[k]
        size = self.size
        take = plan.take(f"frame:{k}")
        references, inputs = await self._references(plan, k, prompt, take)

        async def make() -> Path:
            out = self.layout.frame(k)
            try:
                return await images.draw(
                    prompt, out=out, size=size, style=plan.style, references=references, take=take
                )
            except ProviderError as error:
                if not error.content_policy:
                    raise
                # The user edits the prompt in plan.json: say which segment's frame it is.
                raise ProviderError(
                    f"{frame_place(k, len(plan.segments))}: {error.message}",
                    stage=error.stage,
                    provider=error.provider,
                    code=error.code,
                    trace_id=error.trace_id,
                    content_policy=True,
                ) from error

        return await self.steps.artefact(
            "frame", k, inputs, make, provider=images.name, paid=images.paid
        )

    async def _uploaded(self, plan: Plan, k: int) -> Path:
        """Keyframe ``k`` is a picture the user gave (``plan.frame_files``): fitted, not drawn."""
        source = self.layout.root / plan.frame_files[k]
        if not source.is_file():
            raise UsageError(
                f"plan.json frame_files[{k}]: {source} does not exist",
                field="frame_files",
                fix="upload the picture again, or remove the entry to draw the frame",
            )
        inputs = upload_frame_hash(upload_sha=await afile_sha256(source), size=self.size)

        def fit() -> Path:
            data = source.read_bytes()
            try:  # a picture named in plan.json by hand meets the upload's checks too
                check_picture(data, f"plan.json frame_files[{k}]")
            except MiniMaxValidationError as error:
                raise UsageError(str(error), field="frame_files", fix=error.fix) from None
            return fit_picture(data, self.size, self.layout.frame(k))

        async def make() -> Path:
            return await asyncio.to_thread(fit)

        return await self.steps.artefact("frame", k, inputs, make, provider=UPLOAD, paid=False)
