"""The servicing API (CONTRACT.md §5): a borrower's own loans only, schedule, payoff quote, idempotent repayments."""

from datetime import date
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from repayment.models import Repayment
from tests.lending import factories
from tests.repayment.support import business_date_set, close_through, collection_settle, open_loan

pytestmark = pytest.mark.django_db


@pytest.fixture
def borrower():
    return factories.borrower()


@pytest.fixture
def client(borrower):
    api = APIClient()
    api.force_authenticate(borrower.user)
    return api


@pytest.fixture
def loan(borrower):
    business_date_set(date(2024, 1, 1))
    loan = open_loan(borrower_id=borrower.pk)
    close_through(date(2024, 1, 10))
    return loan


def test_loan_detail_shows_balance_dpd_next_due_and_funding(client, loan):
    response = client.get(f"/api/v1/loans/{loan.pk}/")

    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["principal"], body["outstanding_principal"], body["dpd"], body["bucket"]) == (
        "ACTIVE",
        "12000.00",
        "12000.00",
        0,
        "C",
    )
    assert body["next_due"] == {"number": 1, "due_date": "2024-02-01", "amount": "1100.16"}
    assert body["funding"] == [
        {"partner": "OWN", "share": "0.300000", "principal": "3600.00"},
        {"partner": "ICBC", "share": "0.700000", "principal": "8400.00"},
    ]


def test_another_borrowers_loan_is_not_found(loan):
    stranger = APIClient()
    stranger.force_authenticate(factories.borrower().user)

    assert stranger.get(f"/api/v1/loans/{loan.pk}/").status_code == 404
    assert stranger.get("/api/v1/loans/").json() == []


def test_schedule_lists_installments_with_paid_and_unpaid_parts(client, loan):
    rows = client.get(f"/api/v1/loans/{loan.pk}/schedule/").json()

    assert len(rows) == 12
    assert (rows[0]["principal"], rows[0]["interest"], rows[0]["principal_unpaid"]) == ("920.16", "180.00", "920.16")


def test_payoff_quote_for_a_date_by_component(client, loan):
    body = client.get(f"/api/v1/loans/{loan.pk}/payoff-quote/?date=2024-01-11").json()

    # 180.00 × 10 / 31 = 58.06
    assert (body["principal"], body["interest"], body["total"]) == ("12000.00", "58.06", "12058.06")


def test_repayment_needs_an_idempotency_key(client, loan):
    response = client.post(f"/api/v1/loans/{loan.pk}/repayments/", {"amount": "100.00"}, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "IDEMPOTENCY_KEY_REQUIRED"


def test_repayment_replay_returns_the_first_answer_and_another_body_is_refused(client, loan):
    url = f"/api/v1/loans/{loan.pk}/repayments/"
    first = client.post(url, {"amount": "1100.16", "kind": "REGULAR"}, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    replay = client.post(url, {"amount": "1100.16", "kind": "REGULAR"}, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    other = client.post(url, {"amount": "9.99", "kind": "REGULAR"}, format="json", HTTP_IDEMPOTENCY_KEY="k-1")

    assert first.status_code == 202
    assert first.json()["collection_status"] == "PENDING"
    assert replay.json() == first.json()
    assert other.status_code == 409
    assert Repayment.objects.filter(loan=loan).count() == 1


def test_repayment_detail_shows_the_allocation_by_component_and_funder_once_collected(client, loan):
    created = client.post(
        f"/api/v1/loans/{loan.pk}/repayments/", {"amount": "100.00"}, format="json", HTTP_IDEMPOTENCY_KEY="k-2"
    ).json()
    close_through(date(2024, 2, 1))
    collection_settle(Repayment.objects.get(pk=created["repayment_id"]))

    body = client.get(f"/api/v1/repayments/{created['repayment_id']}/").json()

    assert body["status"] == "SUCCEEDED"
    assert body["allocation"] == {"INTEREST": "100.00"}
    assert body["by_funder"] == {"OWN": {"INTEREST": "30.00"}, "ICBC": {"INTEREST": "70.00"}}
    assert Decimal(body["amount"]) == Decimal("100.00")


def test_full_prepayment_below_the_payoff_is_a_conflict(client, loan):
    response = client.post(
        f"/api/v1/loans/{loan.pk}/repayments/",
        {"amount": "100.00", "kind": "PREPAYMENT_FULL"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k-3",
    )

    assert response.status_code == 409
    assert response.json()["code"] == "PAYOFF_AMOUNT_TOO_LOW"
