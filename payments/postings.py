"""The journals the payment core posts itself (DOMAIN.md §8, ADR 0001) — pure, no ORM.

Per channel the clearing account is the sub-account "1012.<CHANNEL>", so each channel's money in transit
can be read on its own; suspense is kept per channel the same way ("1901.<CHANNEL>", "2902.<CHANNEL>").
The loan-side legs (Dr 1303 + 2241 / Cr 1012 on a successful payout, Dr 1012 / Cr 1303 … on a successful
collection) belong to repayment's services, not here.
"""

from decimal import Decimal

from ledger.journals import JournalLine

BANK_DEPOSITS = "1002"
CHANNEL_FEES = "6421"
SUSPENSE_SHORT = "1901"  # 短款: money we recorded as moved that the channel did not move (debit side)
SUSPENSE_LONG = "2902"  # 长款: money the channel moved that we did not record (credit side)


def clearing_account(channel: str) -> str:
    return f"1012.{channel}"


def suspense_account(*, channel: str, side: str) -> str:
    """The suspense sub-account of a side ("SHORT" → 1901, "LONG" → 2902) for a channel."""
    return f"{SUSPENSE_SHORT if side == 'SHORT' else SUSPENSE_LONG}.{channel}"


def _transfer(*, debit: str, credit: str, amount: Decimal) -> list[JournalLine]:
    return [JournalLine(account=debit, debit=amount), JournalLine(account=credit, credit=amount)]


def payout_submitted(*, channel: str, amount: Decimal) -> list[JournalLine]:
    """The money leaves our account for the channel: Dr 1012 / Cr 1002."""
    return _transfer(debit=clearing_account(channel), credit=BANK_DEPOSITS, amount=amount)


def payout_returned(*, channel: str, amount: Decimal) -> list[JournalLine]:
    """A payout failed, or was returned after success: the money comes back, Dr 1002 / Cr 1012."""
    return _transfer(debit=BANK_DEPOSITS, credit=clearing_account(channel), amount=amount)


def collection_clawed_back(*, channel: str, amount: Decimal) -> list[JournalLine]:
    """A collection reversed after success: the channel takes the money back, Dr 1012 / Cr 1002."""
    return _transfer(debit=clearing_account(channel), credit=BANK_DEPOSITS, amount=amount)


def collections_settled(*, channel: str, amount: Decimal) -> list[JournalLine]:
    """The channel pays the day's collections into our account: Dr 1002 / Cr 1012."""
    return _transfer(debit=BANK_DEPOSITS, credit=clearing_account(channel), amount=amount)


def channel_fees(*, amount: Decimal) -> list[JournalLine]:
    """What the channel charged for the day's orders: Dr 6421 / Cr 1002."""
    return _transfer(debit=CHANNEL_FEES, credit=BANK_DEPOSITS, amount=amount)


def suspense_opened(*, channel: str, side: str, amount: Decimal) -> list[JournalLine]:
    """A difference found by reconciliation is parked in suspense against the clearing account.

    LONG (more money with the channel than we recorded): Dr 1012 / Cr 2902.
    SHORT (less money with the channel than we recorded): Dr 1901 / Cr 1012.
    """
    suspense = suspense_account(channel=channel, side=side)
    if side == "LONG":
        return _transfer(debit=clearing_account(channel), credit=suspense, amount=amount)
    return _transfer(debit=suspense, credit=clearing_account(channel), amount=amount)


def suspense_cleared(*, channel: str, side: str, amount: Decimal, counter_account: str) -> list[JournalLine]:
    """An operator resolves a case: the suspense goes back to zero against the account they chose."""
    suspense = suspense_account(channel=channel, side=side)
    if side == "LONG":
        return _transfer(debit=suspense, credit=counter_account, amount=amount)
    return _transfer(debit=counter_account, credit=suspense, amount=amount)
