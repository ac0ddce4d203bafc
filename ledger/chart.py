"""The chart of accounts (DOMAIN.md §8) and account keys — pure data, no ORM.

An account key is a chart code (``"1012"``) or a chart code with a sub-account (``"1012.BANK_SIM"``,
``"2241.ICBC"``). A sub-account takes its normal side, its overdraft rule and its hotness from its chart
code; it is created the first time a journal touches it.

Hot accounts are the platform-wide ones that every payment, collection or accrual touches. Their postings
are appended without locking or updating the account row, and their balance is derived (checkpoint + the
entries since); they therefore cannot refuse an overdraft, which needs a lock — so a hot account always
may go negative. The accounts that must never go negative are kept cold: locked in id order, checked, and
their cached balance updated in the posting transaction.
"""

import re
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

from django.utils.translation import gettext_lazy as _

from .exceptions import UnknownAccount


class Side(StrEnum):
    DEBIT = "DEBIT"
    CREDIT = "CREDIT"


@dataclass(frozen=True, slots=True)
class ChartAccount:
    code: str
    name: str
    normal_side: Side
    may_go_negative: bool
    is_hot: bool

    def __post_init__(self) -> None:
        # A hot account takes postings without a lock, so nothing could stop it going negative.
        if self.is_hot and not self.may_go_negative:
            raise ValueError(f"hot account {self.code} must be allowed to go negative")


@dataclass(frozen=True, slots=True)
class AccountSpec:
    """What the database needs to create an account the first time a journal touches it."""

    key: str
    code: str
    sub: str
    name: str
    normal_side: Side
    may_go_negative: bool
    is_hot: bool


D, C = Side.DEBIT, Side.CREDIT
CHART: dict[str, ChartAccount] = {
    account.code: account
    for account in (
        # code, name, normal side, may go negative, hot
        ChartAccount("1002", "Bank deposits (own funds)", D, True, True),
        ChartAccount("1012", "Cash in transit / channel clearing", D, True, True),
        ChartAccount("1132", "Interest receivable", D, True, True),
        ChartAccount("1134", "Penalty receivable", D, True, True),
        ChartAccount("1303", "Loans receivable — principal", D, True, True),
        ChartAccount("1304", "Loan-loss allowance", C, True, False),
        ChartAccount("1901", "Suspense — short (短款)", D, False, False),
        ChartAccount("2202", "Borrower overpayments", C, False, False),
        ChartAccount("2241", "Payable to funding partners", C, True, True),
        ChartAccount("2902", "Suspense — long (长款)", C, False, False),
        ChartAccount("6011", "Interest income", C, True, True),
        ChartAccount("6021", "Fee income", C, True, True),
        ChartAccount("6051", "Penalty income", C, True, True),
        ChartAccount("6421", "Channel fees", D, True, True),
        ChartAccount("6701", "Credit impairment loss", D, True, False),
    )
}

# The account names above, for the translation catalog (makemessages reads literal strings only).
CHART_NAMES = {
    "1002": _("Bank deposits (own funds)"),
    "1012": _("Cash in transit / channel clearing"),
    "1132": _("Interest receivable"),
    "1134": _("Penalty receivable"),
    "1303": _("Loans receivable — principal"),
    "1304": _("Loan-loss allowance"),
    "1901": _("Suspense — short (短款)"),
    "2202": _("Borrower overpayments"),
    "2241": _("Payable to funding partners"),
    "2902": _("Suspense — long (长款)"),
    "6011": _("Interest income"),
    "6021": _("Fee income"),
    "6051": _("Penalty income"),
    "6421": _("Channel fees"),
    "6701": _("Credit impairment loss"),
}

ACCOUNT_KEY = re.compile(r"^(?P<code>\d{4})(?:\.(?P<sub>[A-Za-z0-9_-]{1,48}))?$")
MAX_KEY_LENGTH = 53


@lru_cache(maxsize=4096)
def account_spec(key: str) -> AccountSpec:
    """The chart entry behind an account key; refuses a malformed key or a code outside the chart."""
    match = ACCOUNT_KEY.match(key) if isinstance(key, str) else None
    if match is None:
        raise UnknownAccount(f"not an account key (CODE or CODE.SUB): {key!r}", account=str(key))
    chart = CHART.get(match["code"])
    if chart is None:
        raise UnknownAccount(f"account code {match['code']} is not in the chart", account=key)
    sub = match["sub"] or ""
    return AccountSpec(
        key=key,
        code=chart.code,
        sub=sub,
        name=f"{chart.name} · {sub}" if sub else chart.name,
        normal_side=chart.normal_side,
        may_go_negative=chart.may_go_negative,
        is_hot=chart.is_hot,
    )


def account_display_name(*, code: str, sub: str) -> str:
    """The account's name in the reader's language."""
    name = str(CHART_NAMES.get(code, code))
    return f"{name} · {sub}" if sub else name
