"""Before an analyst activates a scorecard the borrower pages still answer: sign-up works without the card's
questions, an application is refused whole with a message — never a server error."""

import pytest

from lending.models import Application

pytestmark = pytest.mark.django_db


def test_signup_page_answers_when_no_scorecard_is_active(client):
    response = client.get("/signup/")

    assert response.status_code == 200
    assert b'name="username"' in response.content


def test_an_application_without_an_active_scorecard_is_answered_not_failed(client):
    from tests.lending import factories

    factories.product("CASH12")
    borrower = factories.borrower(username="early")
    client.force_login(borrower.user)

    response = client.post(
        "/apply/",
        {"product": "CASH12", "amount": "5000.00", "term": "12", "purpose": "CONSUMPTION", "annual_income": "90000.00"},
    )

    assert response.status_code == 200
    assert "errorlist" in response.content.decode()
    assert not Application.objects.exists()  # refused whole: nothing half-written
