"""Credit policy: versioned sets of hard rules and grade tables (the lender's own rules, not the law's).

The law's rules (caps, APR ceiling, co-funding) live in `underwriting.regulation` / `rulesets`; these are
the credit policy a risk committee changes. A policy is never edited in place: a change is a new version,
so that every decision record names the exact policy it was made under and can be replayed.

Champion/challenger: a stable hash of the applicant picks the variant, so one applicant always meets the
same policy while the experiment runs.
"""

import hashlib
from dataclasses import dataclass, field
from decimal import Decimal

GRADES = ("A", "B", "C", "D", "E")


@dataclass(frozen=True)
class CreditPolicy:
    version: str
    min_age: int = 18
    max_age: int = 60
    max_debt_to_income: Decimal = Decimal("0.50")
    cool_down_days: int = 7
    # Prior applications (not counting this one) that make one more "too many".
    max_applications_7_days: int = 3
    max_applications_30_days: int = 6
    reject_grades: frozenset[str] = frozenset({"E"})
    review_grades: frozenset[str] = frozenset({"D"})
    # A self-declared income above this asks for a person to look at the evidence.
    unverified_income_review_above: Decimal = Decimal("200000")
    # The largest amount a grade may borrow, as a fraction of the product's maximum.
    limit_factor_by_grade: dict[str, Decimal] = field(
        default_factory=lambda: {"A": Decimal("1"), "B": Decimal("0.8"), "C": Decimal("0.5"), "D": Decimal("0.3")}
    )


@dataclass(frozen=True)
class Experiment:
    name: str
    champion: str
    challenger: str
    challenger_percent: int

    def variant_for(self, applicant_key: str) -> str:
        bucket = int(hashlib.sha256(f"{self.name}:{applicant_key}".encode()).hexdigest()[:8], 16) % 100
        return "CHALLENGER" if bucket < self.challenger_percent else "CHAMPION"

    def policy_for(self, applicant_key: str) -> tuple[str, CreditPolicy]:
        variant = self.variant_for(applicant_key)
        return variant, POLICIES[self.challenger if variant == "CHALLENGER" else self.champion]


POLICIES: dict[str, CreditPolicy] = {
    policy.version: policy
    for policy in (
        CreditPolicy(version="CREDIT_POLICY_2024_V1"),
        # The challenger lets grade D through to the review queue at a tighter DTI, to learn whether
        # officers approve enough of them to be worth it.
        CreditPolicy(
            version="CREDIT_POLICY_2024_V2",
            max_debt_to_income=Decimal("0.45"),
            limit_factor_by_grade={"A": Decimal("1"), "B": Decimal("0.8"), "C": Decimal("0.6"), "D": Decimal("0.3")},
        ),
    )
}

ACTIVE_EXPERIMENT = Experiment(
    name="POLICY_2024_Q4",
    champion="CREDIT_POLICY_2024_V1",
    challenger="CREDIT_POLICY_2024_V2",
    challenger_percent=20,
)


def policy_by_version(version: str) -> CreditPolicy:
    return POLICIES[version]
