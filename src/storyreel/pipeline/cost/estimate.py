"""The estimate before paying: lines per stage and segment, from a story or a plan already made.

From a story the segment count and narration are guessed with the heuristics below; from a plan
every figure but the planning tokens is exact. Prices come from :mod:`.prices`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel, ConfigDict

from storyreel.cast import PORTRAIT_SIZE, draws_portraits
from storyreel.errors import UsageError
from storyreel.pipeline.cost.money import ZERO
from storyreel.pipeline.cost.prices import OFFLINE, PriceTable
from storyreel.pipeline.hashing import frame_prompts
from storyreel.plan import MAX_CAST, Plan
from storyreel.providers import catalogue
from storyreel.providers.catalogue import Kind
from storyreel.providers.factory import Stage, resolve_choices

if TYPE_CHECKING:
    from storyreel.config import Settings

K = TypeVar("K")

# Estimation heuristics, used only where the real figure is not known yet.
CHARS_PER_TOKEN = 4  # English prose, OpenAI tokenizers
PLANNER_PROMPT_TOKENS = 700  # the planner's system prompt and JSON schema
PLAN_TOKENS_PER_SEGMENT = 230  # one segment's JSON: narration + three prompts + camera
NARRATION_CHARS_PER_SEGMENT = 120  # how much story the planner puts in one segment, roughly
SPEECH_CHARS_PER_SECOND = 15.0  # speech-02 at speed 1.0, English
CLIP_MARGIN_SECONDS = 0.8  # lead-in + tail around the narration inside a clip


def priced_provider(name: str, settings: Settings) -> str:
    """The provider a stage is priced as: MiniMax in mock mode is built but sends nothing, so
    it costs what offline does."""
    return OFFLINE if name == "minimax" and settings.minimax.mocked else name


class CostOptions(BaseModel):
    """Which providers and models a job uses, as far as its price goes."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    planner: str = "openai"
    planner_model: str = catalogue.DEFAULTS["planner"]
    images: str = "openai"
    image_model: str = catalogue.DEFAULTS["images"]
    image_quality: str | None = None  # None: the image family's default ("medium")
    resolution: str = "768P"
    aspect: str = "16:9"  # the canvas the keyframes are asked for
    image_size: str | None = None  # None: what the image provider asks for this resolution
    video: str = "minimax"
    video_model: str = catalogue.DEFAULTS["video"]
    speech: str = "minimax"
    tts_model: str = catalogue.DEFAULTS["speech"]
    clone_voice: bool = False  # a new cloned voice is paid on its first use
    music: str = OFFLINE  # "minimax" when --music auto generates the bed (one track per job)
    music_model: str = "music-2.0"
    segments: int | None = None  # asked-for segment count, used when estimating from a story

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> CostOptions:
        """Resolve ``auto`` providers the way the product builds them (the factory's
        :func:`~storyreel.providers.factory.resolve_choices`: real when its key is set).

        MiniMax in mock mode is built but sends nothing, so it is priced as offline.
        """
        resolved = resolve_choices(settings)

        def priced(stage: Stage) -> str:
            return priced_provider(resolved[stage], settings)

        values: dict[str, Any] = {
            "planner": priced("planner"),
            "planner_model": settings.planner_model,
            "images": priced("images"),
            "image_model": settings.image_model,
            "image_quality": settings.image_quality,
            "video": priced("video"),
            "video_model": settings.video_model,
            "speech": priced("speech"),
            "tts_model": settings.tts_model,
        }
        values.update(overrides)
        return cls(**values)

    @property
    def quality(self) -> str:
        """The quality the image provider sends (the same rule: chosen, else the default)."""
        return self.image_quality or catalogue.image_family(self.image_model).default_quality

    @property
    def size(self) -> str:
        if self.image_size:
            return self.image_size
        from storyreel.assembly.spec import OutputSpec

        canvas = OutputSpec.for_resolution(self.resolution, self.aspect).size
        width, height = catalogue.request_size(self.image_model, canvas)
        return f"{width}x{height}"


@dataclass(frozen=True)
class EstimateLine:
    stage: str  # the step kind: plan, voice, frame, speech, video
    step: str  # the step key, as in the job store: "video:2"
    segment: int | None  # the number in the step key (for frames, the frame index)
    usd: Decimal
    detail: str


@dataclass(frozen=True)
class Estimate:
    lines: tuple[EstimateLine, ...]

    @property
    def total(self) -> Decimal:
        return sum((line.usd for line in self.lines), ZERO)

    def by_stage(self) -> dict[str, Decimal]:
        return _group(self.lines, lambda line: line.stage)

    def by_segment(self) -> dict[int | None, Decimal]:
        return _group(self.lines, lambda line: line.segment)

    def by_step(self) -> dict[str, Decimal]:
        return _group(self.lines, lambda line: line.step)

    def without(self, steps: Iterable[str]) -> Estimate:
        """What is left to pay once ``steps`` (e.g. those already done) are taken out."""
        skip = set(steps)
        return Estimate(tuple(line for line in self.lines if line.step not in skip))


def _group(lines: Iterable[EstimateLine], key: Callable[[EstimateLine], K]) -> dict[K, Decimal]:
    groups: dict[K, Decimal] = {}
    for line in lines:
        k = key(line)
        groups[k] = groups.get(k, ZERO) + line.usd
    return groups


