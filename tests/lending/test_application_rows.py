"""An application's rows written in one statement are the rows the ORM and django-simple-history would write."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from rest_framework.test import APIClient

from lending import services
from lending.models import Application, ApplicationEvent, Offer
from tests.lending import factories

SHANGHAI = ZoneInfo("Asia/Shanghai")
MONDAY = datetime(2024, 1, 15, 10, 0, tzinfo=SHANGHAI)

pytestmark = pytest.mark.usefixtures("scorecard")


def tracked_values(instance, historical_model) -> dict:
    names = [
        f.attname
        for f in historical_model._meta.concrete_fields
        if not f.name.startswith("history_") and f.name != "history_id"
    ]
    return {name: getattr(instance, name) for name in names}


def assert_created_history(instance, *, user_id):
    [row] = instance.history.all()
    assert row.history_type == "+"
    assert row.history_user_id == user_id
    assert row.history_change_reason is None
    fresh = type(instance).objects.get(pk=instance.pk)
    assert tracked_values(row, type(row)) == tracked_values(fresh, type(row))


def test_an_approved_application_has_its_history_events_and_offer(borrower, cash_product):
    application = services.application_submit(
        borrower_id=borrower.pk, product_code="CASH12", amount="5000.00", term=12, submitted_at=MONDAY
    )

    fresh = Application.objects.get(pk=application.pk)
    assert (fresh.status, fresh.outcome, fresh.decision_id) == ("DECIDED", "APPROVED", application.decision.pk)
    assert fresh.updated_at is not None
    assert_created_history(application, user_id=None)
    offer = Offer.objects.get(application=application)
    assert offer.pk == application.offer.pk
    assert offer.schedule == application.decision.terms["schedule"]
    assert_created_history(offer, user_id=None)
    events = list(ApplicationEvent.objects.filter(application=application))
    assert [(e.action, e.from_status, e.to_status) for e in events] == [
        ("SUBMITTED", "", "SUBMITTED"),
        ("DECIDED", "SUBMITTED", "DECIDED"),
    ]
    assert events[1].data == {"decision_id": application.decision.pk, "outcome": "APPROVED"}
    assert all(e.created_at == MONDAY for e in events)


def test_a_referred_application_has_its_flags_and_no_offer(cash_product):
    applicant = factories.borrower(income="900000.00", evidence="SELF_DECLARED")

    application = services.application_submit(
        borrower_id=applicant.pk, product_code="CASH12", amount="5000.00", term=12, submitted_at=MONDAY
    )

    fresh = Application.objects.get(pk=application.pk)
    assert fresh.status == "IN_REVIEW"
    assert fresh.review_flags
    assert fresh.review_flags == application.review_flags
    assert not Offer.objects.filter(application=application).exists()
    assert_created_history(application, user_id=None)
    referred = ApplicationEvent.objects.get(application=application, action="REFERRED")
    assert referred.data == {"decision_id": application.decision.pk, "flags": fresh.review_flags}


def test_through_the_api_the_history_names_the_borrower(borrower, cash_product):
    client = APIClient()
    client.force_authenticate(borrower.user)

    response = client.post(
        "/api/v1/applications/",
        {"product": "CASH12", "amount": "5000.00", "term": 12},
        format="json",
        HTTP_IDEMPOTENCY_KEY="history-1",
    )

    assert response.status_code == 201
    application = Application.objects.get(pk=response.json()["id"])
    assert_created_history(application, user_id=borrower.user.pk)
    assert_created_history(application.offer, user_id=borrower.user.pk)
