"""What storyreel knows about the OpenAI and MiniMax models it can call: one table.

Each *family* (matched by the longest name prefix) carries the rules a call must follow: the size
rule and reference edits of an image model, its quality values, the price, whether that price was
checked. Reference edits: the GPT image families take up to 16 pictures in one ``images.edit``
(the cast's references, at most 8 a plan); ``dall-e`` and names no family knows take none, so
their frames are drawn from text, each character described in words, and no portrait is drawn.
Each *known name* adds its announced shutdown date and the replacement OpenAI names.

A name the table does not know is still accepted: it runs with its family's rules and the estimate
says its price is assumed. The services keep changing (OpenAI shut down ``gpt-image-1`` on
2026-10-23 and ``dall-e-3`` on 2026-05-12), so nothing here is a closed list of allowed names.

Sources, read on 2026-12-03 from the installed openai SDK (3.60):
``openai/types/image_model.py``, ``image_generate_params.py`` / ``image_edit_params.py`` (sizes,
qualities, edit models) and ``openai/types/shared/chat_model.py`` (announced shutdown dates).
Prices marked ``checked=False`` are assumptions: override them with ``STORYREEL_PRICES``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Literal

Kind = Literal["planner", "images", "video", "speech"]
SizeRule = Literal["any", "standard"]

# The one date a warning starts before a shutdown.
WARN_DAYS = 60
STANDARD_SIZES: tuple[tuple[int, int], ...] = ((1536, 1024), (1024, 1536), (1024, 1024))
# gpt-image-2 family: any WxH divisible by 16, aspect 1:3..3:1, at most 3840x2160.
ANY_SIZE_STEP = 16
ANY_SIZE_MAX = (3840, 2160)
ANY_SIZE_MAX_ASPECT = 3.0
# Reference images one ``images.edit`` takes (the SDK's image_edit_params.py: "up to 16 images",
# each png/webp/jpg under 50 MB).
EDIT_MAX_IMAGES = 16
EDIT_MAX_IMAGE_BYTES = 50 * 1024 * 1024
# Pixels asked of an any-size model: 1536x864 for 16:9, the same area for other shapes.
ANY_SIZE_AREA = 1536 * 864
_MEGA = 1024 * 1024


@dataclass(frozen=True)
class ImageFamily:
    """How to call one family of GPT image models, and what a picture costs."""

    sizes: SizeRule
    edits: bool  # takes reference images (``images.edit``): characters carry over
    qualities: tuple[str, ...]
    default_quality: str
    # USD per 1024x1024 picture by quality; OpenAI bills by output tokens, which grow with area.
    price_per_mp: Mapping[str, Decimal]
    checked: bool = False
    prompt_limit: int = 32000
    # Images one edit takes. A family without edits (dall-e, unknown servers) draws every frame
    # from text: the cast's descriptions go into the prompt and no portrait is drawn.
    max_references: int = EDIT_MAX_IMAGES

    @property
    def reference_limit(self) -> int:
        """How many reference images a frame is drawn with (0: none)."""
        return self.max_references if self.edits else 0


@dataclass(frozen=True)
class ChatFamily:
    """A chat model family the planner can use (structured outputs) and its token price."""

    input_per_1k: Decimal
    output_per_1k: Decimal
    structured_outputs: bool = True
    checked: bool = False


@dataclass(frozen=True)
class FlatFamily:
    """MiniMax models: prices live in the price table by resolution/characters; the catalogue
    only says whether those are checked. Their call rules are the MiniMax client's own."""

    checked: bool = False


Family = ImageFamily | ChatFamily | FlatFamily


@dataclass(frozen=True)
class Lifecycle:
    shutdown: date
    replacement: str


@dataclass(frozen=True)
class ModelInfo:
    """One model name as the catalogue sees it."""

    name: str
    kind: Kind
    family: Family | None  # None: no family's prefix matches (no rules, no price)
    known: bool  # False: the name is new to the table and runs with its family's rules
    lifecycle: Lifecycle | None = None

    @property
    def price_checked(self) -> bool:
        return self.known and self.family is not None and self.family.checked

    def days_left(self, today: date) -> int | None:
        return None if self.lifecycle is None else (self.lifecycle.shutdown - today).days


