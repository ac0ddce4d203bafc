"""Apply: the application is recorded, decided at once, and the answer becomes an offer, a decline or a referral."""

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from lending import services
from lending.exceptions import InvalidFields
from lending.models import Application, ApplicationEvent
from tests.lending import factories
from underwriting.models import DecisionRecord

SHANGHAI = ZoneInfo("Asia/Shanghai")
MONDAY = datetime(2024, 1, 15, 10, 0, tzinfo=SHANGHAI)

pytestmark = pytest.mark.usefixtures("scorecard")


def submit(borrower, product, amount="5000.00", term=12, at=MONDAY, **kwargs):
    return services.application_submit(
        borrower_id=borrower.pk, product_code=product.code, amount=amount, term=term, submitted_at=at, **kwargs
    )


def test_an_approved_application_gets_an_offer_priced_by_its_grade(borrower, cash_product):
    application = submit(borrower, cash_product)

    application.refresh_from_db()
    assert (application.status, application.outcome) == ("DECIDED", "APPROVED")
    offer = application.offer
    assert offer.amount == Decimal("5000.00")
    assert offer.annual_rate == cash_product.rates.get(grade=offer.grade).annual_rate
    assert abs(offer.apr - offer.annual_rate) < Decimal("0.0001")  # fee-free: the APR is the rate, up to rounding
    assert sum(Decimal(i["principal"]) for i in offer.schedule) == offer.amount
    assert [e.action for e in application.events.all()] == ["SUBMITTED", "DECIDED"]


def test_the_decision_record_holds_every_input_and_every_version(borrower, cash_product):
    application = submit(borrower, cash_product)

    record = DecisionRecord.objects.get(application_reference=application.reference)
    assert record.facts["requested_amount"] == "5000.00"
    assert record.facts["average_annual_income"] == "90000.00"
    assert record.facts["characteristics"]["housing"] == "own"
    assert record.facts["characteristics"]["duration_in_month"] == 12
    assert record.policy_version.startswith("CREDIT_POLICY_")
    assert record.rule_set == "CN_MICROLOAN_2020"
    assert record.scorecard_version
    assert record.engine_version
    assert record.variant in ("CHAMPION", "CHALLENGER")


def test_a_student_is_declined_with_reasons_and_no_offer(cash_product):
    student = factories.borrower(is_student=True)

    application = submit(student, cash_product)

    application.refresh_from_db()
    assert (application.status, application.outcome) == ("DECIDED", "REJECTED")
    assert not hasattr(application, "offer")
    codes = {r["code"] for r in application.decision.reasons}
    assert {"POL_STUDENT", "REG_INELIGIBLE_BORROWER"} <= codes


def test_a_self_declared_high_income_is_referred_to_the_queue_with_its_flag(cash_product):
    applicant = factories.borrower(income="250000.00", evidence="SELF_DECLARED")

    application = submit(applicant, cash_product, annual_income="250000.00")

    application.refresh_from_db()
    assert (application.status, application.outcome) == ("IN_REVIEW", "MANUAL_REVIEW")
    assert application.review_flags == ["POL_INCOME_UNVERIFIED"]
    assert application.events.last().action == ApplicationEvent.Action.REFERRED


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"amount": "999.99"}, "amount"),
        ({"amount": "200000.01"}, "amount"),
        ({"amount": "1000.001"}, "amount"),
        ({"amount": "abc"}, "amount"),
        ({"term": 7}, "term"),
        ({"purpose": "GAMBLING"}, "purpose"),
        ({"annual_income": "-1"}, "annual_income"),
        ({"characteristics": {"housing": "castle"}}, "characteristics.housing"),
        ({"characteristics": {"shoe_size": "42"}}, "characteristics.shoe_size"),
    ],
)
def test_invalid_fields_are_reported_by_field_and_nothing_is_recorded(borrower, cash_product, overrides, field):
    arguments = {"amount": "5000.00", "term": 12} | overrides

    with pytest.raises(InvalidFields) as error:
        submit(borrower, cash_product, **arguments)

    assert field in error.value.details
    assert not Application.objects.exists()


def test_an_unknown_product_is_a_field_error(borrower, cash_product):
    with pytest.raises(InvalidFields) as error:
        services.application_submit(borrower_id=borrower.pk, product_code="NOPE", amount="5000", term=12)

    assert "product" in error.value.details


def _declined_then_eligible(cash_product):
    applicant = factories.borrower(is_student=True)
    submit(applicant, cash_product)
    applicant.is_student = False
    applicant.save()
    return applicant


def test_a_new_application_within_7_days_of_a_decline_is_declined_for_cool_down(cash_product):
    applicant = _declined_then_eligible(cash_product)

    again = submit(applicant, cash_product, at=MONDAY + timedelta(days=6))

    assert "POL_COOL_DOWN" in {r["code"] for r in again.decision.reasons}


def test_seven_days_after_a_decline_the_cool_down_is_over(cash_product):
    applicant = _declined_then_eligible(cash_product)

    later = submit(applicant, cash_product, at=MONDAY + timedelta(days=7))

    assert "POL_COOL_DOWN" not in {r["code"] for r in later.decision.reasons}


def test_a_fourth_application_within_7_days_is_too_many(borrower, cash_product):
    for day in range(3):
        submit(borrower, cash_product, amount="1000.00", at=MONDAY + timedelta(days=day))

    fourth = submit(borrower, cash_product, amount="1000.00", at=MONDAY + timedelta(days=3))

    assert fourth.outcome == "REJECTED"
    assert "POL_APPLICATIONS_7_DAYS" in {r["code"] for r in fourth.decision.reasons}


def test_a_blacklisted_id_number_is_declined(borrower, cash_product):
    from underwriting.models import BlacklistEntry

    BlacklistEntry.objects.create(id_number=borrower.id_number, reason="court order")

    application = submit(borrower, cash_product)

    assert "POL_BLACKLIST" in {r["code"] for r in application.decision.reasons}


def test_the_same_idempotency_key_returns_the_first_application(borrower, cash_product):
    first = submit(borrower, cash_product, idempotency_key="k-1")
    second = submit(borrower, cash_product, idempotency_key="k-1")

    assert first.pk == second.pk
    assert Application.objects.count() == 1


def test_the_decision_is_pushed_into_the_risk_fact_table(borrower, cash_product):
    from risk_models.models import DecisionFact

    application = submit(borrower, cash_product)

    fact = DecisionFact.objects.get(application_reference=application.reference)
    assert fact.outcome == application.outcome
    assert fact.grade == application.decision.grade
