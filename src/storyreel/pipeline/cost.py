"""What a job costs: the price table, the estimate before paying, and the budget guard.

Money is :class:`~decimal.Decimal` US dollars in Python and integer micro-dollars in the job
store, so sums never drift the way floats do.

Default prices (USD; override any entry with a JSON or TOML file named by ``STORYREEL_PRICES``,
which is merged over these defaults)::

    planning   by model family (storyreel.providers.catalogue.CHAT_FAMILIES): gpt-4o $2.50 /
                                 1M input tokens, $10.00 / 1M output (openai.com/api/pricing,
                                 2025-01); gpt-5.x / gpt-6 ASSUMED at gpt-5's $1.25 / $10.00
    images     by model family (catalogue.IMAGE_FAMILIES), USD per 1024x1024 picture by quality,
                                 scaled by the area asked for: low $0.011, medium $0.042, high
                                 $0.167 (OpenAI's gpt-image-1 figures, 2025-04; ASSUMED for the
                                 gpt-image-2 family, whose prices could not be read here)
    video      MiniMax-Hailuo-02 ASSUMPTION, NOT CHECKED against MiniMax's price page (it could not
                                 be read when this was written): 768P 6 s $0.28, 768P 10 s $0.56,
                                 1080P 6 s $0.49, 512P 6 s $0.10, 512P 10 s $0.15 (720P output
                                 is made of 768P clips and priced as 768P). Check them
                                 at minimax.io/price (pay-as-you-go) and override before trusting
                                 a budget.
    narration  speech-02-hd      ~$0.10 / 1K characters; speech-02-turbo ~$0.06 / 1K characters
                                 (MiniMax pay-as-you-go as commonly quoted, 2025; ASSUMPTION,
                                 to check)
    voice      clone             $3.00 per cloned voice, charged on its first use (ASSUMPTION)
    music      music-2.0         $0.03 per generated track, one per job with --music auto
                                 (third-party resellers' figure; ASSUMPTION, to check)

Providers named ``offline`` cost nothing.

An override file holds the same shape as :class:`PriceTable`, partially, e.g. in TOML::

    voice_clone = 1.5
    [video.MiniMax-Hailuo-02]
    "768P:6s" = 0.25
    [images.gpt-image-2]
    medium = 0.05          # per 1024x1024, scaled by area; or "medium:1536x864" = 0.06 exactly

A model the table does not name is priced like the nearest entry of its family (the longest
shared name prefix) and its estimate line says the price is assumed.
"""

from __future__ import annotations

import functools
import json
import math
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from storyreel.errors import BudgetExceededError, ConfigError, UsageError
from storyreel.pipeline.hashing import frame_prompts
from storyreel.plan import Plan
from storyreel.providers import catalogue
from storyreel.providers.catalogue import Kind

if TYPE_CHECKING:
    from storyreel.config import Settings

OFFLINE = "offline"
K = TypeVar("K")
V = TypeVar("V")
MICROS_PER_USD = 1_000_000
# A model shares at least this much of its name with a priced one to borrow its price.
MIN_FAMILY_PREFIX = 5
ZERO = Decimal(0)

# Estimation heuristics, used only where the real figure is not known yet.
CHARS_PER_TOKEN = 4  # English prose, OpenAI tokenizers
PLANNER_PROMPT_TOKENS = 700  # the planner's system prompt and JSON schema
PLAN_TOKENS_PER_SEGMENT = 230  # one segment's JSON: narration + three prompts + camera
NARRATION_CHARS_PER_SEGMENT = 120  # how much story the planner puts in one segment, roughly
SPEECH_CHARS_PER_SECOND = 15.0  # speech-02 at speed 1.0, English
CLIP_MARGIN_SECONDS = 0.8  # lead-in + tail around the narration inside a clip


# --- money -------------------------------------------------------------------------------------


def usd(value: str | int | Decimal) -> Decimal:
    """A dollar amount from a string, int or Decimal; never a float, where drift starts."""
    return Decimal(value)


