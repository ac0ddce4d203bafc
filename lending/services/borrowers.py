"""Sign-up: a user account and its borrower profile (KYC facts and scorecard answers) in one transaction."""

from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model, password_validation
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from common.money import InvalidAmount, money

from ..exceptions import InvalidFields
from ..identity import (
    birth_date_from_id_number,
    id_number_is_valid,
    luhn_is_valid,
    mobile_is_valid,
    normalise_id_number,
)
from ..models import Borrower, Employment, IncomeEvidence
from ..scoring import characteristic_errors

PROFILE_FIELDS = (
    "full_name",
    "id_number",
    "mobile",
    "bank_card",
    "employment",
    "employer_name",
    "average_annual_income",
    "income_evidence",
    "is_student",
    "monthly_debt_payments",
    "characteristics",
)


def _profile_errors(profile: dict[str, Any], *, borrower_id: int | None = None) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not (profile.get("full_name") or "").strip():
        errors["full_name"] = [_("Enter your full name as on your ID card.")]
    id_number = normalise_id_number(profile.get("id_number", ""))
    if not id_number_is_valid(id_number):
        errors["id_number"] = [_("This is not a valid 18-digit resident ID number.")]
    elif Borrower.objects.filter(id_number=id_number).exclude(pk=borrower_id).exists():
        errors["id_number"] = [_("An account with this ID number already exists.")]
    if not mobile_is_valid(profile.get("mobile", "")):
        errors["mobile"] = [_("Enter an 11-digit mainland mobile number.")]
    if not luhn_is_valid(profile.get("bank_card", "")):
        errors["bank_card"] = [_("This bank card number is not valid.")]
    if profile.get("employment") not in Employment.values:
        errors["employment"] = [_("Choose your employment.")]
    if profile.get("income_evidence") not in IncomeEvidence.values:
        errors["income_evidence"] = [_("Choose how your income can be shown.")]
    for name in ("average_annual_income", "monthly_debt_payments"):
        value = profile.get(name, "0" if name == "monthly_debt_payments" else None)
        try:
            money(value, field=name, allow_zero=True)
        except InvalidAmount:
            errors[name] = [_("Enter an amount in yuan, such as 96000.00.")]
    errors.update(characteristic_errors(profile.get("characteristics") or {}))
    return errors


def _clean_profile(profile: dict[str, Any]) -> dict[str, Any]:
    id_number = normalise_id_number(profile["id_number"])
    return {
        "full_name": profile["full_name"].strip(),
        "id_number": id_number,
        "date_of_birth": birth_date_from_id_number(id_number),
        "mobile": profile["mobile"].strip(),
        "bank_card": profile["bank_card"].replace(" ", ""),
        "employment": profile["employment"],
        "employer_name": (profile.get("employer_name") or "").strip(),
        "average_annual_income": money(profile["average_annual_income"], allow_zero=True),
        "income_evidence": profile["income_evidence"],
        "is_student": bool(profile.get("is_student")),
        "monthly_debt_payments": money(profile.get("monthly_debt_payments") or Decimal("0"), allow_zero=True),
        "characteristics": dict(profile.get("characteristics") or {}),
    }


@transaction.atomic(durable=True)
def borrower_register(*, username: str, password: str, email: str = "", **profile: Any) -> Borrower:
    """Create the log-in and the KYC profile; every invalid field is reported at once."""
    user_model = get_user_model()
    errors = _profile_errors(profile)
    username = (username or "").strip()
    if not username:
        errors["username"] = [_("Choose a user name.")]
    elif user_model.objects.filter(username__iexact=username).exists():
        errors["username"] = [_("This user name is taken.")]
    try:
        password_validation.validate_password(password, user_model(username=username, email=email))
    except ValidationError as exc:
        errors["password"] = list(exc.messages)
    if errors:
        raise InvalidFields(errors)
    user = user_model.objects.create_user(username=username, password=password, email=email)
    return Borrower.objects.create(user=user, **_clean_profile(profile))


@transaction.atomic(durable=True)
def borrower_profile_update(*, borrower_id: int, **profile: Any) -> Borrower:
    borrower = Borrower.objects.select_for_update(of=("self",)).get(pk=borrower_id)
    merged = {name: getattr(borrower, name) for name in PROFILE_FIELDS} | profile
    errors = _profile_errors(
        {k: str(v) if isinstance(v, Decimal) else v for k, v in merged.items()}, borrower_id=borrower_id
    )
    if errors:
        raise InvalidFields(errors)
    for name, value in _clean_profile(merged).items():
        setattr(borrower, name, value)
    borrower.save()
    return borrower
