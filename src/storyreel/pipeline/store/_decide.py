"""What to do with a step on (re)start, from its record: the rule that makes paid work happen
exactly once across crashes. The same for every store implementation."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Literal

from storyreel.pipeline.hashing import file_sha256
from storyreel.pipeline.store._models import Step, StepKind, parse_step_key
from storyreel.pipeline.store._protocol import JobStore

StepAction = Literal["run", "reuse", "resume", "unknown_outcome"]

# Kinds whose provider answers in the same request: after a crash there is nothing to poll, so
# running again is the only way on, at the price of at most one more charge. (A voice clone
# repeated with the same voice_id is refused by MiniMax as a duplicate, which says it exists.)
SYNCHRONOUS_KINDS: frozenset[StepKind] = frozenset(
    {"plan", "voice", "cast", "frame", "speech", "music"}
)


def may_repeat_unknown(kind: StepKind) -> bool:
    """Whether a paid call of ``kind`` whose outcome is unknown may be sent again unasked.

    False for video: the provider may have accepted the task and will bill it; sending it again
    could pay twice. Surface it to the user (and run again only with their consent, through
    ``begin_paid(..., repeat=True)``).
    """
    return kind in SYNCHRONOUS_KINDS


@dataclass(frozen=True)
class StepDecision:
    """``run``: make it (``repeats_paid_call`` when a charge may already have happened);
    ``reuse``: its artefact is done and intact; ``resume``: poll/download ``step.provider_ref``;
    ``unknown_outcome``: a paid request may have been accepted; ask before paying again."""

    action: StepAction
    reason: str
    step: Step | None
    repeats_paid_call: bool = False

    @property
    def provider_ref(self) -> str | None:
        return None if self.step is None else self.step.provider_ref


def _artefact_intact(step: Step) -> bool:
    path = step.artefact_path
    if path is None:
        return step.artefact_sha256 is None  # a step with no file (e.g. the plan, kept in the job)
    if step.artefact_sha256 is None or not path.is_file():
        return False
    return file_sha256(path) == step.artefact_sha256


async def decide_step(store: JobStore, job_id: str, key: str, inputs_hash: str) -> StepDecision:
    """Read the step's record and say what to do with it for these ``inputs_hash``."""
    kind, _ = parse_step_key(key)
    step = await store.get_step(job_id, key)
    if step is None or step.state == "pending":
        return StepDecision("run", "not made yet", step)
    if step.inputs_hash != inputs_hash:
        return StepDecision("run", "its inputs changed", step)
    if step.state == "done":
        if await asyncio.to_thread(_artefact_intact, step):
            return StepDecision("reuse", "done, and its file matches its checksum", step)
        if step.provider_ref and kind == "video":
            return StepDecision("resume", "its file is missing or changed; download it again", step)
        return StepDecision("run", "its file is missing or changed", step)
    if step.state == "submitted" and step.provider_ref:
        return StepDecision("resume", f"submitted as {step.provider_ref}; wait for it", step)
    if step.unknown_outcome:
        if may_repeat_unknown(kind):
            return StepDecision(
                "run", "the last request's answer was lost; asking again", step, True
            )
        return StepDecision(
            "unknown_outcome",
            "the request was sent but no task id came back (the process stopped); the provider"
            " may have accepted and billed it",
            step,
        )
    # failed, or running without a paid intent (unpaid work interrupted)
    return StepDecision("run", f"last attempt {step.state}", step)
