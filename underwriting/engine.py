"""The decision engine: facts + policy + score → outcome, reasons and priced terms. No ORM, no I/O.

Order (DOMAIN.md §6): hard rules → scorecard grade → limit and price by grade → schedule and APR → DTI
→ the regulator's checks (`regulation.check_loan`). Every rule runs and every reason is kept; the worst
effect wins (reject > review > approve). Given the same facts, policy, score and rule set, the result is
the same — that is what makes a decision record replayable.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_DOWN, Decimal
from typing import Any

from common.money import round_half_up
from repayment.schedules import annual_percentage_rate, build_schedule

from . import regulation
from .facts import ApplicationFacts, ProductTerms
from .policy import CreditPolicy
from .reasons import INFO, REJECT, REVIEW, SEVERITY, Reason, reason_message

ENGINE_VERSION = "ENGINE_2024_1"

APPROVED = "APPROVED"
REJECTED = "REJECTED"
MANUAL_REVIEW = "MANUAL_REVIEW"
_OUTCOME_BY_EFFECT = {INFO: APPROVED, REVIEW: MANUAL_REVIEW, REJECT: REJECTED}


@dataclass(frozen=True)
class ScoreSnapshot:
    """What the scorecard said, kept in the record so that the decision is explainable from it alone."""

    score: int
    pd: Decimal
    grade: str
    version: str
    reasons: tuple[str, ...] = ()
    variant: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "score": self.score,
            "pd": str(self.pd),
            "grade": self.grade,
            "version": self.version,
            "reasons": list(self.reasons),
            "variant": self.variant,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "ScoreSnapshot":
        return cls(
            score=int(data["score"]),
            pd=Decimal(data["pd"]),
            grade=data["grade"],
            version=data["version"],
            reasons=tuple(data.get("reasons") or ()),
            variant=data.get("variant"),
        )


@dataclass(frozen=True)
class Installment:
    number: int
    due_date: str
    principal: Decimal
    interest: Decimal
    fee: Decimal
    payment: Decimal

    def as_dict(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "due_date": self.due_date,
            "principal": str(self.principal),
            "interest": str(self.interest),
            "fee": str(self.fee),
            "payment": str(self.payment),
        }


@dataclass(frozen=True)
class PricedTerms:
    amount: Decimal
    annual_rate: Decimal
    apr: Decimal
    term: int
    method: str
    monthly_fee: Decimal
    installments: tuple[Installment, ...]
    total_interest: Decimal
    total_fee: Decimal

    @property
    def total_cost(self) -> Decimal:
        return self.total_interest + self.total_fee

    @property
    def total_repayment(self) -> Decimal:
        return self.amount + self.total_cost

    @property
    def monthly_burden(self) -> Decimal:
        """The payment the DTI rule weighs: the largest regular installment, or the average for balloon methods."""
        if self.method in ("EQUAL_INSTALLMENT", "EQUAL_PRINCIPAL"):
            return max(i.payment for i in self.installments)
        return round_half_up(self.total_repayment / self.term)


@dataclass(frozen=True)
class Evaluation:
    outcome: str
    reasons: tuple[Reason, ...]
    grade: str
    score: ScoreSnapshot
    terms: PricedTerms | None
    debt_to_income: Decimal | None
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def approved_amount(self) -> Decimal | None:
        return self.terms.amount if self.terms and self.outcome != REJECTED else None


def price(*, amount: Decimal, annual_rate: Decimal, term: int, product: ProductTerms, start_on: date) -> PricedTerms:
    """Schedule and APR for an amount — also used by the borrower's live preview."""
    schedule = build_schedule(
        principal=amount,
        annual_rate=annual_rate,
        term=term,
        method=product.method,
        disbursed_on=start_on,
        first_due_on=None,
        day_count=product.day_count,
    )
    monthly_fee = round_half_up(amount * product.monthly_fee_rate)
    installments = []
    payments_by_month = [Decimal("0.00")] * term
    previous_month = 0
    for i in schedule.installments:
        month = _months_between(start_on, i.due_date)
        # The fee is monthly: an installment covering several months (bullet) carries each month's fee.
        fee = monthly_fee * (month - previous_month)
        previous_month = month
        installments.append(
            Installment(
                number=i.number,
                due_date=i.due_date.isoformat(),
                principal=i.principal,
                interest=i.interest,
                fee=fee,
                payment=i.payment + fee,
            )
        )
        payments_by_month[month - 1] += i.payment + fee
    # 141号文: the APR is the IRR of what the borrower really receives and pays, fees included, each
    # payment in the month it falls due (a bullet loan pays nothing in the months before maturity).
    apr = annual_percentage_rate(amount_received=amount, payments=payments_by_month, periods_per_year=12)
    return PricedTerms(
        amount=amount,
        annual_rate=annual_rate,
        apr=apr,
        term=term,
        method=product.method,
        monthly_fee=monthly_fee,
        installments=tuple(installments),
        total_interest=schedule.total_interest,
        total_fee=monthly_fee * term,
    )


def _months_between(start: date, due: date) -> int:
    return (due.year - start.year) * 12 + due.month - start.month


