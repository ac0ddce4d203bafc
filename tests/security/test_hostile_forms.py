"""The borrower forms fed what attackers and fat fingers type: over-long, malformed, negative, huge, float-like,
script and Unicode-trick values. Every one is a field error on a re-rendered form (never a 500), and nothing is
stored: no user, borrower, application or repayment is written half-way."""

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model

from lending.models import Application, Borrower
from repayment.models import Repayment
from tests.lending import factories
from tests.lending.test_pages import signup_data

pytestmark = pytest.mark.usefixtures("scorecard")

MONEY_GARBAGE = [
    "-1000.00",  # negative
    "1e5",  # exponent: a float's spelling, not an amount
    "1000.001",  # below the fen
    "99999999999999999999999.00",  # beyond any balance column
    "NaN",
    "Infinity",
    "0x10",
    "1,000.00",
    "1000\u202e",  # right-to-left override smuggled after the digits
    "1000\x00",
    "<script>alert(1)</script>",
    "",
    " " * 3,
    "9" * 5000,  # over-long
]
OVER_LONG = "长" * 5000
TEXT_GARBAGE = [OVER_LONG, "\x00", "13912345678\u200b", "<script>alert(1)</script>", "１３９１２３４５６７８"]
USERNAME_GARBAGE = [OVER_LONG, "\x00", "new\u200bcomer", "<script>alert(1)</script>", "new comer", "new\u202ecomer"]


@pytest.fixture
def borrower(db):
    return factories.borrower(username="alice")


def is_form_error(response) -> bool:
    return response.status_code == 200 and b"errorlist" in response.content


@pytest.mark.parametrize("value", MONEY_GARBAGE, ids=repr)
@pytest.mark.parametrize("field", ["average_annual_income", "monthly_debt_payments"])
def test_signup_refuses_hostile_amounts(client, field, value):
    response = client.post("/signup/", signup_data(**{field: value}))

    assert is_form_error(response), (field, value, response.status_code)
    assert not get_user_model().objects.filter(username="newcomer").exists()
    assert not Borrower.objects.exists()


@pytest.mark.parametrize("value", TEXT_GARBAGE, ids=lambda v: repr(v[:20]))
@pytest.mark.parametrize("field", ["id_number", "mobile", "bank_card"])
def test_signup_refuses_hostile_identity_fields(client, field, value):
    response = client.post("/signup/", signup_data(**{field: value}))

    assert is_form_error(response), (field, value[:20], response.status_code)
    assert not Borrower.objects.exists()


@pytest.mark.parametrize("value", USERNAME_GARBAGE, ids=lambda v: repr(v[:20]))
def test_signup_refuses_hostile_user_names(client, value):
    response = client.post("/signup/", signup_data(username=value))

    assert is_form_error(response), (value[:20], response.status_code)
    assert not get_user_model().objects.exists()


@pytest.mark.parametrize("field", ["average_annual_income", "monthly_debt_payments"])
def test_full_width_digits_typed_with_a_chinese_keyboard_read_as_the_same_amount(client, field):
    response = client.post("/signup/", signup_data(**{field: "１２０００"}))

    assert response.status_code == 302
    assert getattr(Borrower.objects.get(), field) == Decimal("12000.00")


def test_a_script_in_a_name_is_shown_as_text_never_run(client):
    response = client.post("/signup/", signup_data(full_name="<script>alert(1)</script>", id_number="bad"))

    assert is_form_error(response)
    assert b"<script>alert(1)</script>" not in response.content
    assert b"&lt;script&gt;alert(1)&lt;/script&gt;" in response.content


@pytest.mark.parametrize("value", MONEY_GARBAGE, ids=repr)
def test_apply_refuses_hostile_amounts(client, borrower, cash_product, value):
    client.force_login(borrower.user)

    response = client.post("/apply/", {"product": "CASH12", "amount": value, "term": "12", "purpose": "CONSUMPTION"})
    preview = client.get("/apply/preview/", {"product": "CASH12", "amount": value, "term": "12"})

    assert is_form_error(response), (value, response.status_code)
    assert preview.status_code < 500
    assert not Application.objects.exists()


@pytest.mark.parametrize("term", ["-12", "0", "12.5", "1e1", "999999999999999999999", "<b>12</b>", "１２"])
def test_apply_refuses_hostile_terms(client, borrower, cash_product, term):
    client.force_login(borrower.user)

    response = client.post(
        "/apply/", {"product": "CASH12", "amount": "5000.00", "term": term, "purpose": "CONSUMPTION"}
    )

    assert is_form_error(response), (term, response.status_code)
    assert not Application.objects.exists()


@pytest.mark.parametrize("product", ["NOPE", "CASH12' OR '1'='1", OVER_LONG, "\x00"], ids=lambda v: repr(v[:20]))
def test_apply_refuses_unknown_products(client, borrower, cash_product, product):
    client.force_login(borrower.user)

    response = client.post("/apply/", {"product": product, "amount": "5000.00", "term": "12"})

    assert is_form_error(response)
    assert not Application.objects.exists()


@pytest.mark.parametrize("value", MONEY_GARBAGE, ids=repr)
def test_repay_refuses_hostile_amounts(client, value):
    from datetime import date

    from tests.repayment.support import business_date_set, open_loan

    business_date_set(date(2024, 1, 1))
    loan = open_loan()
    client.force_login(loan_owner(loan))

    response = client.post(
        f"/loans/{loan.pk}/repay/", {"kind": "REGULAR", "amount": value, "idempotency_key": "hostile-0001"}
    )

    assert is_form_error(response), (value, response.status_code)
    assert not Repayment.objects.exists()


def loan_owner(loan):
    """A signed-in borrower who owns the servicing fixture's loan (repayment keeps only the borrower's id)."""
    borrower = factories.borrower(username="owner")
    type(loan).objects.filter(pk=loan.pk).update(borrower_id=borrower.pk)
    return borrower.user