def _d(value: str) -> Decimal:
    return Decimal(value)


_GPT_IMAGE_PRICE = {"low": _d("0.011"), "medium": _d("0.042"), "high": _d("0.167")}
_GPT_IMAGE_QUALITIES = ("low", "medium", "high")

# Longest prefix wins. The price of the gpt-image-1 figures (2025-04) is assumed for successors.
IMAGE_FAMILIES: dict[str, ImageFamily] = {
    "gpt-image-2.6": ImageFamily(
        "standard", True, _GPT_IMAGE_QUALITIES, "medium", _GPT_IMAGE_PRICE
    ),
    "gpt-image-2.5": ImageFamily(
        "any",
        True,
        (*_GPT_IMAGE_QUALITIES, "xhigh", "max"),
        "medium",
        {**_GPT_IMAGE_PRICE, "xhigh": _d("0.25"), "max": _d("0.33")},
    ),
    "gpt-image-2": ImageFamily("any", True, _GPT_IMAGE_QUALITIES, "medium", _GPT_IMAGE_PRICE),
    "gpt-image-1": ImageFamily(
        "standard", True, _GPT_IMAGE_QUALITIES, "medium", _GPT_IMAGE_PRICE, checked=True
    ),
    "gpt-image": ImageFamily("standard", True, _GPT_IMAGE_QUALITIES, "medium", _GPT_IMAGE_PRICE),
    "chatgpt-image": ImageFamily(
        "standard", True, _GPT_IMAGE_QUALITIES, "medium", _GPT_IMAGE_PRICE
    ),
    "dall-e": ImageFamily("standard", False, ("standard", "hd"), "standard", {}, checked=True),
    # Any other name (an OpenAI-compatible server's model): the sizes every GPT image model takes.
    "": ImageFamily("standard", False, ("low", "medium", "high"), "medium", {}),
}

CHAT_FAMILIES: dict[str, ChatFamily] = {
    "gpt-4o-mini": ChatFamily(_d("0.00015"), _d("0.0006"), checked=True),
    "gpt-4o": ChatFamily(_d("0.0025"), _d("0.01"), checked=True),
    "gpt-4.1-mini": ChatFamily(_d("0.0004"), _d("0.0016"), checked=True),
    "gpt-4.1": ChatFamily(_d("0.002"), _d("0.008"), checked=True),
    "gpt-5-mini": ChatFamily(_d("0.00025"), _d("0.002"), checked=True),
    "gpt-5": ChatFamily(_d("0.00125"), _d("0.01"), checked=True),
    # Newer families: priced like gpt-5 until checked (see the module docstring).
    "gpt-5.4-mini": ChatFamily(_d("0.00025"), _d("0.002")),
    "gpt-5.4-nano": ChatFamily(_d("0.00005"), _d("0.0004")),
    "gpt-6": ChatFamily(_d("0.00125"), _d("0.01")),
    "gpt-4": ChatFamily(_d("0.03"), _d("0.06"), structured_outputs=False, checked=True),
    "gpt-3.5": ChatFamily(_d("0.0005"), _d("0.0015"), structured_outputs=False, checked=True),
    "o": ChatFamily(_d("0.002"), _d("0.008")),
    "gpt": ChatFamily(_d("0.00125"), _d("0.01")),
}
VIDEO_FAMILIES: dict[str, FlatFamily] = {"MiniMax-Hailuo": FlatFamily(), "": FlatFamily()}
SPEECH_FAMILIES: dict[str, FlatFamily] = {"speech-": FlatFamily(), "": FlatFamily()}

_IMAGE_REPLACEMENT = "gpt-image-2.5-flare"
_CHAT_REPLACEMENT = "gpt-5.5"


