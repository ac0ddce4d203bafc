"""Small pure helpers that servicing needs beyond the money-math modules — no ORM, exact Decimals.

- `bucket_for` — DPD → delinquency bucket (DOMAIN.md §9);
- `cumulative_parts` — what each funder gets of one payment so that, however an amount is paid in pieces,
  each funder's parts add up to its split of the whole (split the cumulative, take the difference);
- `penalty_to_date` — penalty of one installment settled up to a date, in segments when part of its
  overdue principal was paid earlier (DOMAIN.md §4);
- `segment_penalty` — one segment of it;
- `PROVISION_RATES` — the share of our outstanding principal held as loss allowance in each bucket.
"""

from collections.abc import Callable
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")

# (upper DPD bound inclusive, bucket); above the last bound: M6+ (write-off candidate).
BUCKET_BOUNDS: tuple[tuple[int, str], ...] = (
    (0, "C"),
    (30, "M1"),
    (60, "M2"),
    (90, "M3"),
    (120, "M4"),
    (150, "M5"),
    (180, "M6"),
)

# Loss allowance as a share of our outstanding principal per bucket. Loosely the five-tier 五级分类 rates
# (normal 1%, special mention 2%, substandard 25%, doubtful 50%, loss 100%) mapped onto DPD buckets; a
# deployment overrides them with the REPAYMENT_PROVISION_RATES setting.
PROVISION_RATES: dict[str, Decimal] = {
    "C": Decimal("0.01"),
    "M1": Decimal("0.02"),
    "M2": Decimal("0.25"),
    "M3": Decimal("0.50"),
    "M4": Decimal("0.75"),
    "M5": Decimal("1.00"),
    "M6": Decimal("1.00"),
    "M6+": Decimal("1.00"),
}


def bucket_for(dpd: int) -> str:
    """C for 0, M1 for 1–30 … M6 for 151–180, M6+ beyond."""
    for bound, bucket in BUCKET_BOUNDS:
        if dpd <= bound:
            return bucket
    return "M6+"


def cumulative_parts(
    split: Callable[[Decimal], list[Decimal]], *, paid_before: Decimal, paid_now: Decimal
) -> list[Decimal]:
    """Each funder's part of a payment of ``paid_now`` after ``paid_before`` was already paid.

    part_i = split(before + now)_i − split(before)_i, so the parts sum to ``paid_now`` and, once the whole is
    paid, each funder has received exactly its split of the whole — partial payments never drift a fen.
    ``split`` is one of colending's largest-remainder splits with the funders' weights bound in.
    """
    after = split(paid_before + paid_now)
    before = split(paid_before)
    return [a - b for a, b in zip(after, before, strict=True)]


def penalty_to_date(
    *,
    due_date: date,
    on: date,
    unpaid_principal: Decimal,
    penalty_rate: Decimal,
    grace_days: int,
    base_on: date,
    base: Decimal,
    basis: int = 360,
) -> Decimal:
    """Penalty of one installment settled up to and including ``on`` (DOMAIN.md §4).

    Nothing while ``on`` is within the grace days after the due date; past them, every day since the due
    date counts: the earlier segments (``base``, up to ``base_on``) plus the principal still unpaid for the
    days since ``base_on``: round_half_up(principal × rate × days / basis). 947.97 ten days late at 24% → 6.32.
    """
    if (on - due_date).days <= grace_days:
        return ZERO
    return base + segment_penalty(
        unpaid_principal=unpaid_principal, penalty_rate=penalty_rate, days=(on - base_on).days, basis=basis
    )


def segment_penalty(*, unpaid_principal: Decimal, penalty_rate: Decimal, days: int, basis: int = 360) -> Decimal:
    """Penalty of one segment: round_half_up(principal × rate × days / basis)."""
    return (unpaid_principal * penalty_rate * max(days, 0) / basis).quantize(CENT, rounding=ROUND_HALF_UP)
