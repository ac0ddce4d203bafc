"""The whole life of a loan in a browser, on business dates that are data.

A borrower signs up and applies (self-declared high income: referred); a credit officer approves the case in
admin; the borrower accepts and is paid out through the real bank simulator by a real Celery worker;
close-of-business runs night after night (`run_cob --date D`; a quiet month inline with --sync, the nights
that matter on the worker, one date a night as the nightly task closes them); from the first due date the
borrower's account is empty and the auto-debit of the due date and of each retry day fails at the bank; a week
late the borrower tops up and pays on the loan page, which shows the days past due, the penalty and then the
cure; the risk dashboards count the loan; the bank's statement of every day it booked something reconciles
clean.

The business dates are data: the bank books each payment on the business day it was made
(`tests.e2e.bank_clock`), never on the wall clock. Each step leaves a screenshot under TEST_ARTIFACTS
(lending-journey-*.png).
"""

import json
from collections import Counter
from datetime import date, timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.management import call_command

from ledger.selectors import account_balance, trial_balance
from lending.models import Application
from lending.permissions import credit_officer_group_ensure
from payments.models import PaymentCase, PaymentOrder, ReconciliationRun
from repayment.conf import auto_debit_retry_dpds as retry_dpds
from repayment.models import BusinessDate, DebitAgreement, Installment, Loan, LoanEvent, Repayment
from tests.lending import factories
from tests.lending.browser import signup_form_fill
from tests.lending.test_journey_browser import shot
from tests.support.processes import wait_until

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

BUSINESS_DATE_BEFORE = date(2024, 3, 14)  # closed before the borrower arrives
PAID_OUT_ON = date(2024, 3, 15)
FIRST_DUE_ON = date(2024, 4, 15)
LAST_LATE_NIGHT = date(2024, 4, 22)  # the seventh night past due: DPD 7, penalty since the grace days ended
REPAID_ON = date(2024, 4, 23)
EMPTY_ACCOUNT = "SIM:FAIL:1001"  # the simulator answers 1001 (insufficient funds) for it
CHANNEL = "BANK_SIM"
ONE_DAY = timedelta(days=1)
PASSWORD = "journey-password-2024"


def days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def staff(username: str, *, group=None, permission: str | None = None):
    user = get_user_model().objects.create_user(username=username, password=PASSWORD, is_staff=True)
    if group is not None:
        user.groups.add(group)
    if permission is not None:
        app_label, codename = permission.split(".")
        user.user_permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    return user


