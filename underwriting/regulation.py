"""Regulatory checks (DOMAIN.md §4): every rule of the rule set runs and every violation is reported.

Pure functions over plain facts — no ORM, so underwriting (at decision) and lending (again at accept and
disbursement, under the borrower's lock) run the very same checks:

- `check_loan` — balance caps, co-funding share, APR ceiling, no 砍头息, rollovers, eligibility;
- `check_cofunding` — "own share ≥ 30%" on the funded amounts (ours rounded up to the fen);
- `check_partner_concentration` / `partner_concentration_status` — a partner's limits, alert at 90%;
- `apr_ceiling` / `penalty_rate` — the rule set's ceiling and the penalty rate capped by it.

Each `Violation` carries ``code``, ``limit``, ``actual`` and the rule set's version (``rule_set``), plus a
human ``message``. The rule set comes from ``REGULATORY_RULESET`` unless one is passed.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_DOWN, ROUND_HALF_UP, Decimal, InvalidOperation

from common.money import CENT, money

from .rulesets import InvalidRegulationInput, RuleSet, _, rule_set_get

NATURAL = "NATURAL"
LEGAL = "LEGAL"
BORROWER_KINDS = (NATURAL, LEGAL)

REG_NP_BALANCE_CAP = "REG_NP_BALANCE_CAP"
REG_LP_BALANCE_CAP = "REG_LP_BALANCE_CAP"
REG_COFUND_RATIO = "REG_COFUND_RATIO"
REG_PARTNER_CONCENTRATION = "REG_PARTNER_CONCENTRATION"
REG_APR_CEILING = "REG_APR_CEILING"
REG_UPFRONT_DEDUCTION = "REG_UPFRONT_DEDUCTION"
REG_ROLLOVER_LIMIT = "REG_ROLLOVER_LIMIT"
REG_INELIGIBLE_BORROWER = "REG_INELIGIBLE_BORROWER"

RATE_PLACES = Decimal("0.000001")
ZERO = Decimal("0.00")
ONE = Decimal(1)


@dataclass(frozen=True, slots=True)
class Violation:
    """One broken rule: what the limit is, what the loan had, under which rule-set version."""

    code: str
    limit: Decimal | int | None
    actual: Decimal | int | str | None
    rule_set: str
    message: str = ""


@dataclass(frozen=True, slots=True)
class ConcentrationStatus:
    """A partner's use of its limits after a new loan: ``utilisation`` of the tightest limit (4 places),
    ``alert`` from the rule set's alert ratio (90%) while still within it, and any violations."""

    partner_code: str
    utilisation: Decimal | None
    alert: bool
    violations: tuple[Violation, ...]


def apr_ceiling(*, rule_set: str | RuleSet | None = None, selected: Decimal | None = None) -> Decimal:
    """The APR ceiling: the rule set's default, or ``selected`` if it is one the rule set allows (24% or 36%)."""
    rules = rule_set_get(rule_set)
    if selected is None:
        return rules.apr_ceiling
    chosen = _rate(selected, field="apr_ceiling")
    if chosen not in rules.selectable_apr_ceilings:
        raise InvalidRegulationInput(
            _("%(field)s must be one of %(choices)s under %(rule_set)s: %(value)s")
            % {
                "field": "apr_ceiling",
                "choices": ", ".join(str(c) for c in rules.selectable_apr_ceilings),
                "rule_set": rules.code,
                "value": selected,
            },
            field="apr_ceiling",
        )
    return chosen


def penalty_rate(
    *,
    annual_rate: Decimal,
    multiplier: Decimal,
    rule_set: str | RuleSet | None = None,
    selected_apr_ceiling: Decimal | None = None,
) -> Decimal:
    """min(annual_rate × multiplier, APR ceiling), half-up to six places: 18% × 1.5 → 27% under a 36%
    ceiling, 24% under the default ceiling (the cap binds)."""
    ceiling = apr_ceiling(rule_set=rule_set, selected=selected_apr_ceiling)
    uncapped = (_rate(annual_rate, field="annual_rate") * _non_negative(multiplier, field="multiplier")).quantize(
        RATE_PLACES, rounding=ROUND_HALF_UP
    )
    return min(uncapped, ceiling)