def evaluate(
    *,
    facts: ApplicationFacts,
    policy: CreditPolicy,
    score: ScoreSnapshot,
    rule_set: str,
    check_loan: Callable[..., list] | None = None,
) -> Evaluation:
    reasons: list[Reason] = list(_hard_rules(facts, policy))
    reasons += _score_rules(score, policy)
    product = facts.product

    annual_rate = product.rate_for(score.grade) or max(product.rates_by_grade.values())
    grade_limit = _grade_limit(product.max_amount, policy, score.grade)
    amount = min(facts.requested_amount, grade_limit)
    if amount < facts.requested_amount:
        if amount < product.min_amount:
            reasons.append(_reason("POL_GRADE_LIMIT", REJECT, policy.version, limit=grade_limit, actual=amount))
            amount = facts.requested_amount
        else:
            reasons.append(
                _reason("POL_AMOUNT_REDUCED", INFO, policy.version, limit=amount, actual=facts.requested_amount)
            )

    terms = price(amount=amount, annual_rate=annual_rate, term=facts.term, product=product, start_on=facts.decided_on)

    debt_to_income = None
    if facts.has_income:
        monthly_income = facts.average_annual_income / 12
        debt_to_income = ((facts.monthly_debt_payments + terms.monthly_burden) / monthly_income).quantize(
            Decimal("0.0001"), rounding=ROUND_DOWN
        )
        if debt_to_income > policy.max_debt_to_income:
            reasons.append(
                _reason(
                    "POL_DEBT_TO_INCOME", REJECT, policy.version, limit=policy.max_debt_to_income, actual=debt_to_income
                )
            )

    violations = (check_loan or regulation.check_loan)(
        borrower_kind=facts.borrower_kind,
        requested_amount=amount,
        outstanding_balance=facts.exposure_before,
        average_annual_income=facts.average_annual_income,
        apr=terms.apr,
        own_share=product.own_share,
        upfront_deduction=Decimal("0"),
        rollovers=0,
        is_student=facts.is_student,
        has_income=facts.has_income,
        age_in_years=facts.age_in_years,
        rule_set=rule_set,
    )
    reasons += [
        _reason(v.code, REJECT, v.rule_set, limit=v.limit, actual=v.actual, fallback=getattr(v, "message", ""))
        for v in violations
    ]

    worst = max((SEVERITY[r.effect] for r in reasons), default=0)
    outcome = next(o for effect, o in _OUTCOME_BY_EFFECT.items() if SEVERITY[effect] == worst)
    return Evaluation(
        outcome=outcome,
        reasons=tuple(reasons),
        grade=score.grade,
        score=score,
        terms=terms,
        debt_to_income=debt_to_income,
        extras={"grade_limit": str(grade_limit), "rule_set": rule_set},
    )


def _hard_rules(facts: ApplicationFacts, policy: CreditPolicy):
    version = policy.version
    age = facts.age_in_years
    if age < policy.min_age or age > policy.max_age:
        yield _reason("POL_AGE", REJECT, version, limit=f"{policy.min_age}-{policy.max_age}", actual=age)
    if facts.is_student:
        yield _reason("POL_STUDENT", REJECT, version, actual=True)
    if not facts.has_income:
        yield _reason("POL_NO_INCOME", REJECT, version, actual=str(facts.average_annual_income))
    if facts.is_blacklisted:
        yield _reason("POL_BLACKLIST", REJECT, version, actual=True)
    if facts.last_rejected_on is not None:
        days = (facts.decided_on - facts.last_rejected_on).days
        if days < policy.cool_down_days:
            yield _reason("POL_COOL_DOWN", REJECT, version, limit=policy.cool_down_days, actual=days)
    if facts.max_dpd > 0:
        yield _reason("POL_EXISTING_DPD", REJECT, version, limit=0, actual=facts.max_dpd)
    if facts.applications_last_7_days >= policy.max_applications_7_days:
        yield _reason(
            "POL_APPLICATIONS_7_DAYS",
            REJECT,
            version,
            limit=policy.max_applications_7_days,
            actual=facts.applications_last_7_days + 1,
        )
    if facts.applications_last_30_days >= policy.max_applications_30_days:
        yield _reason(
            "POL_APPLICATIONS_30_DAYS",
            REJECT,
            version,
            limit=policy.max_applications_30_days,
            actual=facts.applications_last_30_days + 1,
        )
    product = facts.product
    if not (product.min_amount <= facts.requested_amount <= product.max_amount) or facts.term not in product.terms:
        yield _reason("POL_PRODUCT_TERMS", REJECT, version, actual=f"{facts.requested_amount}/{facts.term}")
    if facts.income_evidence == "SELF_DECLARED" and facts.average_annual_income > policy.unverified_income_review_above:
        yield _reason(
            "POL_INCOME_UNVERIFIED",
            REVIEW,
            version,
            limit=policy.unverified_income_review_above,
            actual=facts.average_annual_income,
        )


def _score_rules(score: ScoreSnapshot, policy: CreditPolicy):
    if score.grade in policy.reject_grades:
        yield _reason("POL_SCORE_REJECT", REJECT, policy.version, limit=score.grade, actual=score.score)
    elif score.grade in policy.review_grades:
        yield _reason("POL_SCORE_REVIEW", REVIEW, policy.version, limit=score.grade, actual=score.score)


def _grade_limit(product_max: Decimal, policy: CreditPolicy, grade: str) -> Decimal:
    factor = policy.limit_factor_by_grade.get(grade, Decimal("0"))
    # Round down to whole hundreds: a limit is a figure people read.
    return ((product_max * factor / 100).quantize(Decimal("1"), rounding=ROUND_DOWN) * 100).quantize(Decimal("0.01"))


def _reason(
    code: str, effect: str, rule_set: str, *, limit: Any = None, actual: Any = None, fallback: str = ""
) -> Reason:
    from django.utils import translation

    with translation.override("en"):
        message = reason_message(code, limit=limit, actual=actual, fallback=fallback)
    return Reason(
        code=code, effect=effect, rule_set=rule_set, limit=_plain(limit), actual=_plain(actual), message=message
    )


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    return value