def _lifecycles() -> dict[str, Lifecycle]:
    """Announced shutdowns, copied from the SDK's deprecation notes (see the docstring)."""
    table: dict[str, Lifecycle] = {}

    def add(when: str, replacement: str, *names: str) -> None:
        for name in names:
            table[name] = Lifecycle(date.fromisoformat(when), replacement)

    add("2026-10-23", _IMAGE_REPLACEMENT, "gpt-image-1")
    add("2026-05-12", _IMAGE_REPLACEMENT, "dall-e-2", "dall-e-3")
    add("2027-04-01", _CHAT_REPLACEMENT, "gpt-5.1", "gpt-5.1-2025-11-13")
    add("2027-04-01", "gpt-5.4-mini", "gpt-5.4-nano", "gpt-5.4-nano-2026-03-17")
    add(
        "2026-12-11",
        _CHAT_REPLACEMENT,
        "gpt-5",
        "gpt-5-mini",
        "gpt-5-nano",
        "gpt-5-2025-08-07",
        "gpt-5-mini-2025-08-07",
        "gpt-5-nano-2025-08-07",
        "o3",
        "o3-2025-04-16",
    )
    add(
        "2027-01-14",
        _CHAT_REPLACEMENT,
        "gpt-4.1",
        "gpt-4.1-mini",
        "gpt-4.1-2025-04-14",
        "gpt-4.1-mini-2025-04-14",
        "gpt-4o",
        "gpt-4o-2024-11-20",
        "gpt-4o-2024-08-06",
        "gpt-4o-mini",
        "gpt-4o-mini-2024-07-18",
    )
    add(
        "2026-10-23",
        _CHAT_REPLACEMENT,
        "gpt-4.1-nano",
        "gpt-4.1-nano-2025-04-14",
        "o4-mini",
        "o4-mini-2025-04-16",
        "o3-mini",
        "o3-mini-2025-01-31",
        "o1",
        "o1-2024-12-17",
        "gpt-4o-2024-05-13",
        "gpt-4-turbo",
        "gpt-4-turbo-2024-04-09",
        "gpt-4-1106-preview",
        "gpt-4",
        "gpt-4-0613",
        "gpt-3.5-turbo",
        "gpt-3.5-turbo-0125",
    )
    add("2026-03-26", _CHAT_REPLACEMENT, "gpt-4-0125-preview", "gpt-4-turbo-preview", "gpt-4-0314")
    add("2026-09-28", _CHAT_REPLACEMENT, "gpt-3.5-turbo-1106")
    add("2026-02-17", _CHAT_REPLACEMENT, "chatgpt-4o-latest")
    return table


LIFECYCLES: dict[str, Lifecycle] = _lifecycles()

# Names the catalogue knows by name (the rest run by their family's prefix).
KNOWN: dict[Kind, frozenset[str]] = {
    "images": frozenset(
        {
            "gpt-image-1.5",
            "gpt-image-2",
            "gpt-image-2-2026-04-21",
            "gpt-image-2.5-sunburst",
            "gpt-image-2.5-sunburst-2026-09-08",
            "gpt-image-2.5-flare",
            "gpt-image-2.5-flare-2026-09-08",
            "gpt-image-2.6-sunburst",
            "gpt-image-2.6-flare",
            "gpt-image-1",
            "gpt-image-1-mini",
            "chatgpt-image-latest",
            "dall-e-2",
            "dall-e-3",
        }
    ),
    "planner": frozenset(
        {
            "gpt-6-astra",
            "gpt-6.2-astra",
            "gpt-6.1-sol",
            "gpt-6.2-sol",
            "gpt-6.1-terra",
            "gpt-6-sol",
            "gpt-6-luna",
            "gpt-5.6-sol",
            "gpt-5.6-terra",
            "gpt-5.6-luna",
            "gpt-5.5",
            "gpt-5.5-2026-04-23",
            "gpt-5.4",
            "gpt-5.4-mini",
            "gpt-5.4-mini-2026-03-17",
            "gpt-5.2",
            "gpt-5.2-2025-12-11",
            *(name for name in LIFECYCLES if not name.startswith(("gpt-image", "dall-e"))),
        }
    ),
    "video": frozenset({"MiniMax-Hailuo-02"}),
    "speech": frozenset({"speech-02-hd", "speech-02-turbo"}),
}
_FAMILIES: dict[Kind, Mapping[str, Family]] = {
    "images": IMAGE_FAMILIES,
    "planner": CHAT_FAMILIES,
    "video": VIDEO_FAMILIES,
    "speech": SPEECH_FAMILIES,
}
# Defaults: current models with no announced shutdown (checked by a test against LIFECYCLES).
DEFAULTS: dict[Kind, str] = {
    "planner": _CHAT_REPLACEMENT,
    "images": _IMAGE_REPLACEMENT,
    "video": "MiniMax-Hailuo-02",
    "speech": "speech-02-hd",
}


