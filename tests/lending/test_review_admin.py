"""The credit officers' review queue in Django admin: services behind every action, permissions, masking."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Permission

from lending import services
from lending.exceptions import InvalidFields, ReviewNotAllowed
from lending.models import Application
from tests.lending import factories

SHANGHAI = ZoneInfo("Asia/Shanghai")
MONDAY = datetime(2024, 1, 15, 10, 0, tzinfo=SHANGHAI)
QUEUE = "/admin/lending/applicationinreview/"

pytestmark = pytest.mark.usefixtures("scorecard")


def referred(product, *, at=MONDAY, income="250000.00"):
    applicant = factories.borrower(income=income, evidence="SELF_DECLARED")
    application = services.application_submit(
        borrower_id=applicant.pk,
        product_code=product.code,
        amount="5000.00",
        term=12,
        annual_income=income,
        submitted_at=at,
    )
    assert application.status == "IN_REVIEW"
    return application


def test_the_queue_lists_referred_applications_oldest_first(client, credit_officer, cash_product):
    newer = referred(cash_product, at=MONDAY + timedelta(hours=2))
    older = referred(cash_product, at=MONDAY)
    client.force_login(credit_officer)

    page = client.get(QUEUE).content.decode()

    assert page.index(older.reference) < page.index(newer.reference)


def test_pii_is_masked_for_officers_without_the_pii_permission(client, credit_officer, cash_product):
    application = referred(cash_product)
    client.force_login(credit_officer)

    page = client.get(f"{QUEUE}{application.pk}/change/").content.decode()

    number = application.borrower.id_number
    assert number not in page
    assert number[:3] + "*" * 11 + number[-4:] in page
    assert application.borrower.bank_card not in page


def test_the_pii_permission_unmasks(client, credit_officer, cash_product):
    application = referred(cash_product)
    credit_officer.user_permissions.add(Permission.objects.get(codename="view_borrower_pii"))
    client.force_login(credit_officer)

    page = client.get(f"{QUEUE}{application.pk}/change/").content.decode()

    assert application.borrower.id_number in page


def test_approve_needs_a_reason_and_a_note_then_creates_the_offer(client, credit_officer, cash_product):
    application = referred(cash_product)
    client.force_login(credit_officer)
    url = f"{QUEUE}{application.pk}/review/approve/"

    missing = client.post(url, {"reason_code": "", "note": ""})
    assert missing.status_code == 200
    assert b"errorlist" in missing.content
    application.refresh_from_db()
    assert application.status == "IN_REVIEW"

    done = client.post(url, {"reason_code": "INCOME_VERIFIED", "note": "Tax records for 2021-2023 seen."})

    assert done.status_code == 302
    application.refresh_from_db()
    assert (application.status, application.outcome) == ("DECIDED", "APPROVED")
    assert application.offer.amount == application.decision.approved_amount
    event = application.events.last()
    assert (event.action, event.actor, event.reason_code) == ("APPROVED", credit_officer, "INCOME_VERIFIED")


def test_decline_records_the_reason(client, credit_officer, cash_product):
    application = referred(cash_product)
    client.force_login(credit_officer)

    client.post(f"{QUEUE}{application.pk}/review/reject/", {"reason_code": "INCOME_NOT_VERIFIED", "note": "No proof."})

    application.refresh_from_db()
    assert (application.status, application.outcome) == ("DECIDED", "REJECTED")
    assert application.events.last().reason_code == "INCOME_NOT_VERIFIED"


def test_request_info_then_the_borrower_answers_and_it_returns_to_the_queue(client, credit_officer, cash_product):
    application = referred(cash_product)
    client.force_login(credit_officer)

    client.post(f"{QUEUE}{application.pk}/review/request-info/", {"note": "Please upload payslips."})
    application.refresh_from_db()
    assert application.status == "INFO_REQUESTED"

    services.application_info_provide(application_id=application.pk, borrower_id=application.borrower_id, note="Sent.")

    application.refresh_from_db()
    assert application.status == "IN_REVIEW"
    assert [e.action for e in application.events.all()][-2:] == ["INFO_REQUESTED", "INFO_PROVIDED"]


def test_assign_to_me_action_assigns_and_the_filter_finds_it(client, credit_officer, cash_product):
    mine = referred(cash_product)
    other = referred(cash_product, at=MONDAY + timedelta(hours=1))
    client.force_login(credit_officer)

    client.post(QUEUE, {"action": "assign_to_me", "_selected_action": [mine.pk]})

    mine.refresh_from_db()
    assert mine.assigned_to == credit_officer
    page = client.get(QUEUE + "?assigned=me").content.decode()
    assert mine.reference in page
    assert other.reference not in page
    assert mine.events.last().action == "ASSIGNED"


def test_staff_without_the_officer_permission_cannot_act(client, django_user_model, cash_product):
    application = referred(cash_product)
    clerk = django_user_model.objects.create_user(username="clerk", password="clerk-pass-2024", is_staff=True)
    clerk.user_permissions.add(Permission.objects.get(codename="view_applicationinreview"))
    client.force_login(clerk)

    response = client.post(f"{QUEUE}{application.pk}/review/approve/", {"reason_code": "INCOME_VERIFIED", "note": "x"})

    assert response.status_code == 403
    with pytest.raises(ReviewNotAllowed):
        services.application_approve(
            application_id=application.pk, officer=clerk, reason_code="INCOME_VERIFIED", note="x"
        )
    application.refresh_from_db()
    assert application.status == "IN_REVIEW"


def test_nothing_can_be_deleted_or_edited_in_admin(client, admin_user, cash_product):
    application = referred(cash_product)
    client.force_login(admin_user)

    assert client.get(f"/admin/lending/application/{application.pk}/delete/").status_code == 403
    client.post(f"/admin/lending/application/{application.pk}/change/", {"requested_amount": "1.00"})
    application.refresh_from_db()
    assert str(application.requested_amount) == "5000.00"


def test_services_refuse_a_decision_without_reason(credit_officer, cash_product):
    application = referred(cash_product)

    with pytest.raises(InvalidFields) as error:
        services.application_reject(application_id=application.pk, officer=credit_officer, reason_code="BOGUS", note="")

    assert set(error.value.details) == {"reason_code", "note"}
    assert Application.objects.get(pk=application.pk).status == "IN_REVIEW"
