import os
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model

from .conftest import transfer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(os.environ.get("TEST_ARTIFACTS", "test-artifacts"))


def test_accountant_reads_the_books_in_chinese_and_cannot_edit_them(page, live_server):
    get_user_model().objects.create_superuser("auditor", "auditor@example.com", "s3cret-pass")
    transfer(debit="1012.BANK_SIM", credit="1002", amount="1200.00", reference="po-1")
    transfer(debit="1303", credit="1012.BANK_SIM", amount="1200.00", reference="po-1")
    page.goto(live_server.url + "/admin/login/?next=/admin/ledger/account/")
    page.fill("#id_username", "auditor")
    page.fill("#id_password", "s3cret-pass")

    with page.expect_navigation():
        page.click("input[type=submit]")

    rows = page.locator("#result_list tbody tr")
    assert rows.count() >= 3
    assert page.get_by_text("贷款 — 本金").count() == 1  # 1303, named in Chinese
    assert page.get_by_text("1,200.00").count() + page.get_by_text("1200.00").count() >= 1
    assert page.locator(".object-tools a.addlink").count() == 0  # read-only: no "add" button
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "ledger-accounts.png"), full_page=True)