def lookup(kind: Kind, name: str) -> ModelInfo:
    """The catalogue's view of ``name``; unknown names get the family of their longest prefix."""
    families = _FAMILIES[kind]
    prefix = max((p for p in families if name.startswith(p)), key=len, default=None)
    return ModelInfo(
        name=name,
        kind=kind,
        family=None if prefix is None else families[prefix],
        known=name in KNOWN[kind],
        lifecycle=LIFECYCLES.get(name),
    )


def image_family(name: str) -> ImageFamily:
    family = lookup("images", name).family
    assert isinstance(family, ImageFamily)  # the "" family matches every name
    return family


def chat_family(name: str) -> ChatFamily | None:
    family = lookup("planner", name).family
    return family if isinstance(family, ChatFamily) else None


def request_size(model: str, want: tuple[int, int]) -> tuple[int, int]:
    """The size to ask ``model`` for, for a frame of ``want`` (width, height).

    Any-size models get the frame's own aspect (1536x864 for 16:9), so nothing is cropped away;
    models with only the standard sizes get the nearest standard aspect (cropped afterwards).
    """
    width, height = want
    aspect = width / height
    if image_family(model).sizes == "standard":
        return min(STANDARD_SIZES, key=lambda s: abs(math.log((s[0] / s[1]) / aspect)))
    aspect = min(max(aspect, 1 / ANY_SIZE_MAX_ASPECT), ANY_SIZE_MAX_ASPECT)
    w = math.sqrt(ANY_SIZE_AREA * aspect)
    h = w / aspect
    scale = min(1.0, ANY_SIZE_MAX[0] / max(w, h), ANY_SIZE_MAX[1] / min(w, h))
    return _round16(w * scale), _round16(h * scale)


def _round16(value: float) -> int:
    return max(ANY_SIZE_STEP, round(value / ANY_SIZE_STEP) * ANY_SIZE_STEP)


def image_price(model: str, quality: str, size: tuple[int, int]) -> Decimal | None:
    """USD for one picture, or None when the family has no per-area price for ``quality``."""
    per_mp = image_family(model).price_per_mp.get(quality)
    if per_mp is None:
        return None
    return (per_mp * size[0] * size[1] / _MEGA).quantize(Decimal("0.0001"))


@dataclass(frozen=True)
class ShutdownNotice:
    """A configured model with an announced shutdown: past (refuse) or near (warn)."""

    setting: str
    info: ModelInfo
    today: date = field(default_factory=date.today)

    @property
    def past(self) -> bool:
        days = self.info.days_left(self.today)
        return days is not None and days <= 0

    def text(self) -> str:
        assert self.info.lifecycle is not None
        life = self.info.lifecycle
        if self.past:
            return (
                f"{self.setting}: {self.info.name} was shut down on {life.shutdown.isoformat()}; "
                f"set {self.setting}={life.replacement}"
            )
        return (
            f"{self.setting}: {self.info.name} shuts down on {life.shutdown.isoformat()} "
            f"({self.info.days_left(self.today)} days); switch to {life.replacement}"
        )


def shutdown_notice(kind: Kind, name: str, setting: str, today: date) -> ShutdownNotice | None:
    """A notice when ``name`` is shut down or shuts down within ``WARN_DAYS`` of ``today``."""
    info = lookup(kind, name)
    days = info.days_left(today)
    if days is None or days > WARN_DAYS:
        return None
    return ShutdownNotice(setting, info, today)