def to_micros(amount: Decimal) -> int:
    """Dollars -> integer micro-dollars, rounded half up."""
    return int((amount * MICROS_PER_USD).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def from_micros(micros: int) -> Decimal:
    return Decimal(micros) / MICROS_PER_USD


def format_usd(amount: Decimal) -> str:
    """``$0.28``; amounts under a cent keep four places (``$0.0042``) so they never read as 0."""
    if amount != 0 and abs(amount) < Decimal("0.01"):
        return f"${amount.quantize(Decimal('0.0001'), rounding=ROUND_HALF_UP)}"
    return f"${amount.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP)}"


# --- the price table -------------------------------------------------------------------------


class TokenPrice(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    input_per_1k: Decimal = Field(ge=0)
    output_per_1k: Decimal = Field(ge=0)


def _d(value: str) -> Decimal:
    return Decimal(value)


class PriceTable(BaseModel):
    """USD prices by model. Keys: images ``"quality:WxH"``, video ``"RES:Ns"`` (``"768P:6s"``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    planner: dict[str, TokenPrice] = Field(default_factory=lambda: _catalogue_planner())
    # model -> "quality" (USD per 1024x1024, scaled by area) or "quality:WxH" (exact).
    images: dict[str, dict[str, Decimal]] = Field(default_factory=lambda: _catalogue_images())
    video: dict[str, dict[str, Decimal]] = Field(
        default_factory=lambda: {
            "MiniMax-Hailuo-02": {
                "512P:6s": _d("0.10"),
                "512P:10s": _d("0.15"),
                "768P:6s": _d("0.28"),
                "768P:10s": _d("0.56"),
                "1080P:6s": _d("0.49"),
                # A 720P video is rendered from 768P clips (Hailuo-02 has no 720P FL2V).
                "720P:6s": _d("0.28"),
                "720P:10s": _d("0.56"),
            }
        }
    )
    speech_per_1k_chars: dict[str, Decimal] = Field(
        default_factory=lambda: {"speech-02-hd": _d("0.10"), "speech-02-turbo": _d("0.06")}
    )
    voice_clone: Decimal = Field(default=_d("3.00"), ge=0)
    # Per generated track (``--music auto``). [assumption to check: third-party resellers bill
    # music-2.0 at about $0.03 a track; MiniMax's own page was not at hand]
    music_per_track: dict[str, Decimal] = Field(default_factory=lambda: {"music-2.0": _d("0.03")})

    # Each price below returns 0 for the offline providers and raises UsageError for a model or
    # option the table does not know: a silent zero would let a budget pass unchecked.

    def planning(
        self, *, provider: str, model: str, input_tokens: int, output_tokens: int
    ) -> Decimal:
        if provider == OFFLINE:
            return ZERO
        price = self.planner.get(model) or _catalogue_token_price(model)
        if price is None:
            price = self._lookup(self.planner, model, "planner")
        return (price.input_per_1k * input_tokens + price.output_per_1k * output_tokens) / 1000

    def image(self, *, provider: str, model: str, quality: str, size: str) -> Decimal:
        if provider == OFFLINE:
            return ZERO
        table = self.images.get(model) or dict(catalogue.image_family(model).price_per_mp)
        if not table:
            table = self._lookup(self.images, model, "images")
        exact = table.get(f"{quality}:{size}")
        if exact is not None:
            return exact
        per_mp = self._lookup(table, quality, f"images.{model}")
        width, height = (int(v) for v in size.split("x"))
        return (per_mp * width * height / (1024 * 1024)).quantize(Decimal("0.0001"))

    def video_clip(self, *, provider: str, model: str, resolution: str, duration: int) -> Decimal:
        if provider == OFFLINE:
            return ZERO
        table = _family_entry(self.video, model, "video")
        return self._lookup(table, f"{resolution.upper()}:{duration}s", f"video.{model}")

    def speech(self, *, provider: str, model: str, characters: int) -> Decimal:
        if provider == OFFLINE:
            return ZERO
        per_1k = _family_entry(self.speech_per_1k_chars, model, "speech_per_1k_chars")
        return per_1k * characters / 1000

    def assumed(self, kind: Kind, table: str, model: str) -> bool:
        """True when ``model``'s price is a guess: not in the table by name, or in it only from
        the catalogue's unchecked defaults."""
        entries: Mapping[str, object] = getattr(self, table)
        if model not in entries:
            return True
        default: Mapping[str, object] = getattr(_default_prices(), table)
        overridden = entries[model] != default.get(model)
        return not overridden and not catalogue.lookup(kind, model).price_checked

    def clone(self, *, provider: str) -> Decimal:
        return ZERO if provider == OFFLINE else self.voice_clone

    def music(self, *, provider: str, model: str) -> Decimal:
        if provider == OFFLINE:
            return ZERO
        return self._lookup(self.music_per_track, model, "music_per_track")

    @staticmethod
    def _lookup(table: Mapping[str, V], key: str, where: str) -> V:
        try:
            return table[key]
        except KeyError:
            known = ", ".join(sorted(table)) or "none"
            raise UsageError(
                f"no price for {key!r} (known: {known})",
                field=f"prices.{where}",
                fix="add it to the price file named by STORYREEL_PRICES",
            ) from None


@functools.cache
def _default_prices() -> PriceTable:
    return PriceTable()


def _catalogue_token_price(model: str) -> TokenPrice | None:
    family = catalogue.chat_family(model)
    if family is None:
        return None
    return TokenPrice(input_per_1k=family.input_per_1k, output_per_1k=family.output_per_1k)


def _catalogue_planner() -> dict[str, TokenPrice]:
    """A token price for every chat model the catalogue names, from its family."""
    prices = {}
    for name in sorted(catalogue.KNOWN["planner"]):
        price = _catalogue_token_price(name)
        if price is not None:
            prices[name] = price
    return prices


def _catalogue_images() -> dict[str, dict[str, Decimal]]:
    """Per-1024x1024 prices by quality for every image model the catalogue names."""
    prices = {}
    for name in sorted(catalogue.KNOWN["images"]):
        per_mp = dict(catalogue.image_family(name).price_per_mp)
        if per_mp:
            prices[name] = per_mp
    return prices


def _family_entry(table: Mapping[str, V], model: str, where: str) -> V:
    """``table[model]``, else the entry sharing the longest name prefix with ``model`` (its
    family: ``MiniMax-Hailuo-2.3`` is priced like ``MiniMax-Hailuo-02``)."""
    if model in table:
        return table[model]
    shared = {key: _shared_prefix(key, model) for key in table}
    best = max(shared, key=lambda key: (shared[key], -len(key)), default=None)
    if best is None or shared[best] < MIN_FAMILY_PREFIX:
        known = ", ".join(sorted(table)) or "none"
        raise UsageError(
            f"no price for {model!r} (known: {known})",
            field=f"prices.{where}",
            fix="add it to the price file named by STORYREEL_PRICES",
        )
    return table[best]


def _shared_prefix(a: str, b: str) -> int:
    """How many leading characters two model names share."""
    count = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        count += 1
    return count


def _merge(base: dict[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def load_prices(path: Path | None = None) -> PriceTable:
    """The default table, with the entries of ``path`` (JSON or TOML) merged over it."""
    if path is None:
        return PriceTable()
    try:
        text = path.read_text(encoding="utf-8")
        # Decimal straight from the text, so 0.1 stays 0.1.
        if path.suffix.lower() == ".toml":
            override = tomllib.loads(text, parse_float=Decimal)
        else:
            override = json.loads(text, parse_float=Decimal)
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}", field="STORYREEL_PRICES") from exc
    if not isinstance(override, dict):
        raise ConfigError(f"{path} must hold a table/object", field="STORYREEL_PRICES")
    base = PriceTable().model_dump()
    try:
        return PriceTable.model_validate(_merge(base, override))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise ConfigError(f"{path}: {where}: {first['msg']}", field="STORYREEL_PRICES") from None


# --- the estimate ------------------------------------------------------------------------------


class CostOptions(BaseModel):
    """Which providers and models a job uses, as far as its price goes."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    planner: str = "openai"
    planner_model: str = catalogue.DEFAULTS["planner"]
    images: str = "openai"
    image_model: str = catalogue.DEFAULTS["images"]
    image_quality: str | None = None  # None: the image family's default ("medium")
    resolution: str = "768P"
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
        """Resolve ``auto`` providers the way the product does: real when its key is set."""
        openai = "openai" if settings.openai.configured else OFFLINE
        minimax = OFFLINE if settings.minimax.mocked else "minimax"

        def pick(choice: str, real: str) -> str:
            return real if choice == "auto" else choice

        values: dict[str, Any] = {
            "planner": pick(settings.planner, openai),
            "planner_model": settings.planner_model,
            "images": pick(settings.images, openai),
            "image_model": settings.image_model,
            "image_quality": settings.image_quality,
            "video": pick(settings.video, minimax),
            "video_model": settings.video_model,
            "speech": pick(settings.speech, minimax),
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

        canvas = OutputSpec.for_resolution(self.resolution).size
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


def _assumed(prices: PriceTable, provider: str, kind: Kind, table: str, model: str) -> str:
    """The note an estimate line carries when its price is a guess."""
    if provider == OFFLINE or not prices.assumed(kind, table, model):
        return ""
    return " (price assumed)"


def estimated_clip_seconds(narration: str) -> int:
    """6 or 10: the clip length the narration will most likely need (the orchestrator's rule is
    exact once the narration is spoken; pass its figures to :func:`estimate` as ``durations``)."""
    speech = len(narration) / SPEECH_CHARS_PER_SECOND
    return 6 if speech + CLIP_MARGIN_SECONDS <= 6 else 10


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
                + _assumed(prices, options.planner, "planner", "planner", options.planner_model),
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
            prices, options.images, "images", "images", options.image_model
        )
        lines.append(EstimateLine("frame", f"frame:{k}", k, image, detail))
    for i, narration in enumerate(narrations):
        chars = len(narration)
        lines.append(
            EstimateLine(
                "speech",
                f"speech:{i}",
                i,
                prices.speech(provider=options.speech, model=options.tts_model, characters=chars),
                f"{options.tts_model} {chars} chars"
                + _assumed(
                    prices, options.speech, "speech", "speech_per_1k_chars", options.tts_model
                ),
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
                + _assumed(prices, options.video, "video", "video", options.video_model),
            )
        )
    if options.music != OFFLINE:
        price = prices.music(provider=options.music, model=options.music_model)
        lines.append(EstimateLine("music", "music", None, price, f"{options.music_model} 1 track"))
    return Estimate(tuple(lines))


# --- the budget --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Budget:
    """``--budget USD``: refuse to start, or stop before a call, when spend would pass it."""

    limit: Decimal | None = None

    def remaining(self, spent: Decimal) -> Decimal | None:
        return None if self.limit is None else self.limit - spent

    def would_exceed(self, spent: Decimal, next_cost: Decimal) -> bool:
        return self.limit is not None and spent + next_cost > self.limit

    def check_estimate(self, estimate: Estimate, *, spent: Decimal = ZERO) -> None:
        """Raise before starting when what is spent plus what is left to pay passes the limit."""
        if self.would_exceed(spent, estimate.total):
            assert self.limit is not None
            raise BudgetExceededError(
                f"the estimate {format_usd(estimate.total)}"
                + (f" plus {format_usd(spent)} already spent" if spent else "")
                + f" passes the budget of {format_usd(self.limit)}; raise --budget or make less"
            )

    def ensure_room(self, spent: Decimal, next_cost: Decimal, *, what: str) -> None:
        """Raise before a paid call that would take the spend past the limit."""
        if self.would_exceed(spent, next_cost):
            assert self.limit is not None
            raise BudgetExceededError(
                f"{what} ({format_usd(next_cost)}) would take the spend from {format_usd(spent)} "
                f"past the budget of {format_usd(self.limit)}; the job stays resumable"
            )