def check_loan(
    *,
    borrower_kind: str,
    requested_amount: Decimal,
    outstanding_balance: Decimal,
    apr: Decimal,
    average_annual_income: Decimal | None = None,
    own_share: Decimal = ONE,
    upfront_deduction: Decimal = ZERO,
    rollovers: int = 0,
    is_student: bool = False,
    has_income: bool = True,
    age_in_years: int | None = None,
    selected_apr_ceiling: Decimal | None = None,
    rule_set: str | RuleSet | None = None,
) -> list[Violation]:
    """Every violation of the rule set by this loan — all of them, in the order of DOMAIN.md §4.

    ``outstanding_balance`` is the borrower's exposure before this loan: outstanding principal with us
    plus offers accepted and still disbursing (and, for a legal person, its affiliates'). The APR passes
    when, rounded half-up to six places, it is at most the ceiling. An ``own_share`` below 1 means the
    loan is co-funded. Income is needed for natural persons when the rule set caps by income.
    """
    rules = rule_set_get(rule_set)
    if borrower_kind not in BORROWER_KINDS:
        raise InvalidRegulationInput(
            _("%(field)s must be one of %(choices)s: %(value)s")
            % {"field": "borrower_kind", "choices": ", ".join(BORROWER_KINDS), "value": borrower_kind},
            field="borrower_kind",
        )
    requested = money(requested_amount, field="requested_amount")
    exposure = money(outstanding_balance, field="outstanding_balance", allow_zero=True) + requested
    violations: list[Violation] = []

    def violate(code: str, limit, actual, message: str) -> None:
        violations.append(Violation(code=code, limit=limit, actual=actual, rule_set=rules.code, message=message))

    if borrower_kind == NATURAL:
        cap = _natural_person_cap(rules, average_annual_income)
        if cap is not None and exposure > cap:
            violate(
                REG_NP_BALANCE_CAP,
                cap,
                exposure,
                _("The borrower's balance with this loan would exceed the cap for individuals."),
            )
    elif rules.legal_person_balance_cap is not None and exposure > rules.legal_person_balance_cap:
        violate(
            REG_LP_BALANCE_CAP,
            rules.legal_person_balance_cap,
            exposure,
            _("The company's balance with this loan would exceed the cap for legal persons."),
        )

    share = _share(own_share, field="own_share")
    if share < ONE:
        if rules.min_own_share is not None and share < rules.min_own_share:
            violate(REG_COFUND_RATIO, rules.min_own_share, share, _("Our own share of a co-funded loan is too low."))
        if rules.min_partner_share is not None and ONE - share < rules.min_partner_share:
            violate(
                REG_COFUND_RATIO, rules.min_partner_share, ONE - share, _("The partner's share of the loan is too low.")
            )

    ceiling = apr_ceiling(rule_set=rules, selected=selected_apr_ceiling)
    rounded_apr = _apr(apr).quantize(RATE_PLACES, rounding=ROUND_HALF_UP)
    if rounded_apr > ceiling:
        violate(REG_APR_CEILING, ceiling, rounded_apr, _("The APR of all costs is above the ceiling."))

    deducted = money(upfront_deduction, field="upfront_deduction", allow_zero=True)
    if deducted > 0 and not rules.upfront_deduction_allowed:
        violate(
            REG_UPFRONT_DEDUCTION,
            ZERO,
            deducted,
            _("Interest or fees may not be withheld from the amount paid out."),
        )

    rollovers = _count(rollovers, field="rollovers")
    if rules.max_rollovers is not None and rollovers > rules.max_rollovers:
        violate(REG_ROLLOVER_LIMIT, rules.max_rollovers, rollovers, _("The loan has been rolled over too often."))

    if borrower_kind == NATURAL:
        if is_student and not rules.students_eligible:
            violate(REG_INELIGIBLE_BORROWER, None, "STUDENT", _("Loans to students are not allowed."))
        if not has_income and rules.income_required:
            violate(REG_INELIGIBLE_BORROWER, None, "NO_INCOME", _("The borrower has no source of income."))
        if age_in_years is not None and _count(age_in_years, field="age_in_years") < rules.minimum_age:
            violate(REG_INELIGIBLE_BORROWER, rules.minimum_age, age_in_years, _("The borrower is not an adult."))
    return violations