def admin_sign_in(page, live_server, username: str) -> None:
    page.goto(live_server.url + "/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url("**/admin/")


def close_business_day(bank, day: date, *options: str) -> dict:
    """One night (or every night up to ``day``): the bank books the next day's payments, close-of-business
    runs on the worker (or inline with "--sync"), and an auto-debit it asked for comes back from the bank."""
    bank.book_on(day + ONE_DAY)
    out = StringIO()
    call_command("run_cob", "--date", day.isoformat(), "--timeout", "60", *options, stdout=out)
    wait_until(
        lambda: not Repayment.objects.filter(status=Repayment.Status.PENDING).exists(),
        timeout=30,
        interval=0.1,
        message=f"the auto-debit of {day} to come back from the bank",
    )
    return json.loads(out.getvalue())


def figure(page, selector: str) -> Decimal:
    return Decimal(page.inner_text(selector).strip().lstrip("¥").replace(",", ""))


def sign_up_and_apply(page, live_server) -> Application:
    """Self-declared income above the policy's limit: the engine refers the application to an officer."""
    signup_form_fill(
        page,
        live_server,
        username="late-payer",
        password=PASSWORD,
        mobile="13700002222",
        income="260000.00",
        evidence="SELF_DECLARED",
    )
    shot(page, "journey-01-signup")
    page.click("#signup-submit")
    page.wait_for_url("**/apply/")
    page.select_option("#id_term", "12")
    page.fill("#id_amount", "8000.00")
    page.wait_for_function("document.querySelectorAll('#preview-schedule tbody tr').length === 12")
    shot(page, "journey-02-apply")
    page.click("#apply-submit")
    page.wait_for_url("**/applications/*/")
    application = Application.objects.get(borrower__user__username="late-payer")
    assert application.status == "IN_REVIEW"
    assert page.locator("#see-offer").count() == 0
    shot(page, "journey-03-referred")
    return application


def officer_approves(browser, live_server, application: Application) -> None:
    officer = staff("officer-e2e", group=credit_officer_group_ensure())
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    try:
        page = context.new_page()
        page.set_default_timeout(15_000)
        admin_sign_in(page, live_server, officer.username)
        page.goto(live_server.url + "/admin/lending/applicationinreview/")
        page.click(f"text={application.reference}")
        page.click("#review-approve")
        page.select_option("#id_reason_code", "INCOME_VERIFIED")
        page.fill("#id_note", "Income confirmed by phone with the employer.")
        shot(page, "journey-04-officer-approves")
        page.click("#review-action-submit")
        page.wait_for_url("**/admin/lending/applicationinreview/")
    finally:
        context.close()
    application.refresh_from_db()
    assert (application.status, application.outcome) == ("DECIDED", "APPROVED")
    assert application.events.last().actor == officer


def borrower_accepts(page, live_server, application: Application) -> Loan:
    page.goto(f"{live_server.url}/applications/{application.pk}/")
    page.click("#see-offer")
    for name in ("contract_terms", "repayment_authorisation", "credit_report", "personal_information"):
        page.check(f"#id_{name}")
    shot(page, "journey-05-offer")
    page.click("#accept-submit")
    page.wait_for_url("**/loans/")
    wait_until(
        lambda: Application.objects.get(pk=application.pk).status == "DISBURSED",
        timeout=60,
        interval=0.1,
        message="the payout to settle and the loan to open",
    )
    page.reload()
    assert page.locator(f"#application-{application.pk} [data-status='DISBURSED']").is_visible()
    shot(page, "journey-06-paid-out")
    return Loan.objects.get(pk=Application.objects.get(pk=application.pk).contract.loan_id)


def test_a_borrower_pays_late_is_cured_counted_on_the_dashboards_and_the_bank_reconciles(
    page, browser, live_server, bank_rails
):
    bank = bank_rails
    factories.product("CASH12", min_amount="1000.00", max_amount="50000.00", terms=(3, 6, 12))
    BusinessDate.objects.update_or_create(pk=1, defaults={"business_date": BUSINESS_DATE_BEFORE})
    bank.book_on(PAID_OUT_ON)

    # Apply → referred → approved by an officer in admin → accepted → paid out.
    application = sign_up_and_apply(page, live_server)
    officer_approves(browser, live_server, application)
    loan = borrower_accepts(page, live_server, application)
    assert (loan.disbursed_on, loan.first_due_on, loan.principal) == (PAID_OUT_ON, FIRST_DUE_ON, Decimal("8000.00"))
    card = loan.debit_account
    assert DebitAgreement.objects.get(loan=loan).account == card

    # A quiet month of nights up to the eve of the first due date: one inline run catches every date up.
    figures = close_business_day(bank, FIRST_DUE_ON - ONE_DAY, "--sync")
    assert figures["dates_closed"][0] == PAID_OUT_ON.isoformat()
    assert figures["dates_closed"][-1] == (FIRST_DUE_ON - ONE_DAY).isoformat()
    page.goto(f"{live_server.url}/loans/")
    page.click(f"#application-{application.pk} a[href$='/loans/{loan.pk}/repay/']")
    page.wait_for_url(f"**/loans/{loan.pk}/repay/")
    loan_page = page.url
    assert page.inner_text("#dpd").strip() == "0"
    shot(page, "journey-07-before-the-due-date")

    # The due date comes with an empty account (the auto-debit takes the debit agreement's): the debit of the
    # due date and of each retry day fails at the bank; one night at a time, each debit back before the next.
    DebitAgreement.objects.filter(loan=loan).update(account=EMPTY_ACCOUNT)
    Loan.objects.filter(pk=loan.pk).update(debit_account=EMPTY_ACCOUNT)
    for night in days(FIRST_DUE_ON, LAST_LATE_NIGHT):
        close_business_day(bank, night)
    auto_debits = Repayment.objects.filter(loan=loan, source=Repayment.Source.AUTO_DEBIT).order_by("requested_on")
    retry_days = [day for day in days(FIRST_DUE_ON, LAST_LATE_NIGHT) if (day - FIRST_DUE_ON).days in retry_dpds()]
    assert [r.requested_on for r in auto_debits] == [FIRST_DUE_ON, *retry_days]
    assert {r.status for r in auto_debits} == {Repayment.Status.FAILED}
    assert LoanEvent.objects.filter(loan=loan, kind=LoanEvent.Kind.COLLECTION_FAILED).count() == len(auto_debits)
    assert {o["account"] for o in bank.orders() if o["kind"] == "COLLECTION"} == {EMPTY_ACCOUNT}

    loan.refresh_from_db()
    assert (loan.dpd, loan.bucket) == (7, "M1")
    assert loan.penalty_outstanding > 0
    page.goto(loan_page)
    assert page.inner_text("#dpd").strip() == "7"
    assert figure(page, "#penalty-outstanding") == loan.penalty_outstanding
    first = page.locator("#schedule tbody tr").first
    assert "installment-due" in first.get_attribute("class")
    assert Decimal(first.locator("td").nth(4).inner_text()) == loan.penalty_outstanding
    assert page.locator("#repayments [data-status='FAILED']").count() == len(auto_debits)
    shot(page, "journey-08-overdue")

    # The borrower tops the card up and pays what the page says is due today, penalty to today included.
    DebitAgreement.objects.filter(loan=loan).update(account=card)
    Loan.objects.filter(pk=loan.pk).update(debit_account=card)
    bank.book_on(REPAID_ON)
    page.reload()
    due_today = figure(page, "#due-today")
    assert due_today > loan.overdue_amount  # a day's more penalty than last night's figure
    page.fill("#id_amount", str(due_today))
    shot(page, "journey-09-repay")
    page.click("#repay-submit")
    page.wait_for_selector("ul.messages li.success")
    shot(page, "journey-10-payment-submitted")
    wait_until(
        lambda: Repayment.objects.filter(loan=loan, source=Repayment.Source.BORROWER, status="SUCCEEDED").exists(),
        timeout=30,
        interval=0.1,
        message="the borrower's payment to be collected",
    )
    repayment = Repayment.objects.get(loan=loan, source=Repayment.Source.BORROWER)
    assert (repayment.amount, repayment.value_date, repayment.overpayment) == (due_today, REPAID_ON, Decimal("0.00"))
    first_installment = loan.installments.get(number=1)
    assert (first_installment.status, first_installment.paid_on) == (Installment.Status.PAID, REPAID_ON)
    assert first_installment.penalty_paid == first_installment.penalty_accrued > 0
    page.reload()
    assert page.inner_text("#dpd").strip() == "0"
    assert figure(page, "#penalty-outstanding") == Decimal("0.00")
    assert page.locator("#schedule tbody tr").first.get_attribute("class") == "installment-paid"
    shot(page, "journey-11-cured")

    # The night after: the cure is in the books' snapshot; the dashboards count the late loan.
    close_business_day(bank, REPAID_ON)
    loan.refresh_from_db()
    assert (loan.dpd, loan.max_dpd, loan.first_installment_max_dpd) == (0, 7, 7)
    for as_of in (LAST_LATE_NIGHT, REPAID_ON):
        call_command("compute_indicators", "--date", as_of.isoformat(), stdout=StringIO())
    staff("analyst-e2e", permission="risk_models.view_analytics")
    page.context.clear_cookies()
    admin_sign_in(page, live_server, "analyst-e2e")

    page.goto(f"{live_server.url}/dashboards/?date_to={LAST_LATE_NIGHT.isoformat()}")
    page.click("#panel-dpd_buckets summary")
    page.click("#panel-overdue summary")
    assert table_rows(page, "dpd_buckets", LAST_LATE_NIGHT) == [[LAST_LATE_NIGHT.isoformat(), "M1", "1", "100.00%"]]
    overdue = [row for row in table_rows(page, "overdue", LAST_LATE_NIGHT) if row[1].startswith("DPD1+")]
    assert [row[2:4] for row in overdue] == [["1", "1"]]  # overdue loans, loans
    dashboard_shot(page, "journey-12-dashboard-overdue")

    page.goto(f"{live_server.url}/dashboards/")
    page.click("#panel-dpd_buckets summary")
    page.click("#panel-fpd summary")
    assert table_rows(page, "dpd_buckets", REPAID_ON) == [[REPAID_ON.isoformat(), "C", "1", "100.00%"]]
    assert [row[:4] for row in table_rows(page, "fpd", None) if row[1] == "FPD7"] == [["2024-03", "FPD7", "1", "1"]]
    dashboard_shot(page, "journey-13-dashboard-cured")

    # Every day the bank booked something reconciles clean: nothing long, short or mismatched, no suspense.
    booked_per_day = Counter(date.fromisoformat(order["settled_at"][:10]) for order in bank.orders())
    debit_days = [r.requested_on for r in auto_debits]
    assert sorted(booked_per_day) == sorted({PAID_OUT_ON, REPAID_ON, *(day + ONE_DAY for day in debit_days)})
    for day, orders in sorted(booked_per_day.items()):
        out = StringIO()
        call_command("reconcile", "--channel", CHANNEL, "--date", day.isoformat(), stdout=out)
        clean = {"matched": orders, "long": 0, "short": 0, "amount_mismatch": 0, "status_mismatch": 0}
        assert json.loads(out.getvalue()) == {**clean, "cases_opened": 0}, day
    assert booked_per_day[REPAID_ON] == 2  # the last failed auto-debit and the borrower's payment
    settled = ReconciliationRun.objects.get(channel=CHANNEL, statement_date=REPAID_ON).collections_settled
    assert settled == due_today  # the day's collections handed over to the bank: the borrower's payment
    assert not PaymentCase.objects.exists()
    assert account_balance(account=f"1901.{CHANNEL}") == account_balance(account=f"2902.{CHANNEL}") == 0
    assert not PaymentOrder.objects.filter(reconciled_on__isnull=True).exists()
    assert trial_balance().balanced
    ops = get_user_model().objects.create_superuser("ops-e2e", password=PASSWORD)
    page.context.clear_cookies()
    admin_sign_in(page, live_server, ops.username)
    page.goto(f"{live_server.url}/admin/payments/reconciliationrun/")
    assert page.locator("#result_list tbody tr").count() == len(booked_per_day)
    shot(page, "journey-14-reconciled")


def dashboard_shot(page, name: str) -> None:
    """From the top: the filter bar sticks to the viewport, and would cover a table in a full-page shot."""
    page.evaluate("window.scrollTo(0, 0)")
    shot(page, name)


def table_rows(page, panel: str, on: date | None) -> list[list[str]]:
    """A dashboard table's rows (of one date, when given), cut to the cells the assertions read."""
    rows = page.locator(f"#table-{panel} tbody tr").evaluate_all(
        "rows => rows.map(r => Array.from(r.cells).map(c => c.innerText.trim()))"
    )
    if panel == "dpd_buckets":
        rows = [[*row[:3], row[5]] for row in rows]
    return [row for row in rows if on is None or row[0] == on.isoformat()]
