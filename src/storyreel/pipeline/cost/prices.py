"""The price table: what each provider's call costs, by model, in Decimal US dollars.

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
import tomllib
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from storyreel.errors import ConfigError, UsageError
from storyreel.pipeline.cost.money import ZERO
from storyreel.providers import catalogue
from storyreel.providers.catalogue import Kind

OFFLINE = "offline"
V = TypeVar("V")
# A model shares at least this much of its name with a priced one to borrow its price.
MIN_FAMILY_PREFIX = 5


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

    def entries(self, kind: Kind) -> Mapping[str, object]:
        """The table that prices ``kind``'s models, by model name."""
        tables: dict[Kind, Mapping[str, object]] = {
            "planner": self.planner,
            "images": self.images,
            "video": self.video,
            "speech": self.speech_per_1k_chars,
        }
        return tables[kind]

    def assumed(self, kind: Kind, model: str) -> bool:
        """True when ``model``'s price is a guess: not in the table by name, or in it only from
        the catalogue's unchecked defaults."""
        entries = self.entries(kind)
        if model not in entries:
            return True
        overridden = entries[model] != _default_prices().entries(kind).get(model)
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
