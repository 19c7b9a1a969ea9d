"""Money: :class:`~decimal.Decimal` US dollars in Python, integer micro-dollars in the job store.

Never a float, so sums never drift; the store keeps integers so every backend adds them exactly.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

MICROS_PER_USD = 1_000_000
ZERO = Decimal(0)


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
