"""What browser tests do on the borrower pages more than once."""

from tests.lending import factories


def signup_form_fill(page, live_server, *, username: str, password: str, mobile: str, income: str, evidence: str):
    """Open the sign-up page and fill every field — KYC and the active card's questions — for a new borrower."""
    page.goto(live_server.url + "/signup/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.fill("#id_full_name", "李四")
    page.fill("#id_id_number", factories.id_number())
    page.fill("#id_mobile", mobile)
    page.fill("#id_bank_card", factories.bank_card())
    page.select_option("#id_employment", "EMPLOYED")
    page.fill("#id_average_annual_income", income)
    page.select_option("#id_income_evidence", evidence)
    for name, value in factories.good_characteristics().items():
        selector = f"#id_characteristic__{name}"
        if page.locator(selector).count():
            if page.locator(selector).evaluate("e => e.tagName") == "SELECT":
                page.select_option(selector, str(value))
            else:
                page.fill(selector, str(value))
