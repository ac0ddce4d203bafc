"""Points scaling (DOMAIN.md §6): Score = A − B·ln(odds_bad), B = PDO/ln 2, A = S₀ + B·ln(odds₀_bad).

Worked: 600 points at good:bad 50:1 and PDO 20 → B = 28.8539, A = 487.1229; PD 2% → 599.
"""

import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext as _

PD_PLACES = Decimal("0.000001")


@dataclass(frozen=True)
class Scaling:
    pdo: float = 20.0
    base_score: float = 600.0
    base_odds: float = 50.0  # good : bad at the base score

    def __post_init__(self) -> None:
        if self.pdo <= 0 or self.base_odds <= 0:
            raise ValueError(_("PDO and base odds must be positive."))

    @property
    def factor(self) -> float:
        """B = PDO / ln 2: points that double the good:bad odds."""
        return self.pdo / math.log(2.0)

    @property
    def offset(self) -> float:
        """A = S₀ + B·ln(odds₀_bad) where odds₀_bad = 1 / base_odds (good:bad → bad:good)."""
        return self.base_score + self.factor * math.log(1.0 / self.base_odds)

    def exact_score(self, pd: float) -> float:
        return self.offset - self.factor * math.log(pd / (1.0 - pd))

    def score_for_pd(self, pd: float) -> int:
        """The integer score of a probability of default, rounded half-up like every displayed figure."""
        return round_half_up_int(self.exact_score(pd))

    def pd_for_score(self, score: float) -> float:
        """Inverse of the scaling: PD = 1 / (1 + exp((score − A) / B))."""
        exponent = (score - self.offset) / self.factor
        if exponent > 700:  # exp overflows; the PD is 0 to double precision
            return 0.0
        return 1.0 / (1.0 + math.exp(exponent))

    def as_dict(self) -> dict[str, float]:
        return {"pdo": self.pdo, "base_score": self.base_score, "base_odds": self.base_odds}


def round_half_up_int(value: float) -> int:
    """Half-up to an integer (Python's round() is half-even); exact for the decimal shown by repr."""
    return int(Decimal(repr(float(value))).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def pd_decimal(pd: float) -> Decimal:
    """A PD as a Decimal fraction with 6 places (like every rate in the platform)."""
    return Decimal(repr(float(pd))).quantize(PD_PLACES, rounding=ROUND_HALF_UP)
