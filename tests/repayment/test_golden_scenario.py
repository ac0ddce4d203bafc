"""The golden servicing scenario, every figure written out by hand (DOMAIN.md §2, §4, §5, §8, §9).

12,000.00 at 18% over 12 months, equal installments (payment 1,100.16), disbursed 2024-01-01 and co-funded
30% by us (3,600.00) and 70% by a partner bank, ICBC (8,400.00). Grace 3 days, penalty multiplier 1.5 so
18% × 1.5 = 27% is capped at the 24% APR ceiling. The borrower pays installments 1 and 2 on their due
dates, misses installment 3 (due 2024-04-01) and pays it on 2024-04-11, ten days late.

Figures (largest remainder, ours listed first):
- installment 1: principal 920.16 = 276.05 ours + 644.11 ICBC; interest 180.00 = 54.00 + 126.00
- installment 2: principal 933.96 = 280.19 + 653.77; interest 166.20 = 49.86 + 116.34
- installment 3: principal 947.97 = 284.39 + 663.58; interest 152.19 = 45.66 + 106.53
- installment 4: interest 137.97 = 41.39 ours; accrued pro rata 10 of 30 days by 2024-04-11: 13.80
- penalty on 947.97 at 24% ACT/360 after 3 grace days: day 4 2.53, 5 3.16, 6 3.79, 7 4.42, 8 5.06,
  9 5.69, and 10 days (paid 2024-04-11) 947.97 × 0.24 × 10 / 360 = 6.3198 → 6.32 = 1.90 ours + 4.42 ICBC
"""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from ledger.selectors import account_balance, trial_balance
from repayment.models import Installment, Loan, Repayment, RepaymentAllocation
from risk_models.performance import LoanPerformanceSnapshot
from tests.repayment.support import business_date_set, close_through, open_loan, pay

D = Decimal


@pytest.fixture
def golden_loan(db):
    business_date_set(date(2024, 1, 1))
    return open_loan()


def test_loan_opens_with_funded_amounts_splits_and_disbursement_journal(golden_loan):
    fundings = list(golden_loan.fundings.order_by("position").values_list("partner_code", "funded_principal"))
    first = golden_loan.installments.get(number=1)
    shares = {s.funding.partner_code: (s.principal, s.interest) for s in first.shares.select_related("funding")}

    assert fundings == [("OWN", D("3600.00")), ("ICBC", D("8400.00"))]
    assert (first.due_date, first.principal, first.interest) == (date(2024, 2, 1), D("920.16"), D("180.00"))
    assert shares == {"OWN": (D("276.05"), D("54.00")), "ICBC": (D("644.11"), D("126.00"))}
    assert golden_loan.penalty_rate == D("0.240000")
    assert account_balance(account="1303") == D("3600.00")
    assert account_balance(account="2241.ICBC") == D("-8400.00")
    assert account_balance(account="1012.BANK_SIM") == D("-12000.00")


def test_golden_scenario_figures_to_the_fen(golden_loan):
    loan = golden_loan
    close_through(date(2024, 1, 31))
    first = pay(loan, "1100.16")
    close_through(date(2024, 2, 29))
    second = pay(loan, "1100.16")
    close_through(date(2024, 4, 10))
    loan.refresh_from_db()
    third_before = Installment.objects.get(loan=loan, number=3)
    auto_debit = Repayment.objects.get(loan=loan, source=Repayment.Source.AUTO_DEBIT)

    # Missed: due on 04-01, overdue from 04-02; penalty starts after the 3 grace days.
    assert (loan.dpd, loan.bucket, loan.max_dpd) == (9, "M1", 9)
    assert (third_before.penalty_accrued, third_before.own_penalty_accrued) == (D("5.69"), D("1.71"))
    assert (auto_debit.debit_on, auto_debit.amount) == (date(2024, 4, 1), D("1100.16"))
    assert auto_debit.payment_order_id is not None  # its collection order went to the payment core
    daily = dict(
        LoanPerformanceSnapshot.objects.filter(loan_id=loan.pk, snapshot_date__gte=date(2024, 3, 31))
        .order_by("snapshot_date")
        .values_list("snapshot_date", "dpd")
    )
    assert daily == {date(2024, 3, 31) + timedelta(days=n): max(n - 1, 0) for n in range(11)}

    third = pay(loan, "1106.48")
    close_through(date(2024, 4, 11))
    loan.refresh_from_db()

    # Each payment's allocation by component and by funder.
    assert [r.value_date for r in (first, second, third)] == [date(2024, 2, 1), date(2024, 3, 1), date(2024, 4, 11)]
    assert _allocation(third) == {
        ("OWN", "PENALTY"): D("1.90"),
        ("ICBC", "PENALTY"): D("4.42"),
        ("OWN", "INTEREST"): D("45.66"),
        ("ICBC", "INTEREST"): D("106.53"),
        ("OWN", "PRINCIPAL"): D("284.39"),
        ("ICBC", "PRINCIPAL"): D("663.58"),
    }
    assert _allocation(second) == {
        ("OWN", "INTEREST"): D("49.86"),
        ("ICBC", "INTEREST"): D("116.34"),
        ("OWN", "PRINCIPAL"): D("280.19"),
        ("ICBC", "PRINCIPAL"): D("653.77"),
    }
    assert Installment.objects.get(loan=loan, number=3).penalty_accrued == D("6.32")
    assert (loan.dpd, loan.bucket, loan.max_dpd) == (0, "C", 9)
    assert loan.outstanding_principal == D("12000.00") - D("920.16") - D("933.96") - D("947.97")
    assert LoanPerformanceSnapshot.objects.get(loan_id=loan.pk, snapshot_date=date(2024, 4, 11)).dpd == 0

    # The books: our share only in 1303/1132/1134; the partner's through 2241.
    assert account_balance(account="1303") == D("3600.00") - D("276.05") - D("280.19") - D("284.39")
    assert account_balance(account="1132") == D("13.80")
    assert account_balance(account="6011") == D("54.00") + D("49.86") + D("45.66") + D("13.80")
    assert account_balance(account="1134") == D("0.00")
    assert account_balance(account="6051") == D("1.90")
    assert account_balance(account="2241.ICBC") == (
        D("644.11") + D("653.77") + D("663.58") + D("126.00") + D("116.34") + D("106.53") + D("4.42") - D("8400.00")
    )
    assert account_balance(account="1012.BANK_SIM") == D("1100.16") * 2 + D("1106.48") - D("12000.00")
    assert account_balance(account="1304") == D("27.59")  # 1% of our 2,759.37 in bucket C
    assert account_balance(account="2202") == D("0.00")
    balance = trial_balance()
    assert balance.debits == balance.credits


def _allocation(repayment: Repayment) -> dict:
    return {
        (row.funding.partner_code, row.component): row.amount
        for row in RepaymentAllocation.objects.filter(repayment=repayment).select_related("funding")
    }


def test_loan_settles_when_the_last_fen_is_paid(golden_loan):
    close_through(date(2024, 1, 15))
    quote_total = D("12000.00") + (D("180.00") * 15 / 31).quantize(D("0.01"))

    pay(golden_loan, str(quote_total), kind="PREPAYMENT_FULL")

    golden_loan.refresh_from_db()
    assert golden_loan.status == Loan.Status.SETTLED
    assert account_balance(account="1303") == D("0.00")
    assert account_balance(account="1132") == D("0.00")
