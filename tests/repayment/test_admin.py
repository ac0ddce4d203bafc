"""Officers' admin: loans with schedule, funding, repayments and events, all read-only."""

from datetime import date

import pytest
from django.contrib.auth import get_user_model

from tests.repayment.support import business_date_set, close_through, open_loan, pay

pytestmark = pytest.mark.django_db


def test_officer_sees_a_loan_with_its_schedule_repayments_and_events_but_cannot_edit_money(client):
    officer = get_user_model().objects.create_superuser("officer", "o@example.com", "pw-officer-1")
    business_date_set(date(2024, 1, 1))
    loan = open_loan()
    close_through(date(2024, 1, 31))
    pay(loan, "1100.16")
    client.force_login(officer)

    listing = client.get("/admin/repayment/loan/")
    detail = client.get(f"/admin/repayment/loan/{loan.pk}/change/")
    post = client.post(f"/admin/repayment/loan/{loan.pk}/change/", {"outstanding_principal": "1.00"})

    assert listing.status_code == 200
    assert detail.status_code == 200
    body = detail.content.decode()
    assert "920.16" in body  # the schedule
    assert "1100.16" in body  # the repayment
    assert "OPENED" in body  # the events
    assert post.status_code == 403
    loan.refresh_from_db()
    assert str(loan.outstanding_principal) == "11079.84"
