"""Borrower pages: sign-up with KYC and scorecard questions, apply with live preview, decision, offer, my loans."""

import re

import pytest

from lending.models import Application, Borrower
from tests.lending import factories

pytestmark = pytest.mark.usefixtures("scorecard")


def signup_data(**overrides):
    data = {
        "username": "newcomer",
        "password": "a-long-enough-password-7",
        "full_name": "李四",
        "id_number": factories.id_number(),
        "mobile": "13912345678",
        "bank_card": factories.bank_card(),
        "employment": "EMPLOYED",
        "employer_name": "某公司",
        "average_annual_income": "120000.00",
        "income_evidence": "PAYSLIP",
        "monthly_debt_payments": "0",
    }
    for name, value in factories.good_characteristics().items():
        data[f"characteristic__{name}"] = value
    data.update(overrides)
    return data


def field_block(html: str, name: str) -> str:
    match = re.search(rf'<div class="field[^"]*" id="field-{name}">(.*?)</div>', html, re.S)
    assert match, f"no field {name}"
    return match.group(1)


def test_signup_asks_the_active_cards_questions_but_not_what_the_application_says(client):
    html = client.get("/signup/").content.decode()

    assert 'name="characteristic__housing"' in html
    assert 'name="characteristic__duration_in_month"' not in html
    assert 'name="characteristic__credit_amount"' not in html
    assert "personal_status_and_sex" not in html


def test_signup_errors_appear_next_to_their_fields_and_nothing_typed_is_lost(client):
    data = signup_data(id_number="110105194912310021", bank_card="4111111111111112")

    response = client.post("/signup/", data)

    html = response.content.decode()
    assert response.status_code == 200
    assert "errorlist" in field_block(html, "id_number")
    assert "errorlist" in field_block(html, "bank_card")
    assert "errorlist" not in field_block(html, "mobile")
    assert 'value="13912345678"' in html
    assert 'value="李四"' in html
    assert 'value="a-long-enough-password-7"' in html
    assert not Borrower.objects.exists()


def test_signup_creates_the_borrower_logs_in_and_goes_to_apply(client):
    response = client.post("/signup/", signup_data())

    assert response.status_code == 302
    assert response["Location"] == "/apply/"
    borrower = Borrower.objects.get(user__username="newcomer")
    assert borrower.date_of_birth.year == 1990
    assert borrower.characteristics["housing"] == "own"
    assert client.get("/apply/").status_code == 200


def test_the_preview_partial_recomputes_apr_total_cost_and_schedule(client, borrower, cash_product):
    client.force_login(borrower.user)

    small = client.get(
        "/apply/preview/", {"product": "CASH12", "amount": "5000.00", "term": "3"}, HTTP_HX_REQUEST="true"
    )
    large = client.get(
        "/apply/preview/", {"product": "CASH12", "amount": "50000.00", "term": "12"}, HTTP_HX_REQUEST="true"
    )

    small_html, large_html = small.content.decode(), large.content.decode()
    assert 'id="preview-apr"' in small_html
    assert "%" in small_html
    assert small_html.count("<tr>") == 1 + 3
    assert large_html.count("<tr>") == 1 + 12
    cost = re.search(r'id="preview-total-cost">([^<]+)<', large_html).group(1)
    assert cost.startswith("¥")
    assert "hx-swap-oob" not in large_html  # the borrower's own choice of term is never overwritten


def test_the_preview_explains_an_amount_outside_the_product(client, borrower, cash_product):
    client.force_login(borrower.user)

    html = client.get("/apply/preview/", {"product": "CASH12", "amount": "5", "term": "12"}).content.decode()

    assert 'id="preview-error"' in html


def test_apply_then_offer_then_accept_then_my_loans(client, borrower, cash_product):
    client.force_login(borrower.user)

    response = client.post(
        "/apply/",
        {"product": "CASH12", "amount": "6000.00", "term": "6", "purpose": "CONSUMPTION", "annual_income": "90000.00"},
    )
    application = Application.objects.get()
    assert response["Location"] == f"/applications/{application.pk}/"
    decision = client.get(response["Location"]).content.decode()
    assert 'id="decision-headline"' in decision
    assert f"/applications/{application.pk}/offer/" in decision

    offer = client.get(f"/applications/{application.pk}/offer/").content.decode()
    assert (
        offer.index('id="contract-apr"')
        < offer.index('id="contract-principal"')
        < offer.index('id="contract-schedule"')
    )

    missing = client.post(f"/applications/{application.pk}/offer/", {"contract_terms": "on"})
    assert missing.status_code == 200
    assert "errorlist" in field_block(missing.content.decode(), "credit_report")

    accepted = client.post(
        f"/applications/{application.pk}/offer/",
        {"contract_terms": "on", "repayment_authorisation": "on", "credit_report": "on", "personal_information": "on"},
    )
    assert accepted["Location"] == "/loans/"
    application.refresh_from_db()
    assert application.status == "DISBURSING"
    loans = client.get("/loans/").content.decode()
    assert 'data-status="DISBURSING"' in loans


