"""Reason codes and the words a borrower or an officer reads for each (translated at display time).

A decision stores codes with their limit and actual figures; the message is rendered in the reader's
language from the code, so a record made in Chinese reads in English too.
"""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _

REJECT = "REJECT"
REVIEW = "REVIEW"
INFO = "INFO"
# Worst result wins: reject > review > pass.
SEVERITY = {INFO: 0, REVIEW: 1, REJECT: 2}

MESSAGES = {
    "POL_AGE": _("The applicant's age ({actual}) is outside the range we lend to ({limit})."),
    "POL_STUDENT": _("We do not lend to students."),
    "POL_NO_INCOME": _("We can lend only to applicants with a source of income."),
    "POL_BLACKLIST": _("We cannot lend to this applicant."),
    "POL_DEBT_TO_INCOME": _("Monthly repayments would be {actual} of income, above the {limit} we allow."),
    "POL_COOL_DOWN": _(
        "An application was declined {actual} days ago; please wait {limit} days before applying again."
    ),
    "POL_EXISTING_DPD": _("An existing loan is {actual} days past due."),
    "POL_APPLICATIONS_7_DAYS": _("Too many applications in the last 7 days ({actual}; at most {limit})."),
    "POL_APPLICATIONS_30_DAYS": _("Too many applications in the last 30 days ({actual}; at most {limit})."),
    "POL_SCORE_REJECT": _("The credit score ({actual}) is below what this product requires."),
    "POL_SCORE_REVIEW": _("The credit score ({actual}) needs a credit officer's review."),
    "POL_INCOME_UNVERIFIED": _("A self-declared income of {actual} needs a credit officer to check the evidence."),
    "POL_AMOUNT_REDUCED": _("The amount was reduced to {limit}, the most this credit grade may borrow."),
    "POL_GRADE_LIMIT": _("This credit grade may borrow at most {limit}, below the product's minimum."),
    "POL_PRODUCT_TERMS": _("The amount or term is outside what the product offers."),
    "REG_NP_BALANCE_CAP": _(
        "Your balance with us plus this loan ({actual}) would exceed the legal limit of {limit} "
        "(the lower of 300,000 and a third of your average annual income)."
    ),
    "REG_LP_BALANCE_CAP": _("The balance with us plus this loan ({actual}) would exceed the legal limit of {limit}."),
    "REG_COFUND_RATIO": _("Our own share of the loan ({actual}) would be below the required {limit}."),
    "REG_PARTNER_CONCENTRATION": _("A funding partner's balance ({actual}) would exceed its limit of {limit}."),
    "REG_APR_CEILING": _("The annual percentage rate ({actual}) would exceed the ceiling of {limit}."),
    "REG_UPFRONT_DEDUCTION": _("Nothing may be deducted from the amount paid out ({actual} deducted)."),
    "REG_ROLLOVER_LIMIT": _("A loan may be rolled over at most {limit} times."),
    "REG_INELIGIBLE_BORROWER": _("Students and applicants without a source of income cannot borrow."),
}


@dataclass(frozen=True)
class Reason:
    code: str
    effect: str
    rule_set: str
    limit: Any = None
    actual: Any = None
    message: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "effect": self.effect,
            "rule_set": self.rule_set,
            "limit": _plain(self.limit),
            "actual": _plain(self.actual),
            "message": self.message,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Reason":
        return cls(
            code=data["code"],
            effect=data["effect"],
            rule_set=data["rule_set"],
            limit=data.get("limit"),
            actual=data.get("actual"),
            message=data.get("message", ""),
        )


def reason_message(code: str, *, limit: Any = None, actual: Any = None, fallback: str = "") -> str:
    """The reason in the active language; an unknown code keeps the text it was recorded with."""
    template = MESSAGES.get(code)
    if template is None:
        return fallback or code
    return str(template).format(limit=_display(limit), actual=_display(actual))


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    return value


def _display(value: Any) -> str:
    if value is None:
        return ""
    return str(value)
