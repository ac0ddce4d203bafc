"""Regulatory rule sets as data (DOMAIN.md §4): a licence's limits, versioned, chosen by configuration.

A rule set's ``code`` is its version: every violation reports it, and a decision record keeps it. Adding
a licence or a new version of the rules is adding a `RuleSet` here and selecting it with the
``REGULATORY_RULESET`` setting — never a code change in the checks (`underwriting.regulation`).
``None`` in a field means the licence has no such rule.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal

from django.conf import settings
from django.utils.translation import gettext

from common.errors import DomainError

DEFAULT_RULE_SET = "CN_MICROLOAN_2020"


def _(message: str) -> str:
    """gettext when Django is configured; the checks are pure and also run without settings."""
    return gettext(message) if settings.configured else message


class RegulationError(DomainError):
    code = "REGULATION_ERROR"


class UnknownRuleSet(RegulationError):
    code = "UNKNOWN_RULE_SET"


class InvalidRegulationInput(RegulationError):
    """An input to a regulatory check of the wrong kind (a float rate, an unknown borrower kind …)."""

    code = "INVALID_INPUT"


@dataclass(frozen=True, slots=True)
class RuleSet:
    code: str
    source: str
    # Natural persons: balance with us + new amount ≤ min(cap, average annual income / divisor).
    natural_person_balance_cap: Decimal | None
    natural_person_income_divisor: int | None
    # Legal persons (with affiliates).
    legal_person_balance_cap: Decimal | None
    # Co-lending: our share of every co-funded loan, or the partners' share (bank rules).
    min_own_share: Decimal | None
    min_partner_share: Decimal | None
    # APR (IRR of all costs) ceiling: the default and the ones a product may select.
    apr_ceiling: Decimal
    selectable_apr_ceilings: tuple[Decimal, ...]
    max_rollovers: int | None
    upfront_deduction_allowed: bool  # 砍头息: interest or fees withheld from the amount paid out
    students_eligible: bool
    income_required: bool
    minimum_age: int
    # Partner concentration: a partner's balance ≤ its configured limit (e.g. 25% of a bank's net tier-1
    # capital), all its co-funded loans ≤ this share of its total loans; alert from this use of a limit.
    partner_capital_ratio: Decimal | None
    partner_cofunded_loans_ratio: Decimal | None
    partner_alert_ratio: Decimal


CN_MICROLOAN_2020 = RuleSet(
    code="CN_MICROLOAN_2020",
    source="网络小额贷款业务管理暂行办法（征求意见稿）, CBIRC & PBoC, 2020-11 (a draft)",
    natural_person_balance_cap=Decimal("300000.00"),
    natural_person_income_divisor=3,
    legal_person_balance_cap=Decimal("1000000.00"),
    min_own_share=Decimal("0.30"),
    min_partner_share=None,
    apr_ceiling=Decimal("0.240000"),
    selectable_apr_ceilings=(Decimal("0.240000"), Decimal("0.360000")),
    max_rollovers=2,
    upfront_deduction_allowed=False,
    students_eligible=False,
    income_required=True,
    minimum_age=18,
    partner_capital_ratio=Decimal("0.25"),
    partner_cofunded_loans_ratio=Decimal("0.50"),
    partner_alert_ratio=Decimal("0.90"),
)

CN_BANK_INTERNET_2021 = RuleSet(
    code="CN_BANK_INTERNET_2021",
    source="商业银行互联网贷款管理暂行办法 (2020) and 关于进一步规范商业银行互联网贷款业务的通知 (2021)",
    natural_person_balance_cap=Decimal("200000.00"),  # a consumer credit line per borrower
    natural_person_income_divisor=None,
    legal_person_balance_cap=None,
    min_own_share=None,
    min_partner_share=Decimal("0.30"),  # the co-operating institution funds at least 30%
    apr_ceiling=Decimal("0.240000"),
    selectable_apr_ceilings=(Decimal("0.240000"),),
    max_rollovers=None,
    upfront_deduction_allowed=False,
    students_eligible=False,
    income_required=True,
    minimum_age=18,
    partner_capital_ratio=Decimal("0.25"),
    partner_cofunded_loans_ratio=Decimal("0.50"),
    partner_alert_ratio=Decimal("0.90"),
)

# The 2024 rules as reported: the 2020 draft's limits carried over, with online consumer loans capped at
# 200,000 per borrower — the one difference is the only line that changes.
CN_MICROLOAN_2024 = replace(
    CN_MICROLOAN_2020,
    code="CN_MICROLOAN_2024",
    source=(
        "小额贷款公司监督管理暂行办法, NFRA, 2024: online consumer loans reported capped at 200,000 per borrower "
        "(not verified here); the other limits are carried over from the 2020 draft"
    ),
    natural_person_balance_cap=Decimal("200000.00"),
)

RULE_SETS: dict[str, RuleSet] = {
    rule_set.code: rule_set for rule_set in (CN_MICROLOAN_2020, CN_BANK_INTERNET_2021, CN_MICROLOAN_2024)
}


def rule_set_get(code: str | RuleSet | None = None) -> RuleSet:
    """The rule set named ``code``; None → settings.REGULATORY_RULESET (CN_MICROLOAN_2020 without Django)."""
    if isinstance(code, RuleSet):
        return code
    if code is None:
        code = getattr(settings, "REGULATORY_RULESET", DEFAULT_RULE_SET) if settings.configured else DEFAULT_RULE_SET
    try:
        return RULE_SETS[code]
    except (KeyError, TypeError):
        raise UnknownRuleSet(
            _("rule_set must be one of %(choices)s: %(value)s") % {"choices": ", ".join(RULE_SETS), "value": code},
            field="rule_set",
            value=repr(code),
        ) from None
