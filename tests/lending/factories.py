"""Builders for origination tests: valid PRC ID numbers and bank cards, products, partners, borrowers."""

import itertools
from datetime import date
from decimal import Decimal

from django.contrib.auth import get_user_model

from lending.identity import id_number_check_code
from lending.models import Borrower, FundingPartner, Product, ProductFunding, ProductRate

_sequence = itertools.count(1)

DEFAULT_RATES = {"A": "0.108000", "B": "0.144000", "C": "0.180000", "D": "0.216000", "E": "0.230000"}


def id_number(born: date = date(1990, 5, 17), region: str = "110101", serial: int | None = None) -> str:
    serial = next(_sequence) % 1000 if serial is None else serial
    first17 = f"{region}{born:%Y%m%d}{serial:03d}"
    return first17 + id_number_check_code(first17)


def bank_card(prefix: str = "622202", length: int = 19) -> str:
    body = prefix + f"{next(_sequence):0{length - len(prefix) - 1}d}"
    total = 0
    for position, digit in enumerate(reversed(body)):
        d = int(digit)
        if position % 2 == 0:  # these become the odd positions once the check digit is appended
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return body + str((10 - total % 10) % 10)


def own_entity() -> FundingPartner:
    partner, _ = FundingPartner.objects.get_or_create(code="OWN", defaults={"name": "Our entity", "is_own": True})
    return partner


def partner_bank(code: str = "ICBC", limit: str = "100000000.00") -> FundingPartner:
    partner, _ = FundingPartner.objects.get_or_create(
        code=code, defaults={"name": f"{code} bank", "concentration_limit": Decimal(limit)}
    )
    return partner


def product(
    code: str = "CASH12",
    *,
    min_amount: str = "1000.00",
    max_amount: str = "200000.00",
    terms=(3, 6, 12),
    method: str = "EQUAL_INSTALLMENT",
    rates: dict[str, str] | None = None,
    fundings: list[tuple[FundingPartner, str]] | None = None,
    monthly_fee_rate: str = "0",
) -> Product:
    item = Product.objects.create(
        code=code,
        name=f"Cash loan {code}",
        min_amount=Decimal(min_amount),
        max_amount=Decimal(max_amount),
        terms=list(terms),
        method=method,
        monthly_fee_rate=Decimal(monthly_fee_rate),
    )
    for grade, rate in (rates or DEFAULT_RATES).items():
        ProductRate.objects.create(product=item, grade=grade, annual_rate=Decimal(rate))
    for partner, share in fundings or [(own_entity(), "1")]:
        ProductFunding.objects.create(product=item, partner=partner, share=Decimal(share))
    return item


def borrower(
    *,
    username: str | None = None,
    income: str = "90000.00",
    born: date = date(1990, 5, 17),
    is_student: bool = False,
    employment: str = "EMPLOYED",
    evidence: str = "PAYSLIP",
    characteristics: dict | None = None,
    password: str = "correct-horse-battery-9",
) -> Borrower:
    username = username or f"borrower{next(_sequence)}"
    user = get_user_model().objects.create_user(username=username, password=password)
    number = id_number(born)
    return Borrower.objects.create(
        user=user,
        full_name=f"测试 {username}",
        id_number=number,
        date_of_birth=born,
        mobile="13800138000",
        bank_card=bank_card(),
        employment=employment,
        average_annual_income=Decimal(income),
        income_evidence=evidence,
        is_student=is_student,
        characteristics=characteristics if characteristics is not None else good_characteristics(),
    )


def good_characteristics() -> dict:
    """Answers of a low-risk applicant on the demo (German credit) card: the demo borrower's."""
    from lending.management.commands.seed_demo import DEMO_BORROWER_PROFILE

    return dict(DEMO_BORROWER_PROFILE["characteristics"])


def risky_characteristics() -> dict:
    return {
        **good_characteristics(),
        "status_of_existing_checking_account": "... < 0 DM",
        "credit_history": "no credits taken/ all credits paid back duly",
        "savings_account_and_bonds": "... < 100 DM",
        "present_employment_since": "... < 1 year",
        "other_debtors_or_guarantors": "none",
        "property": "unknown / no property",
        "housing": "for free",
        "other_installment_plans": "bank",
        "installment_rate_in_percentage_of_disposable_income": 4,
    }
