"""The borrower's repay page in a real browser: what is due, the payoff quote, a payment submitted once."""

from datetime import date

import pytest

from repayment.models import Repayment
from tests.lending import factories
from tests.repayment.support import business_date_set, close_through, open_loan

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "correct-horse-battery-9"


def test_borrower_pays_an_installment_from_the_repay_page(live_server, page, tmp_path):
    borrower = factories.borrower(password=PASSWORD)
    business_date_set(date(2024, 1, 1))
    loan = open_loan(borrower_id=borrower.pk)
    close_through(date(2024, 1, 31))

    page.goto(f"{live_server.url}/accounts/login/?next=/loans/{loan.pk}/repay/")
    page.fill("input[name=username]", borrower.user.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit], input[type=submit]")
    page.wait_for_selector("#repay")
    page.screenshot(path=str(tmp_path / "repay.png"), full_page=True)  # look at it: pytest --basetemp
    quote = page.inner_text("#payoff-quote")
    page.fill("input[name=amount]", "1100.16")
    page.click("#repay-submit")
    page.wait_for_selector("ul.messages li")

    assert "12180.00" in quote  # on its due date: all the principal plus the period's whole interest
    assert "2024-02-01" in page.inner_text("#next-due")
    assert "1100.16" in page.inner_text("ul.messages")
    assert page.locator("#repayments [data-status=PENDING]").count() == 1
    assert Repayment.objects.filter(loan=loan, status="PENDING").count() == 1
