"""Display filters for borrower pages: rates as percentages, exact decimals (never floats)."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import template

register = template.Library()


@register.filter
def percent(value, places: int = 2) -> str:
    """0.180004 → "18.00%" (half-up; `|percent:4` → "18.0004%")."""
    if value in (None, ""):
        return ""
    try:
        number = Decimal(str(value)) * 100
    except InvalidOperation:
        return str(value)
    return f"{number.quantize(Decimal(1).scaleb(-int(places)), rounding=ROUND_HALF_UP)}%"


@register.filter
def yuan(value) -> str:
    """12000.5 → "¥12,000.50"."""
    if value in (None, ""):
        return ""
    try:
        number = Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    except InvalidOperation:
        return str(value)
    return f"¥{number:,}"