def _assumed(prices: PriceTable, provider: str, kind: Kind, model: str) -> str:
    """The note an estimate line carries when its price is a guess."""
    if provider == OFFLINE or not prices.assumed(kind, model):
        return ""
    return " (price assumed)"


def estimated_clip_seconds(narration: str) -> int:
    """6 or 10: the clip length the narration will most likely need (the orchestrator's rule is
    exact once the narration is spoken; pass its figures to :func:`estimate` as ``durations``)."""
    speech = len(narration) / SPEECH_CHARS_PER_SECOND
    return 6 if speech + CLIP_MARGIN_SECONDS <= 6 else 10


def _portrait_lines(plan: Plan, options: CostOptions, prices: PriceTable) -> list[EstimateLine]:
    """One reference portrait per character without an uploaded picture (none for a model that
    takes no reference images: it draws the cast from words)."""
    limit = (
        catalogue.image_family(options.image_model).reference_limit
        if options.images == "openai"
        else MAX_CAST
    )
    size = f"{PORTRAIT_SIZE[0]}x{PORTRAIT_SIZE[1]}"
    price = prices.image(
        provider=options.images, model=options.image_model, quality=options.quality, size=size
    )
    detail = f"{options.image_model} {options.quality} {size} portrait" + _assumed(
        prices, options.images, "images", options.image_model
    )
    return [
        EstimateLine("cast", f"cast:{n}", n, price, f"{plan.cast[n].name}: {detail}")
        for n in draws_portraits(plan, limit)
    ]


def _tokens(chars: int) -> int:
    return math.ceil(chars / CHARS_PER_TOKEN)


def estimate(
    source: Plan | str,
    options: CostOptions,
    prices: PriceTable | None = None,
    *,
    include_planning: bool | None = None,
    durations: Mapping[int, int] | None = None,
) -> Estimate:
    """Lines per stage and segment for making ``source`` (a story, or a plan already made).

    From a story the segment count and narration are guessed (rough); from a plan every figure
    but the planning tokens is exact, and ``durations`` (segment -> 6/10) makes the video exact.
    Planning is included for a story, and for a plan only when ``include_planning`` is true.
    """
    prices = prices or PriceTable()
    if isinstance(source, Plan):
        narrations = [segment.narration for segment in source.segments]
        n_frames = len(frame_prompts(source))
        plan_chars = len(source.model_dump_json())
        story_chars = sum(len(text) for text in narrations)
        planning = bool(include_planning)
    else:
        story = source.strip()
        if not story:
            raise UsageError("the story is empty", field="story")
        n = options.segments or max(1, min(20, math.ceil(len(story) / NARRATION_CHARS_PER_SEGMENT)))
        share = math.ceil(len(story) / n)
        narrations = [story[i * share : (i + 1) * share] for i in range(n)]
        n_frames = n + 1
        plan_chars = n * PLAN_TOKENS_PER_SEGMENT * CHARS_PER_TOKEN
        story_chars = len(story)
        planning = include_planning is not False

    lines: list[EstimateLine] = []
    if planning:
        tokens_in = PLANNER_PROMPT_TOKENS + _tokens(story_chars)
        tokens_out = _tokens(plan_chars)
        lines.append(
            EstimateLine(
                "plan",
                "plan",
                None,
                prices.planning(
                    provider=options.planner,
                    model=options.planner_model,
                    input_tokens=tokens_in,
                    output_tokens=tokens_out,
                ),
                f"{options.planner_model} ~{tokens_in} in / ~{tokens_out} out tokens"
                + _assumed(prices, options.planner, "planner", options.planner_model),
            )
        )
    if options.clone_voice:
        lines.append(
            EstimateLine(
                "voice", "voice", None, prices.clone(provider=options.speech), "voice clone"
            )
        )
    image = prices.image(
        provider=options.images,
        model=options.image_model,
        quality=options.quality,
        size=options.size,
    )
    for k in range(n_frames):
        detail = f"{options.image_model} {options.quality} {options.size}" + _assumed(
            prices, options.images, "images", options.image_model
        )
        lines.append(EstimateLine("frame", f"frame:{k}", k, image, detail))
    if isinstance(source, Plan):
        lines.extend(_portrait_lines(source, options, prices))
    for i, narration in enumerate(narrations):
        chars = len(narration)
        lines.append(
            EstimateLine(
                "speech",
                f"speech:{i}",
                i,
                prices.speech(provider=options.speech, model=options.tts_model, characters=chars),
                f"{options.tts_model} {chars} chars"
                + _assumed(prices, options.speech, "speech", options.tts_model),
            )
        )
        seconds = (durations or {}).get(i) or estimated_clip_seconds(narration)
        lines.append(
            EstimateLine(
                "video",
                f"video:{i}",
                i,
                prices.video_clip(
                    provider=options.video,
                    model=options.video_model,
                    resolution=options.resolution,
                    duration=seconds,
                ),
                f"{options.video_model} {options.resolution.upper()} {seconds} s"
                + _assumed(prices, options.video, "video", options.video_model),
            )
        )
    if options.music != OFFLINE:
        price = prices.music(provider=options.music, model=options.music_model)
        lines.append(EstimateLine("music", "music", None, price, f"{options.music_model} 1 track"))
    return Estimate(tuple(lines))
