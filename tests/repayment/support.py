"""Helpers the servicing tests share: open a loan as lending's handler would, settle collections as payments would."""

from datetime import date
from decimal import Decimal
from itertools import count

from payments.handlers import SettledOrder
from repayment.handlers import loan_repayment_settled
from repayment.models import BusinessDate, Repayment
from repayment.services import Funding, cob_run, loan_open, repayment_request

_payout_ids = count(900_001)
_keys = count(1)


def business_date_set(day: date) -> None:
    BusinessDate.objects.update_or_create(pk=1, defaults={"business_date": day})


def open_loan(
    *,
    principal: str = "12000.00",
    annual_rate: str = "0.180000",
    term: int = 12,
    method: str = "EQUAL_INSTALLMENT",
    disbursed_on: date = date(2024, 1, 1),
    own_share: str = "0.3",
    partners: tuple[tuple[str, str], ...] = (("ICBC", "0.7"),),
    grace_days: int = 3,
    penalty_multiplier: str = "1.50",
    allocation_strategy: str = "PENALTY_INTEREST_PRINCIPAL",
    prepayment_mode: str = "SHORTEN_TERM",
    debit_account: str = "6222020000000001",
    borrower_id: int = 1,
    **extra,
):
    fundings = [Funding(partner_code="OWN", share=Decimal(own_share), is_own=True)] + [
        Funding(partner_code=code, share=Decimal(share), is_own=False) for code, share in partners
    ]
    return loan_open(
        payout_order_id=next(_payout_ids),
        borrower_id=borrower_id,
        application_reference=f"APP-{borrower_id}",
        product_code="CASH12",
        principal=Decimal(principal),
        annual_rate=Decimal(annual_rate),
        term=term,
        method=method,
        disbursed_on=disbursed_on,
        first_due_on=None,
        day_count="ACT/360",
        penalty_multiplier=Decimal(penalty_multiplier),
        grace_days=grace_days,
        allocation_strategy=allocation_strategy,
        prepayment_mode=prepayment_mode,
        fundings=fundings,
        debit_account=debit_account,
        channel="BANK_SIM",
        **extra,
    )


def collection_settle(repayment: Repayment, *, state: str = "SUCCEEDED") -> Repayment:
    """What the payment core's outbox delivers once the collection is final."""
    loan_repayment_settled(
        SettledOrder(
            order_id=repayment.payment_order_id,
            kind="COLLECTION",
            purpose="LOAN_REPAYMENT",
            reference=str(repayment.pk),
            amount=repayment.amount,
            state=state,
            channel="BANK_SIM",
            channel_serial=None,
            settled_at=None,
            idempotency_key=f"repayment:{repayment.pk}",
        )
    )
    repayment.refresh_from_db()
    return repayment


def pay(loan, amount: str, *, kind: str = "REGULAR") -> Repayment:
    """A borrower pays and the collection succeeds."""
    repayment = repayment_request(
        loan_id=loan.pk, amount=Decimal(amount), kind=kind, idempotency_key=f"test-pay-{next(_keys)}"
    )
    return collection_settle(repayment)


def close_through(day: date) -> dict:
    return cob_run(business_date=day)
