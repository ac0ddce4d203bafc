"""Input checks shared by the money-math modules: refuse a bad input early, never compute a wrong number.

Amounts are Decimals (or decimal strings/ints) with at most two places; floats are refused outright
because 0.1 + 0.2 has no place near a ledger. Rates are fractions in [0, 1) with at most six places, the
precision a rate is stored with (DecimalField(9, 6)), so a schedule can always be recomputed from what
was stored.
"""

from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from .exceptions import (
    InvalidAmount,
    InvalidDate,
    InvalidInput,
    InvalidRate,
    InvalidTerm,
    RepaymentError,
    _,
)

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
MAX_TERM_MONTHS = 360
# Far above any loan; it keeps every product of amounts and rates inside the 28-digit decimal context.
MAX_AMOUNT = Decimal("1000000000000.00")
RATE_PLACES = 6


def parse_decimal(value: object, *, field: str, error: type[RepaymentError]) -> Decimal:
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, bool | float):
        raise error(
            _("%(field)s must be a decimal string or Decimal, not a float") % {"field": field},
            field=field,
            reason="FLOAT",
            value=repr(value),
        )
    elif isinstance(value, int | str):
        try:
            number = Decimal(value.strip() if isinstance(value, str) else value)
        except InvalidOperation as exc:
            raise error(
                _("%(field)s is not a number: %(value)s") % {"field": field, "value": value},
                field=field,
                reason="NOT_A_NUMBER",
            ) from exc
    else:
        raise error(
            _("%(field)s is not a number: %(value)s") % {"field": field, "value": repr(value)},
            field=field,
            reason="NOT_A_NUMBER",
        )
    if not number.is_finite():
        raise error(_("%(field)s must be a finite number") % {"field": field}, field=field, reason="NOT_A_NUMBER")
    return number


def parse_amount(value: object, *, field: str, allow_zero: bool = False) -> Decimal:
    """An amount in yuan with at most two decimals, greater than zero (or ≥ 0 with ``allow_zero``)."""
    # The common case, kept cheap for the hot paths (schedules, APR): a well-formed Decimal.
    if (
        type(value) is Decimal
        and value.is_finite()
        and (value > 0 or (allow_zero and value == 0))
        and value <= MAX_AMOUNT
        and value == (exact := value.quantize(CENT))
    ):
        return exact
    number = parse_decimal(value, field=field, error=InvalidAmount)
    if abs(number) > MAX_AMOUNT:
        raise InvalidAmount(
            _("%(field)s is too large: %(value)s") % {"field": field, "value": value},
            field=field,
            reason="TOO_LARGE",
        )
    if number.as_tuple().exponent < -2 and number != number.quantize(CENT):
        raise InvalidAmount(
            _("%(field)s has more than two decimal places: %(value)s") % {"field": field, "value": value},
            field=field,
            reason="TOO_MANY_DECIMALS",
        )
    if number < 0 or (number == 0 and not allow_zero):
        message = (_("%(field)s must not be negative") if allow_zero else _("%(field)s must be greater than zero")) % {
            "field": field
        }
        raise InvalidAmount(message, field=field, reason="NOT_POSITIVE", value=str(number))
    return number.quantize(CENT)


def parse_rate(value: object, *, field: str) -> Decimal:
    """An annual rate as a fraction: 0 ≤ rate < 1, at most six decimals ("0.180000" is 18%)."""
    number = parse_decimal(value, field=field, error=InvalidRate)
    if number < 0 or number >= 1:
        raise InvalidRate(
            _("%(field)s must be at least 0 and below 1 (a fraction, 0.18 for 18%%): %(value)s")
            % {"field": field, "value": value},
            field=field,
            reason="OUT_OF_RANGE",
        )
    if number.as_tuple().exponent < -RATE_PLACES and number != round(number, RATE_PLACES):
        raise InvalidRate(
            _("%(field)s has more than six decimal places: %(value)s") % {"field": field, "value": value},
            field=field,
            reason="TOO_MANY_DECIMALS",
        )
    return number


def parse_factor(value: object, *, field: str) -> Decimal:
    """A non-negative multiplier of any precision (e.g. the penalty multiplier 1.5)."""
    number = parse_decimal(value, field=field, error=InvalidInput)
    if number < 0:
        raise InvalidInput(_("%(field)s must not be negative") % {"field": field}, field=field, value=str(number))
    return number


def parse_count(value: object, *, field: str, minimum: int = 0, maximum: int | None = None) -> int:
    """A whole number (days, periods, rollovers) within bounds; bools are not numbers here."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(_("%(field)s must be a whole number") % {"field": field}, field=field, value=repr(value))
    if value < minimum or (maximum is not None and value > maximum):
        raise InvalidInput(
            _("%(field)s is out of range: %(value)s") % {"field": field, "value": value},
            field=field,
            minimum=minimum,
            maximum=maximum,
        )
    return value


def parse_term(value: object, *, field: str = "term") -> int:
    """A term in months, 1 to 360."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_TERM_MONTHS:
        raise InvalidTerm(
            _("%(field)s must be a whole number of months from 1 to %(maximum)s: %(value)s")
            % {"field": field, "maximum": MAX_TERM_MONTHS, "value": value},
            field=field,
            value=repr(value),
        )
    return value


def parse_date(value: object, *, field: str) -> date:
    """A calendar date (a datetime is refused: servicing runs on business dates, not instants)."""
    if isinstance(value, datetime) or not isinstance(value, date):
        raise InvalidDate(_("%(field)s must be a date") % {"field": field}, field=field, value=repr(value))
    return value
