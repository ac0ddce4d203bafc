"""Demo data for `make run`. Idempotent: running it again changes nothing that exists.

Creates the funding partners (our entity and two partner banks with concentration limits), three products
(one fully ours, one co-funded 30/40/30, one short bullet loan), the staff groups' users (a credit
officer, a risk analyst, an admin) and a borrower with a complete profile. Ends with one JSON line
(CONTRACT.md §4).
"""

import json
from datetime import date
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from lending.demo_history import demo_history_build
from lending.identity import id_number_check_code
from lending.models import Borrower, Contract, FundingPartner, Product, ProductFunding, ProductRate
from lending.permissions import credit_officer_group_ensure
from risk_models.services import risk_analyst_group_ensure, scorecard_demo_ensure

GROUPS = {"Credit officer": credit_officer_group_ensure, "Risk analyst": risk_analyst_group_ensure}

DEMO_USERS = {
    "borrower": {"username": "borrower", "password": "demo-borrower-2024", "is_staff": False},
    "officer": {"username": "officer", "password": "demo-officer-2024", "is_staff": True, "group": "Credit officer"},
    "analyst": {"username": "analyst", "password": "demo-analyst-2024", "is_staff": True, "group": "Risk analyst"},
    "admin": {"username": "admin", "password": "demo-admin-2024", "is_staff": True, "is_superuser": True},
}

PARTNERS = [
    {"code": "OWN", "name": "本公司 (own funds)", "is_own": True, "concentration_limit": None},
    {"code": "ICBC", "name": "工商银行 ICBC", "is_own": False, "concentration_limit": Decimal("50000000.00")},
    {"code": "CMB", "name": "招商银行 CMB", "is_own": False, "concentration_limit": Decimal("20000000.00")},
]

PRODUCTS = [
    {
        "code": "QUICK_CASH",
        "name": "随借随还 Quick cash",
        "min_amount": Decimal("1000.00"),
        "max_amount": Decimal("50000.00"),
        "terms": [3, 6, 12],
        "method": "EQUAL_INSTALLMENT",
        "rates": {"A": "0.108000", "B": "0.144000", "C": "0.180000", "D": "0.216000"},
        "fundings": {"OWN": "1"},
    },
    {
        "code": "PARTNER_FLEX",
        "name": "联合贷 Partner flex",
        "min_amount": Decimal("10000.00"),
        "max_amount": Decimal("200000.00"),
        "terms": [12, 24, 36],
        "method": "EQUAL_PRINCIPAL",
        "rates": {"A": "0.096000", "B": "0.120000", "C": "0.156000", "D": "0.198000"},
        "fundings": {"OWN": "0.3", "ICBC": "0.4", "CMB": "0.3"},
    },
    {
        "code": "SALARY_BRIDGE",
        "name": "工资周转 Salary bridge",
        "min_amount": Decimal("1000.00"),
        "max_amount": Decimal("20000.00"),
        "terms": [1, 2, 3],
        "method": "BULLET",
        "rates": {"A": "0.120000", "B": "0.150000", "C": "0.180000", "D": "0.230000"},
        "fundings": {"OWN": "1"},
        "day_count": "ACT/365",
    },
]

DEMO_BORROWER_PROFILE = {
    "full_name": "王小明",
    "born": date(1988, 3, 12),
    "mobile": "13912345678",
    "bank_card": "6222020200112233446",
    "employment": "EMPLOYED",
    "employer_name": "示例科技有限公司",
    "average_annual_income": Decimal("180000.00"),
    "income_evidence": "TAX_RECORD",
    "characteristics": {
        "status_of_existing_checking_account": "no checking account",
        "credit_history": "critical account/ other credits existing (not at this bank)",
        "purpose": "radio/television",
        "savings_account_and_bonds": "... >= 1000 DM",
        "present_employment_since": "... >= 7 years",
        "installment_rate_in_percentage_of_disposable_income": 2,
        "other_debtors_or_guarantors": "guarantor",
        "present_residence_since": 4,
        "property": "real estate",
        "other_installment_plans": "none",
        "housing": "own",
        "number_of_existing_credits_at_this_bank": 1,
        "job": "skilled employee / official",
        "number_of_people_being_liable_to_provide_maintenance_for": 1,
        "telephone": "yes, registered under the customers name",
    },
}


def demo_id_number(born: date) -> str:
    first17 = f"110105{born:%Y%m%d}027"
    return first17 + id_number_check_code(first17)


DEFAULT_DEMO_LOANS = 2000


class Command(BaseCommand):
    help = (
        "Create the demo users, partners, products and borrower profile, then 18 months of loan history driven "
        "through the real services, payment core, simulator and close-of-business (idempotent)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--loans", type=int, default=DEFAULT_DEMO_LOANS, help="loans disbursed over the history (0: none)"
        )
        parser.add_argument("--seed", type=int, default=20240101, help="random seed: the same seed, the same book")

    def handle(self, *args, **options):
        with transaction.atomic():
            users = self._users()
            self._partners()
            products = self._products()
            self._borrower(users["borrower"])
        self._scorecard()
        history = demo_history_build(loans=options["loans"], seed=options["seed"])
        logins = {role: {"username": s["username"], "password": s["password"]} for role, s in DEMO_USERS.items()}
        loans = Contract.objects.filter(loan_id__isnull=False).count()
        self.stdout.write(json.dumps({"users": logins, "products": products, "loans": loans, "history": history}))

    def _users(self) -> dict:
        user_model = get_user_model()
        users = {}
        for role, spec in DEMO_USERS.items():
            user, created = user_model.objects.get_or_create(
                username=spec["username"],
                defaults={"is_staff": spec["is_staff"], "is_superuser": spec.get("is_superuser", False)},
            )
            if created:
                user.set_password(spec["password"])
                user.save(update_fields=["password"])
            if spec.get("group"):
                user.groups.add(GROUPS[spec["group"]]())
            users[role] = user
        return users

    def _partners(self) -> None:
        for spec in PARTNERS:
            FundingPartner.objects.get_or_create(
                code=spec["code"], defaults={k: v for k, v in spec.items() if k != "code"}
            )

    def _products(self) -> list[str]:
        partners = {p.code: p for p in FundingPartner.objects.all()}
        for spec in PRODUCTS:
            fields = {k: v for k, v in spec.items() if k not in ("code", "rates", "fundings")}
            product, created = Product.objects.get_or_create(code=spec["code"], defaults=fields)
            if not created:
                continue
            for grade, rate in spec["rates"].items():
                ProductRate.objects.create(product=product, grade=grade, annual_rate=Decimal(rate))
            for code, share in spec["fundings"].items():
                ProductFunding.objects.create(product=product, partner=partners[code], share=Decimal(share))
        return [spec["code"] for spec in PRODUCTS]

    def _borrower(self, user) -> None:
        if Borrower.objects.filter(user=user).exists():
            return
        profile = dict(DEMO_BORROWER_PROFILE)
        born = profile.pop("born")
        Borrower.objects.create(user=user, id_number=demo_id_number(born), date_of_birth=born, **profile)

    def _scorecard(self) -> None:
        """The application form asks what the active card scores: train and activate the demo card if none is."""
        scorecard_demo_ensure()
