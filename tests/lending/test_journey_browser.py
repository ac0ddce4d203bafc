"""The whole journey in a browser: sign up, apply (watching the preview), accept, paid out through the real
bank simulator by a real worker, loan and schedule shown; a credit officer approves a referral in admin."""

import os
from decimal import Decimal
from pathlib import Path

import pytest

from lending import services
from lending.models import Application
from lending.permissions import credit_officer_group_ensure
from tests.lending import factories
from tests.lending.browser import signup_form_fill
from tests.payments.conftest import bank_simulator
from tests.support.processes import celery_worker, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(os.environ.get("TEST_ARTIFACTS", "test-artifacts"))


@pytest.fixture
def payment_rails(channel_settings, tmp_path, scorecard):
    """The real bank simulator and a real Celery worker, both pointed at this live server."""
    from config.celery import app

    with bank_simulator(tmp_path / "bank") as simulator:
        values = channel_settings(simulator)
        app.control.purge()
        with celery_worker(extra_env=values, hostname="origination"):
            yield simulator


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"lending-{name}.png"), full_page=True)


def test_a_borrower_signs_up_applies_accepts_and_sees_the_loan_paid_out(page, live_server, payment_rails):
    factories.product("CASH12", min_amount="1000.00", max_amount="50000.00", terms=(3, 6, 12))
    signup_form_fill(
        page, live_server, username="journey", password="journey-password-2024", mobile="13700001111",
        income="150000.00", evidence="TAX_RECORD",
    )  # fmt: skip
    shot(page, "signup")
    page.click("#signup-submit")
    page.wait_for_url("**/apply/")

    page.select_option("#id_term", "3")
    page.fill("#id_amount", "3000.00")
    page.wait_for_function("document.querySelectorAll('#preview-schedule tbody tr').length === 3")
    small_cost = page.inner_text("#preview-total-cost")
    page.select_option("#id_term", "12")
    page.fill("#id_amount", "12000.00")
    page.wait_for_function("document.querySelectorAll('#preview-schedule tbody tr').length === 12")
    page.wait_for_function(f"document.querySelector('#preview-total-cost').innerText !== {small_cost!r}")
    assert "%" in page.inner_text("#preview-apr")
    shot(page, "apply")
    page.click("#apply-submit")
    page.wait_for_url("**/applications/*/")
    shot(page, "decision")
    page.click("#see-offer")

    apr_box = page.locator("#contract-apr").bounding_box()
    principal_box = page.locator("#contract-principal").bounding_box()
    assert apr_box["y"] < principal_box["y"]
    page.click("#accept-submit")  # without the consents: refused, next to each box
    assert page.locator("#field-credit_report .errorlist").is_visible()
    for name in ("contract_terms", "repayment_authorisation", "credit_report", "personal_information"):
        page.check(f"#id_{name}")
    shot(page, "offer")
    page.click("#accept-submit")
    page.wait_for_url("**/loans/")

    application = Application.objects.get(borrower__user__username="journey")
    wait_until(
        lambda: Application.objects.get(pk=application.pk).status == "DISBURSED",
        timeout=60,
        interval=0.25,
        message="the payout to settle and the loan to open",
    )
    page.reload()
    assert page.locator(f"#application-{application.pk} [data-status='DISBURSED']").is_visible()
    assert page.locator(f"#application-{application.pk} table.schedule tbody tr").count() == 12
    shot(page, "loans")
    contract = Application.objects.get(pk=application.pk).contract
    assert [order["amount"] for order in payment_rails.orders()] == [str(contract.principal)]
    assert contract.loan_id is not None
    assert contract.principal == Decimal("12000.00")


def test_a_credit_officer_approves_a_referred_application_in_admin(page, live_server, scorecard):
    product = factories.product("CASH12")
    applicant = factories.borrower(income="260000.00", evidence="SELF_DECLARED")
    application = services.application_submit(
        borrower_id=applicant.pk, product_code=product.code, amount="8000.00", term=12, annual_income="260000.00"
    )
    assert application.status == "IN_REVIEW"
    from django.contrib.auth import get_user_model

    officer = get_user_model().objects.create_user(username="officer1", password="officer-pass-2024", is_staff=True)
    officer.groups.add(credit_officer_group_ensure())

    page.goto(live_server.url + "/admin/login/")
    page.fill("#id_username", "officer1")
    page.fill("#id_password", "officer-pass-2024")
    page.click("input[type=submit]")
    page.goto(live_server.url + "/admin/lending/applicationinreview/")
    page.click(f"text={application.reference}")
    assert applicant.id_number not in page.content()
    page.click("#review-approve")
    page.click("#review-action-submit")  # no reason: the form says so and nothing changes
    assert page.locator(".errorlist").first.is_visible()
    page.select_option("#id_reason_code", "INCOME_VERIFIED")
    page.fill("#id_note", "Tax records for three years checked.")
    shot(page, "officer-approve")
    page.click("#review-action-submit")
    page.wait_for_url("**/admin/lending/applicationinreview/")

    application.refresh_from_db()
    assert (application.status, application.outcome) == ("DECIDED", "APPROVED")
    assert application.events.last().actor == officer


@pytest.mark.parametrize(("language", "apply_label"), [("zh-hans", "申请借款"), ("en", "Apply")])
def test_borrower_pages_render_in_both_languages(page, live_server, scorecard, language, apply_label):
    factories.product("CASH12")
    factories.borrower(username="bilingual")
    page.goto(live_server.url + "/accounts/login/")
    page.select_option("#language-select", language)
    page.wait_for_load_state()
    page.fill("#id_username", "bilingual")
    page.fill("#id_password", "correct-horse-battery-9")
    page.click("#login-form button[type=submit]")
    page.goto(live_server.url + "/apply/")

    assert page.locator("html").get_attribute("lang") == language
    assert page.inner_text("#nav-apply") == apply_label
    shot(page, f"apply-{language}")
