"""The budget guard (``--budget USD``): checked against the estimate, then before each paid call."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from storyreel.errors import BudgetExceededError
from storyreel.pipeline.cost.estimate import Estimate
from storyreel.pipeline.cost.money import ZERO, format_usd


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
