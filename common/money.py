"""Exact money: amounts are Decimal with at most two places, built from strings, never from floats."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from .errors import DomainError

CENT = Decimal("0.01")


class InvalidAmount(DomainError):
    code = "INVALID_AMOUNT"


def money(value: object, *, field: str = "amount", allow_zero: bool = False, allow_negative: bool = False) -> Decimal:
    """Parse an amount exactly. Floats are refused: 0.1 + 0.2 has no place near a ledger."""
    if isinstance(value, (bool, float)):
        raise InvalidAmount(f"{field} must be a decimal string, not a float", field=field, value=repr(value))
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError) as exc:
        raise InvalidAmount(f"{field} is not a number: {value!r}", field=field) from exc
    if not amount.is_finite():
        raise InvalidAmount(f"{field} must be finite", field=field)
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