def test_apply_form_errors_stay_next_to_the_field_with_the_values_kept(client, borrower, cash_product):
    client.force_login(borrower.user)

    response = client.post(
        "/apply/",
        {"product": "CASH12", "amount": "999.00", "term": "6", "purpose": "CONSUMPTION", "annual_income": "91234.00"},
    )

    html = response.content.decode()
    assert "errorlist" in field_block(html, "amount")
    assert 'value="91234.00"' in html
    assert not Application.objects.exists()


def test_a_declined_application_explains_why(client, cash_product):
    applicant = factories.borrower(income="30000.00")
    client.force_login(applicant.user)

    client.post(
        "/apply/",
        {
            "product": "CASH12",
            "amount": "10000.01",
            "term": "12",
            "purpose": "CONSUMPTION",
            "annual_income": "30000.00",
        },
    )

    html = client.get(f"/applications/{Application.objects.get().pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'id="decision-reasons"' in html
    assert "10000.00" in html
    assert "10000.01" in html


def test_another_borrowers_application_page_is_404(client, borrower, cash_product):
    client.force_login(borrower.user)
    client.post(
        "/apply/",
        {"product": "CASH12", "amount": "6000.00", "term": "6", "purpose": "CONSUMPTION", "annual_income": "90000"},
    )
    application = Application.objects.get()
    client.force_login(factories.borrower(username="eve").user)

    assert client.get(f"/applications/{application.pk}/").status_code == 404
    assert client.get(f"/applications/{application.pk}/offer/").status_code == 404


@pytest.mark.parametrize(("language", "heading"), [("zh-hans", "申请借款"), ("en", "Apply for a loan")])
def test_the_apply_page_renders_in_both_languages(client, borrower, cash_product, language, heading):
    client.force_login(borrower.user)
    client.cookies["django_language"] = language

    html = client.get("/apply/").content.decode()

    assert f"<h1>{heading}</h1>" in html


def test_choosing_another_product_replaces_the_term_choices(client, borrower, cash_product):
    factories.product("LONG", terms=(24, 36))
    client.force_login(borrower.user)

    html = client.get(
        "/apply/preview/", {"product": "LONG", "amount": "5000.00", "term": "3"}, HTTP_HX_REQUEST="true"
    ).content.decode()

    assert 'hx-swap-oob="true"' in html
    assert '<option value="24" selected>' in html
    assert html.count("<tr>") == 1 + 24


def test_a_paid_out_loan_shows_servicings_schedule_and_a_repay_link(client, borrower, cash_product):
    from datetime import timedelta

    from lending import services
    from payments.models import PaymentOrder
    from tests.lending.test_acceptance import CONSENTS, MONDAY, settled

    application = services.application_submit(
        borrower_id=borrower.pk, product_code="CASH12", amount="6000.00", term=6, submitted_at=MONDAY
    )
    services.application_accept(
        application_id=application.pk,
        borrower_id=borrower.pk,
        consents=CONSENTS,
        accepted_at=MONDAY + timedelta(minutes=1),
    )
    application.refresh_from_db()
    services.disbursement_settle(
        settled(PaymentOrder.objects.get(pk=application.contract.payout_order_id), "SUCCEEDED")
    )
    client.force_login(borrower.user)

    html = client.get("/loans/").content.decode()

    assert html.count("<tr><td>") == 6
    application.contract.refresh_from_db()
    assert f"/loans/{application.contract.loan_id}/repay/" in html


def test_offers_not_accepted_in_time_expire(borrower, cash_product):
    from datetime import timedelta

    from lending import services
    from tests.lending.test_acceptance import MONDAY

    application = services.application_submit(
        borrower_id=borrower.pk, product_code="CASH12", amount="6000.00", term=6, submitted_at=MONDAY
    )

    assert services.offers_expire(now=MONDAY + timedelta(days=6)) == 0
    assert services.offers_expire(now=MONDAY + timedelta(days=8)) == 1
    application.refresh_from_db()
    assert application.status == "EXPIRED"
    assert application.events.last().action == "EXPIRED"
