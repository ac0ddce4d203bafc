"""What the decision engine decides on: plain facts, no ORM, no lending import (ARCHITECTURE.md).

A facts object round-trips through JSON exactly (`to_snapshot` / `from_snapshot`), so a decision record
holds every input and the engine can replay it.
"""

from dataclasses import dataclass, field, fields
from datetime import date
from decimal import Decimal
from typing import Any


@dataclass(frozen=True)
class ProductTerms:
    """The product as the engine needs it: ranges, repayment method, price per grade, fees, funding."""

    code: str
    min_amount: Decimal
    max_amount: Decimal
    terms: tuple[int, ...]
    method: str
    rates_by_grade: dict[str, Decimal]
    day_count: str = "ACT/360"
    monthly_fee_rate: Decimal = Decimal("0")
    own_share: Decimal = Decimal("1")

    def rate_for(self, grade: str) -> Decimal | None:
        return self.rates_by_grade.get(grade)


@dataclass(frozen=True)
class ApplicationFacts:
    applicant_key: str
    application_reference: str
    decided_on: date
    product: ProductTerms
    requested_amount: Decimal
    term: int
    purpose: str
    date_of_birth: date
    is_student: bool
    employment: str
    average_annual_income: Decimal
    income_evidence: str
    monthly_debt_payments: Decimal = Decimal("0")
    outstanding_principal: Decimal = Decimal("0")
    disbursing_amount: Decimal = Decimal("0")
    max_dpd: int = 0
    is_blacklisted: bool = False
    last_rejected_on: date | None = None
    applications_last_7_days: int = 0
    applications_last_30_days: int = 0
    borrower_kind: str = "NATURAL"
    characteristics: dict[str, Any] = field(default_factory=dict)

    @property
    def has_income(self) -> bool:
        return self.average_annual_income > 0 and self.employment != "UNEMPLOYED"

    @property
    def age_in_years(self) -> int:
        on, born = self.decided_on, self.date_of_birth
        return on.year - born.year - ((on.month, on.day) < (born.month, born.day))

    @property
    def exposure_before(self) -> Decimal:
        """DOMAIN.md §4: what the borrower owes or is about to receive from us, before this loan."""
        return self.outstanding_principal + self.disbursing_amount

    def to_snapshot(self) -> dict[str, Any]:
        # Field by field rather than `dataclasses.asdict`, whose deep copies cost more than the rest.
        return {f.name: _jsonable(getattr(self, f.name)) for f in fields(self)}

    @classmethod
    def from_snapshot(cls, snapshot: dict[str, Any]) -> "ApplicationFacts":
        values = dict(snapshot)
        product = dict(values.pop("product"))
        product["rates_by_grade"] = {g: Decimal(r) for g, r in product["rates_by_grade"].items()}
        product["terms"] = tuple(product["terms"])
        for name in ("min_amount", "max_amount", "monthly_fee_rate", "own_share"):
            product[name] = Decimal(product[name])
        for f in fields(cls):
            value = values.get(f.name)
            if value is None:
                continue
            if f.type is Decimal:
                values[f.name] = Decimal(value)
            elif f.type in (date, date | None):
                values[f.name] = date.fromisoformat(value)
        return cls(product=ProductTerms(**product), **values)


def _jsonable(value: Any) -> Any:
    if isinstance(value, ProductTerms):
        return {f.name: _jsonable(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value