def check_cofunding(
    *, principal: Decimal, own_amount: Decimal, rule_set: str | RuleSet | None = None
) -> list[Violation]:
    """ "Own share ≥ 30%" (or the partners' share, under bank rules) checked on the funded amounts.

    Limits are amounts: the least we (or the partners) must fund, rounded up to the fen.
    """
    rules = rule_set_get(rule_set)
    principal = money(principal, field="principal")
    own = money(own_amount, field="own_amount", allow_zero=True)
    if own > principal:
        raise InvalidRegulationInput(
            _("%(field)s is more than the principal") % {"field": "own_amount"}, field="own_amount"
        )
    violations = []
    if own < principal and rules.min_own_share is not None and own < principal * rules.min_own_share:
        least = (principal * rules.min_own_share).quantize(CENT, rounding=ROUND_CEILING)
        violations.append(
            Violation(REG_COFUND_RATIO, least, own, rules.code, _("Our own share of a co-funded loan is too low."))
        )
    partners = principal - own
    if 0 < partners < principal * (rules.min_partner_share or 0):
        least = (principal * rules.min_partner_share).quantize(CENT, rounding=ROUND_CEILING)
        violations.append(
            Violation(REG_COFUND_RATIO, least, partners, rules.code, _("The partner's share of the loan is too low."))
        )
    return violations


def partner_limit_from_capital(*, net_tier1_capital: Decimal, rule_set: str | RuleSet | None = None) -> Decimal:
    """A bank partner's concentration limit: the rule set's share (25%) of its net tier-1 capital, to the fen down."""
    rules = rule_set_get(rule_set)
    capital = money(net_tier1_capital, field="net_tier1_capital")
    if rules.partner_capital_ratio is None:
        raise InvalidRegulationInput(
            _("%(rule_set)s sets no capital-based partner limit") % {"rule_set": rules.code}, field="rule_set"
        )
    return (capital * rules.partner_capital_ratio).quantize(CENT, rounding=ROUND_DOWN)


def partner_concentration_status(
    *,
    partner_code: str,
    current_balance: Decimal,
    new_amount: Decimal,
    limit: Decimal | None,
    cofunded_loans_total: Decimal | None = None,
    partner_total_loans: Decimal | None = None,
    rule_set: str | RuleSet | None = None,
) -> ConcentrationStatus:
    """A partner's limits after funding ``new_amount``: its balance with us ≤ ``limit`` (its configured
    limit) and, when the partner's books are given, its co-funded loans ≤ 50% of its total loans.
    ``alert`` is set from 90% of a limit on (the treasury tops up or re-balances before it binds)."""
    rules = rule_set_get(rule_set)
    new = money(new_amount, field="new_amount", allow_zero=True)
    pairs = []  # (limit, actual after this loan)
    if limit is not None:
        pairs.append(
            (money(limit, field="limit"), money(current_balance, field="current_balance", allow_zero=True) + new)
        )
    if cofunded_loans_total is not None and partner_total_loans is not None and rules.partner_cofunded_loans_ratio:
        total = money(partner_total_loans, field="partner_total_loans")
        pairs.append(
            (
                (total * rules.partner_cofunded_loans_ratio).quantize(CENT, rounding=ROUND_DOWN),
                money(cofunded_loans_total, field="cofunded_loans_total", allow_zero=True) + new,
            )
        )
    violations = tuple(
        Violation(
            REG_PARTNER_CONCENTRATION,
            cap,
            actual,
            rules.code,
            _("The funding partner's concentration limit would be exceeded."),
        )
        for cap, actual in pairs
        if actual > cap
    )
    utilisation = max((actual / cap for cap, actual in pairs), default=None)
    alert = bool(not violations and utilisation is not None and utilisation >= rules.partner_alert_ratio)
    return ConcentrationStatus(
        partner_code=partner_code,
        utilisation=utilisation.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
        if utilisation is not None
        else None,
        alert=alert,
        violations=violations,
    )


