"""What a job costs, one job a module.

- :mod:`.money`: Decimal US dollars, micro-dollars in the store, ``format_usd``.
- :mod:`.prices`: the price table, its defaults and sources, and ``STORYREEL_PRICES`` overrides.
- :mod:`.estimate`: what a story or plan will cost, before paying.
- :mod:`.budget`: the ``--budget`` guard, against the estimate and before each paid call.
"""

from __future__ import annotations

from storyreel.pipeline.cost.budget import Budget
from storyreel.pipeline.cost.estimate import (
    CHARS_PER_TOKEN,
    CLIP_MARGIN_SECONDS,
    NARRATION_CHARS_PER_SEGMENT,
    PLAN_TOKENS_PER_SEGMENT,
    PLANNER_PROMPT_TOKENS,
    SPEECH_CHARS_PER_SECOND,
    CostOptions,
    Estimate,
    EstimateLine,
    estimate,
    estimated_clip_seconds,
    priced_provider,
)
from storyreel.pipeline.cost.money import (
    MICROS_PER_USD,
    ZERO,
    format_usd,
    from_micros,
    to_micros,
    usd,
)
from storyreel.pipeline.cost.prices import (
    MIN_FAMILY_PREFIX,
    OFFLINE,
    PriceTable,
    TokenPrice,
    load_prices,
)

__all__ = [
    "CHARS_PER_TOKEN",
    "CLIP_MARGIN_SECONDS",
    "MICROS_PER_USD",
    "MIN_FAMILY_PREFIX",
    "NARRATION_CHARS_PER_SEGMENT",
    "OFFLINE",
    "PLANNER_PROMPT_TOKENS",
    "PLAN_TOKENS_PER_SEGMENT",
    "SPEECH_CHARS_PER_SECOND",
    "ZERO",
    "Budget",
    "CostOptions",
    "Estimate",
    "EstimateLine",
    "PriceTable",
    "TokenPrice",
    "estimate",
    "estimated_clip_seconds",
    "format_usd",
    "from_micros",
    "load_prices",
    "priced_provider",
    "to_micros",
    "usd",
]
