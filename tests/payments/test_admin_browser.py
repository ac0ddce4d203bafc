"""An operator resolves a reconciliation case in a real browser (zh-hans admin)."""

import os
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth.models import User

from ledger.selectors import account_balance
from payments import services
from payments.models import PaymentCase
from tests.payments.factories import new_payout

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SCREENSHOTS = os.environ.get("PAYMENTS_SCREENSHOTS")  # a directory, to look at the pages


def shoot(page, name: str) -> None:
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SCREENSHOTS) / f"{name}.png"), full_page=True)


def test_an_operator_clears_a_short_case_from_the_case_list(page, live_server, captured_tasks, channel, settled_here):
    order = new_payout("browser-1", "150.00")
    services.order_submit(order_id=order.pk)
    order.refresh_from_db()
    services.reconciliation_run(
        channel="BANK_SIM", statement_date=order.finalized_at.date(), statement_text="serial,amount,status,settled_at\n"
    )
    User.objects.create_superuser("ops", "ops@example.com", "ops-password")

    page.goto(live_server.url + "/admin/login/?next=/admin/payments/paymentcase/")
    page.fill("#id_username", "ops")
    page.fill("#id_password", "ops-password")
    page.click("input[type=submit]")
    shoot(page, "case-list")
    page.click('td a[href$="/resolve/"]')
    page.select_option("#id_counter_account", "1002")
    page.fill("#id_note", "银行次日入账，已核实")
    shoot(page, "case-resolve")
    page.click("input[type=submit]")
    shoot(page, "case-resolved")

    case = PaymentCase.objects.get()
    assert case.status == "RESOLVED"
    assert case.resolution_account == "1002"
    assert account_balance(account="1901.BANK_SIM") == Decimal("0.00")
