"""The applicant's facts in one query (the API's hot path) equal the facts read the plain way, one by one."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db.models import Max, Sum
from django.utils import timezone

from lending import selectors, services
from lending.models import Application, Offer, ProductRate
from payments.handlers import SettledOrder
from payments.models import PaymentOrder
from repayment.models import Loan
from underwriting.models import BlacklistEntry

SHANGHAI = ZoneInfo("Asia/Shanghai")
MONDAY = datetime(2024, 3, 18, 10, 0, tzinfo=SHANGHAI)
CONSENTS = dict.fromkeys(("contract_terms", "repayment_authorisation", "credit_report", "personal_information"), True)

pytestmark = pytest.mark.usefixtures("scorecard")


def reference(borrower, *, at: datetime, excluding_id=None) -> dict:
    """The facts as the rules define them, each from its own query (what the single statement must match)."""
    recent = Application.objects.filter(
        borrower=borrower, submitted_at__gte=at - timedelta(days=30), submitted_at__lte=at
    ).exclude(pk=excluding_id)
    declined = [a.decided_at for a in recent if a.outcome == "REJECTED" and a.decided_at]
    offers = Offer.objects.filter(
        application__borrower=borrower, application__status__in=[*Application.IN_FLIGHT, "DISBURSED"]
    ).exclude(application_id=excluding_id)
    on = timezone.localdate(at)
    monthly = sum(
        (
            max(Decimal(i["payment"]) for i in o.schedule)
            for o in offers
            if o.schedule and date.fromisoformat(o.schedule[-1]["due_date"]) >= on
        ),
        Decimal("0.00"),
    )
    loans = Loan.objects.filter(borrower_id=borrower.pk, status="ACTIVE")
    return {
        "applications_last_7_days": recent.filter(submitted_at__gte=at - timedelta(days=7)).count(),
        "applications_last_30_days": recent.count(),
        "last_rejected_on": timezone.localdate(max(declined)) if declined else None,
        "disbursing_amount": sum(
            (o.amount for o in offers if o.application.status in Application.IN_FLIGHT), Decimal("0.00")
        ),
        "monthly_installments": monthly,
        "outstanding_principal": loans.aggregate(total=Sum("outstanding_principal"))["total"] or Decimal("0.00"),
        "max_dpd": loans.aggregate(dpd=Max("dpd"))["dpd"] or 0,
        "is_blacklisted": BlacklistEntry.objects.filter(id_number=borrower.id_number.upper()).exists(),
    }


def one_query(borrower, product, *, at: datetime, excluding_id=None) -> dict:
    applicant = selectors.applicant_get(
        borrower_id=borrower.pk, product_code=product.code, at=at, excluding_application_id=excluding_id
    )
    return {name: getattr(applicant, name) for name in reference(borrower, at=at, excluding_id=excluding_id)}


def submit(borrower, product, amount, at):
    return services.application_submit(
        borrower_id=borrower.pk, product_code=product.code, amount=amount, term=12, submitted_at=at
    )


def settle(application, at):
    order = PaymentOrder.objects.get(pk=application.contract.payout_order_id)
    services.disbursement_settle(
        SettledOrder(
            order_id=order.pk,
            kind=order.kind,
            purpose=order.purpose,
            reference=order.reference,
            amount=order.amount,
            state="SUCCEEDED",
            channel=order.channel,
            channel_serial="SIM-1",
            settled_at=at,
            idempotency_key=order.idempotency_key,
        )
    )


@pytest.fixture
def history(borrower, cash_product):
    """A borrower with a bit of everything: old and recent declines, a paid-out loan that is late, an offer
    being paid out, an offer not accepted, and a blacklist entry."""
    paid_out = services.application_accept(
        application_id=submit(borrower, cash_product, "8000.00", MONDAY - timedelta(days=60)).pk,
        borrower_id=borrower.pk,
        consents=CONSENTS,
        accepted_at=MONDAY - timedelta(days=60, minutes=-5),
    )
    settle(paid_out, MONDAY - timedelta(days=60, minutes=-30))
    for days, outcome in ((40, "REJECTED"), (12, "REJECTED"), (2, "APPROVED")):
        application = submit(borrower, cash_product, "3000.00", MONDAY - timedelta(days=days))
        Application.objects.filter(pk=application.pk).update(outcome=outcome, decided_at=MONDAY - timedelta(days=days))
    services.application_accept(
        application_id=submit(borrower, cash_product, "4000.00", MONDAY - timedelta(days=1)).pk,
        borrower_id=borrower.pk,
        consents=CONSENTS,
        accepted_at=MONDAY - timedelta(hours=20),
    )
    Loan.objects.filter(borrower_id=borrower.pk).update(dpd=4)
    BlacklistEntry.objects.create(id_number=borrower.id_number, reason="court order")
    return borrower


@pytest.mark.parametrize("days_later", [0, 3, 9, 29, 31, 400])
def test_the_one_query_facts_equal_the_facts_read_one_by_one(history, cash_product, days_later):
    at = MONDAY + timedelta(days=days_later)

    assert one_query(history, cash_product, at=at) == reference(history, at=at)


def test_the_facts_cover_every_kind_of_history(history, cash_product):
    facts = one_query(history, cash_product, at=MONDAY)

    assert facts["applications_last_7_days"] == 2
    assert facts["applications_last_30_days"] == 3
    assert facts["last_rejected_on"] == (MONDAY - timedelta(days=12)).date()
    assert facts["disbursing_amount"] == Decimal("4000.00")
    assert facts["monthly_installments"] > 0
    assert facts["outstanding_principal"] == Decimal("8000.00")
    assert facts["max_dpd"] == 4
    assert facts["is_blacklisted"] is True


def test_an_application_does_not_count_itself(history, cash_product):
    in_flight = Application.objects.get(status="DISBURSING")

    facts = one_query(history, cash_product, at=MONDAY, excluding_id=in_flight.pk)

    assert facts == reference(history, at=MONDAY, excluding_id=in_flight.pk)
    assert facts["disbursing_amount"] == Decimal("0.00")


def test_a_new_borrower_has_zero_facts_of_the_same_kind(borrower, cash_product):
    assert one_query(borrower, cash_product, at=MONDAY) == reference(borrower, at=MONDAY)


def test_a_rate_changed_in_the_same_transaction_prices_the_next_application(borrower, cash_product):
    first = submit(borrower, cash_product, "5000.00", MONDAY)
    ProductRate.objects.filter(product=cash_product, grade=first.offer.grade).update(annual_rate=Decimal("0.099000"))

    second = submit(borrower, cash_product, "5000.00", MONDAY + timedelta(minutes=1))

    assert first.offer.grade == second.offer.grade
    assert second.offer.annual_rate == Decimal("0.099000") != first.offer.annual_rate


def test_a_product_taken_off_sale_is_no_longer_offered(borrower, cash_product):
    from lending.exceptions import InvalidFields

    submit(borrower, cash_product, "5000.00", MONDAY)
    cash_product.is_active = False
    cash_product.save()

    with pytest.raises(InvalidFields) as refused:
        submit(borrower, cash_product, "5000.00", MONDAY + timedelta(minutes=1))

    assert "product" in refused.value.details
