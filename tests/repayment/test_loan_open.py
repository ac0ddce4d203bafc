"""Opening a loan on payout success: idempotent per payout order, co-lending splits to the fen (DOMAIN.md §5)."""

from datetime import date
from decimal import Decimal

import pytest

from repayment.exceptions import InvalidFunding, LoanOpenConflict
from repayment.models import Installment, InstallmentShare, Loan, LoanEvent
from repayment.services import Funding, loan_open
from tests.repayment.support import business_date_set, open_loan

pytestmark = pytest.mark.django_db
D = Decimal


def _open(payout_order_id: int, principal: str = "1000.01", shares=("0.3", "0.7")):
    return loan_open(
        payout_order_id=payout_order_id,
        borrower_id=7,
        application_reference="APP-7",
        product_code="CASH3",
        principal=D(principal),
        annual_rate=D("0.18"),
        term=3,
        method="EQUAL_INSTALLMENT",
        disbursed_on=date(2024, 1, 1),
        first_due_on=None,
        day_count="ACT/360",
        penalty_multiplier=D("1.5"),
        grace_days=3,
        allocation_strategy="PENALTY_INTEREST_PRINCIPAL",
        prepayment_mode="SHORTEN_TERM",
        fundings=[Funding("OWN", D(shares[0]), True), Funding("ICBC", D(shares[1]), False)],
        debit_account="6222020000000007",
        channel="BANK_SIM",
    )


def test_second_delivery_of_the_same_payout_returns_the_first_loan():
    first = _open(501)

    second = _open(501)

    assert second.pk == first.pk
    assert Loan.objects.filter(payout_order_id=501).count() == 1
    assert LoanEvent.objects.filter(loan=first, kind="OPENED").count() == 1


def test_same_payout_with_other_terms_is_a_conflict():
    _open(502)

    with pytest.raises(LoanOpenConflict):
        _open(502, principal="2000.00")


def test_own_share_below_thirty_percent_is_refused():
    with pytest.raises(InvalidFunding):
        _open(503, shares=("0.29", "0.71"))


def test_our_funded_amount_is_rounded_up_and_every_funder_is_repaid_exactly_what_it_lent():
    loan = _open(504)

    fundings = {f.partner_code: f.funded_principal for f in loan.fundings.all()}
    parts = {
        code: sum(
            InstallmentShare.objects.filter(installment__loan=loan, funding__partner_code=code).values_list(
                "principal", flat=True
            ),
            D("0"),
        )
        for code in fundings
    }
    assert fundings == {"OWN": D("300.01"), "ICBC": D("700.00")}
    assert parts == fundings
    for installment in Installment.objects.filter(loan=loan):
        shares = InstallmentShare.objects.filter(installment=installment)
        assert sum(s.principal for s in shares) == installment.principal
        assert sum(s.interest for s in shares) == installment.interest


def test_payout_confirmed_after_its_date_was_closed_is_caught_up_at_once():
    business_date_set(date(2024, 1, 10))

    loan = open_loan(disbursed_on=date(2024, 1, 1))

    assert loan.cob_date == date(2024, 1, 10)
    assert loan.events.filter(kind="CAUGHT_UP").exists()
    assert loan.installments.get(number=1).own_interest == D("54.00")
