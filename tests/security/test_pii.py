"""PII — the ID number, the bank card and the mobile number — is masked on every admin list page for staff
without `lending.view_borrower_pii`, and never written to the logs on the way from sign-up to payout."""

import logging

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.urls import reverse

from lending.models import Application, Borrower
from payments.models import PaymentOrder
from payments.services import orders
from tests.lending.test_pages import signup_data
from tests.support.processes import wait_until

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("scorecard")]

CONSENTS = {
    "contract_terms": "on",
    "repayment_authorisation": "on",
    "credit_report": "on",
    "personal_information": "on",
}


@pytest.fixture
def borrower_paid_out(client, cash_product, start_simulator, settings, caplog):
    """A borrower signs up, applies, accepts, and is paid out through the real bank simulator — every log
    record kept (the channel's HTTP calls included)."""
    settings.BANK_CHANNEL_URL = start_simulator("--processing-delay", "0").url
    settings.PAYMENTS_CALLBACK_BASE_URL = "http://127.0.0.1:9"  # nobody listens: the answers and queries suffice
    caplog.set_level(logging.DEBUG)
    signup = signup_data()
    assert client.post("/signup/", signup).status_code == 302
    applied = client.post(
        "/apply/",
        {"product": "CASH12", "amount": "6000.00", "term": "6", "purpose": "CONSUMPTION", "annual_income": "120000.00"},
    )
    assert applied.status_code == 302
    application = Application.objects.get()
    assert client.post(f"/applications/{application.pk}/offer/", CONSENTS).status_code == 302
    payout = PaymentOrder.objects.get(kind="PAYOUT")
    orders.order_submit(order_id=payout.pk)  # what the submit task runs; the settlement opens the loan
    wait_until(lambda: orders.order_query(order_id=payout.pk).state == "SUCCEEDED", timeout=30, message="the payout")
    client.logout()
    return signup


def _pii(signup: dict) -> dict[str, str]:
    return {name: signup[name] for name in ("id_number", "bank_card", "mobile")}


def test_no_pii_is_logged_from_sign_up_to_payout(borrower_paid_out, caplog):
    records = caplog.get_records("setup")  # the flow ran in the fixture
    logged = "\n".join(f"{record.getMessage()} {record.args!r} {record.exc_text or ''}" for record in records)

    assert any("HTTP Request: POST" in record.getMessage() for record in records)  # the channel call was logged
    for name, value in _pii(borrower_paid_out).items():
        assert value not in logged, name


def _changelists() -> list[str]:
    return [reverse(f"admin:{m._meta.app_label}_{m._meta.model_name}_changelist") for m in admin.site._registry]


@pytest.fixture
def staff_who_may_view_everything_but_pii(django_user_model):
    user = django_user_model.objects.create_user(username="viewer", password="a-long-password-2024", is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(codename__startswith="view_").exclude(codename="view_borrower_pii")
    )
    return user


def test_admin_lists_mask_pii_for_staff_without_the_pii_permission(
    borrower_paid_out, client, staff_who_may_view_everything_but_pii
):
    client.force_login(staff_who_may_view_everything_but_pii)
    borrower = Borrower.objects.get()
    pages = {url: client.get(url) for url in _changelists()}
    pages["borrower page"] = client.get(reverse("admin:lending_borrower_change", args=[borrower.pk]))

    assert {url: page.status_code for url, page in pages.items()} == dict.fromkeys(pages, 200)
    for url, page in pages.items():
        html = page.content.decode()
        for name, value in _pii(borrower_paid_out).items():
            assert value not in html, f"{name} on {url}"
    borrower_list = pages[reverse("admin:lending_borrower_changelist")].content.decode()
    assert borrower_paid_out["id_number"][-4:] in borrower_list  # masked, not left out


def test_staff_with_the_pii_permission_see_the_numbers(borrower_paid_out, client, django_user_model):
    user = django_user_model.objects.create_user(username="kyc", password="a-long-password-2024", is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(
            codename__in=["view_borrower", "view_borrower_pii"], content_type__app_label="lending"
        )
    )
    client.force_login(user)

    html = client.get(reverse("admin:lending_borrower_changelist")).content.decode()

    assert borrower_paid_out["id_number"] in html