def check_partner_concentration(
    *,
    partner_code: str,
    current_balance: Decimal,
    new_amount: Decimal,
    limit: Decimal | None,
    cofunded_loans_total: Decimal | None = None,
    partner_total_loans: Decimal | None = None,
    rule_set: str | RuleSet | None = None,
) -> list[Violation]:
    """The violations of `partner_concentration_status`, as a list to add to `check_loan`'s."""
    status = partner_concentration_status(
        partner_code=partner_code,
        current_balance=current_balance,
        new_amount=new_amount,
        limit=limit,
        cofunded_loans_total=cofunded_loans_total,
        partner_total_loans=partner_total_loans,
        rule_set=rule_set,
    )
    return list(status.violations)


def _natural_person_cap(rules: RuleSet, average_annual_income: Decimal | None) -> Decimal | None:
    caps = []
    if rules.natural_person_balance_cap is not None:
        caps.append(rules.natural_person_balance_cap)
    if rules.natural_person_income_divisor is not None:
        if average_annual_income is None:
            raise InvalidRegulationInput(
                _("%(field)s is required for individuals under %(rule_set)s")
                % {"field": "average_annual_income", "rule_set": rules.code},
                field="average_annual_income",
            )
        income = money(average_annual_income, field="average_annual_income", allow_zero=True)
        # Down to the fen: a cap of ⅓ income must not be exceeded by rounding (66,666.666… → 66,666.66).
        caps.append((income / rules.natural_person_income_divisor).quantize(CENT, rounding=ROUND_DOWN))
    return min(caps, default=None)


def _decimal(value: object, *, field: str) -> Decimal:
    if isinstance(value, bool | float) or not isinstance(value, Decimal | int | str):
        raise InvalidRegulationInput(
            _("%(field)s must be a decimal string or Decimal, not %(kind)s")
            % {"field": field, "kind": type(value).__name__},
            field=field,
        )
    try:
        number = Decimal(value)
    except InvalidOperation as exc:
        raise InvalidRegulationInput(_("%(field)s is not a number") % {"field": field}, field=field) from exc
    if not number.is_finite():
        raise InvalidRegulationInput(_("%(field)s is not a number") % {"field": field}, field=field)
    return number


def _rate(value: object, *, field: str) -> Decimal:
    number = _decimal(value, field=field)
    if not 0 <= number < 1:
        raise InvalidRegulationInput(
            _("%(field)s must be at least 0 and below 1: %(value)s") % {"field": field, "value": value}, field=field
        )
    return number


def _apr(value: object) -> Decimal:
    """An APR may exceed 100% (that is what the check is for), but it is never a float."""
    return _decimal(value, field="apr")


def _share(value: object, *, field: str) -> Decimal:
    number = _decimal(value, field=field)
    if not 0 <= number <= 1:
        raise InvalidRegulationInput(
            _("%(field)s must be between 0 and 1: %(value)s") % {"field": field, "value": value}, field=field
        )
    return number


def _non_negative(value: object, *, field: str) -> Decimal:
    number = _decimal(value, field=field)
    if number < 0:
        raise InvalidRegulationInput(_("%(field)s must not be negative") % {"field": field}, field=field)
    return number


def _count(value: object, *, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidRegulationInput(_("%(field)s must be a whole number") % {"field": field}, field=field)
    return value
