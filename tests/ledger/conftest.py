from datetime import date
from decimal import Decimal

import pytest

from ledger.services import JournalLine, journal_post

POSTED_ON = date(2024, 1, 31)


def transfer(*, debit: str, credit: str, amount: str, reference: str = "test", **options):
    """Post Dr `debit` / Cr `credit` for `amount` (a decimal string)."""
    value = Decimal(amount)
    return journal_post(
        lines=[JournalLine(debit, debit=value), JournalLine(credit, credit=value)],
        kind=options.pop("kind", "TEST"),
        reference=reference,
        posted_on=options.pop("posted_on", POSTED_ON),
        **options,
    )


@pytest.fixture
def overpayment_of_100(db):
    """A borrower's overpayment account (2202.*, may not go negative) holding 100.00."""
    transfer(debit="1002", credit="2202.B100", amount="100.00", reference="overpayment")
    return "2202.B100"
