"""Exact money: amounts are Decimal with at most two places, built from strings, never from floats."""

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from .errors import DomainError

CENT = Decimal("0.01")
# What a person writes for an amount: digits, at most one point. No exponent ("2e1"), no "NaN" or "Infinity".
PLAIN_DECIMAL = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")
# DecimalField(max_digits=18, decimal_places=2): sixteen digits before the point.
LIMIT = Decimal("1e16")


class InvalidAmount(DomainError):
    code = "INVALID_AMOUNT"


def money(value: object, *, field: str = "amount", allow_zero: bool = False, allow_negative: bool = False) -> Decimal:
    """Parse an amount exactly. Floats are refused: 0.1 + 0.2 has no place near a ledger."""
    if isinstance(value, (bool, float)):
        raise InvalidAmount(f"{field} must be a decimal string, not a float", field=field, value=repr(value))
    if not isinstance(value, Decimal) and not PLAIN_DECIMAL.fullmatch(str(value).strip()):
        raise InvalidAmount(f"{field} is not a number: {value!r}", field=field)
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError) as exc:
        raise InvalidAmount(f"{field} is not a number: {value!r}", field=field) from exc
    if not amount.is_finite():
        raise InvalidAmount(f"{field} must be finite", field=field)
    if abs(amount) >= LIMIT:
        raise InvalidAmount(f"{field} is too large: {value}", field=field)
    if amount != amount.quantize(CENT, rounding=ROUND_HALF_UP):
        raise InvalidAmount(f"{field} has more than two decimal places: {value}", field=field)
    if amount < 0 and not allow_negative:
        raise InvalidAmount(f"{field} must not be negative: {value}", field=field)
    if amount == 0 and not allow_zero:
        raise InvalidAmount(f"{field} must be greater than zero", field=field)
    return amount.quantize(CENT)


def round_half_up(value: Decimal, places: Decimal = CENT) -> Decimal:
    """The one rounding rule for posted amounts (DOMAIN.md §2)."""
    return value.quantize(places, rounding=ROUND_HALF_UP)
