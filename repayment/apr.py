"""APR (年化利率): the IRR of what the borrower really received against everything they pay (DOMAIN.md §3).

Both solvers find the root of NPV(v) = Σ cₜ·vᵗ − received in the discount factor v = 1 / (1 + r). With
every payment ≥ 0 that function is increasing and convex in v > 0, so there is exactly one root and
Newton's method started right of it (after bracketing) converges monotonically; bisection takes over if
floating point ever misbehaves. The float root is then rounded half-up to six places, and when it lies
within 1e-9 of a rounding boundary the side is decided exactly, in integers — so the six-place figure
is the correctly rounded APR, not a float's guess.

- `annual_percentage_rate` — regular periods: periodic IRR × periods per year (18.0004%, 38.8007% …);
- `annual_percentage_rate_dated` — cash flows on dates: daily IRR × 365 (fees on other days, broken
  periods, prepayments).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from .exceptions import InvalidCashFlows, _
from .validation import CENT, MAX_AMOUNT, ZERO, parse_amount, parse_count, parse_date

APR_PLACES = Decimal("0.000001")
_HALF_STEP = Decimal("0.0000005")
_BOUNDARY_MARGIN = 1e-9
_MAX_ITERATIONS = 200
DAYS_PER_YEAR = 365


def annual_percentage_rate(
    *, amount_received: Decimal, payments: Sequence[Decimal], periods_per_year: int = 12
) -> Decimal:
    """Periodic IRR × ``periods_per_year``, half-up to six places; ``payments[k]`` falls at the end of period k + 1.

    12,000.00 received against 1,100.16 × 11 + 1,100.19 → 0.180004; the same payments on 10,800.00 received
    (1,200 withheld, 砍头息) → 0.388007. Payments may be zero (a skipped period) but not negative.
    """
    received = parse_amount(amount_received, field="amount_received")
    periods_per_year = parse_count(periods_per_year, field="periods_per_year", minimum=1)
    amounts = _parse_payments(payments)
    return _apr(received, None, amounts, periods_per_year)


def annual_percentage_rate_dated(
    *, amount_received: Decimal, received_on: date, payments: Sequence[tuple[date, Decimal]]
) -> Decimal:
    """Daily IRR × 365 of ``payments`` [(date, amount)] against ``amount_received`` on ``received_on``, 6 dp.

    A payment on ``received_on`` itself (a fee taken the same day) counts at t = 0.
    """
    received = parse_amount(amount_received, field="amount_received")
    received_on = parse_date(received_on, field="received_on")
    days = []
    for index, (paid_on, _payment) in enumerate(payments):
        field = f"payments[{index}]"
        elapsed = (parse_date(paid_on, field=field) - received_on).days
        if elapsed < 0:
            raise InvalidCashFlows(_("%(field)s falls before the money was received") % {"field": field}, field=field)
        days.append(elapsed)
    amounts = _parse_payments([payment for _paid_on, payment in payments])
    return _apr(received, days, amounts, DAYS_PER_YEAR)


def _parse_payments(payments: Sequence[Decimal]) -> list[Decimal]:
    """Every payment an amount ≥ 0 with at most two places; one pass over well-formed Decimals, else one by one."""
    if all(type(payment) is Decimal and payment.is_finite() for payment in payments) and (
        max(payments, default=ZERO) <= MAX_AMOUNT
    ):
        quantized = [payment.quantize(CENT) for payment in payments]
        if quantized == list(payments) and min(quantized, default=ZERO) >= 0:
            return quantized
    return [
        parse_amount(payment, field=f"payments[{index}]", allow_zero=True) for index, payment in enumerate(payments)
    ]


def _apr(received: Decimal, periods: list[int] | None, amounts: list[Decimal], periods_per_year: int) -> Decimal:
    """APR of ``amounts`` paid at ``periods`` (None: at periods 1, 2, … n) against ``received`` at period 0."""
    if periods is None:
        upfront = ZERO
        repaid_later = max(amounts, default=ZERO) > 0
    else:
        upfront = sum((amount for period, amount in zip(periods, amounts, strict=True) if period == 0), ZERO)
        repaid_later = any(amount > 0 and period > 0 for period, amount in zip(periods, amounts, strict=True))
    if not repaid_later:
        raise InvalidCashFlows(
            _("%(field)s must contain a payment after the money was received") % {"field": "payments"},
            field="payments",
        )
    if upfront >= received:
        raise InvalidCashFlows(
            _("%(field)s on the day of receipt take back everything received") % {"field": "payments"},
            field="payments",
        )
    received_float = float(received)
    if periods is None:
        dense = [float(amount) for amount in amounts]
        discount = _solve_discount_factor(lambda v: _npv_dense(v, received_float, dense))
        periods = list(range(1, len(amounts) + 1))
    else:
        sparse = [(period, float(amount)) for period, amount in zip(periods, amounts, strict=True)]
        discount = _solve_discount_factor(lambda v: _npv(v, received_float, sparse))
    apr_float = (1.0 / discount - 1.0) * periods_per_year
    return _correctly_rounded(apr_float, received, periods, amounts, periods_per_year)


def _npv_dense(v: float, received: float, payments: list[float]) -> tuple[float, float]:
    """NPV and its slope for payments at periods 1..n, by Horner's scheme (the regular-period case)."""
    q = 0.0  # Σ cₖ v^(k−1)
    dq = 0.0
    try:
        for payment in reversed(payments):
            dq = dq * v + q
            q = q * v + payment
    except OverflowError:
        return math.inf, math.inf
    return q * v - received, q + v * dq


def _npv(v: float, received: float, flows: list[tuple[int, float]]) -> tuple[float, float]:
    """NPV at discount factor v and its derivative in v."""
    value = -received
    slope = 0.0
    try:
        for period, payment in flows:
            if period == 0:
                value += payment
                continue
            power = v ** (period - 1)
            value += payment * power * v
            slope += payment * period * power
    except OverflowError:
        return math.inf, math.inf
    return value, slope


def _solve_discount_factor(npv: Callable[[float], tuple[float, float]]) -> float:
    # Bracket: NPV(0) = t₀ payments − received < 0; find hi with NPV(hi) > 0, doubling from 1.
    low, high = 0.0, 1.0
    value, slope = npv(high)
    while value < 0 or not math.isfinite(value):
        if not math.isfinite(value):
            high = (low + high) / 2  # overshot into overflow: step back inside the bracket
        else:
            low, high = high, high * 2
        value, slope = npv(high)
    if value == 0:
        return high
    v = high
    for _iteration in range(_MAX_ITERATIONS):
        step = value / slope if slope > 0 else math.inf
        if abs(step) <= 1e-15 * v:
            return v
        candidate = v - step
        if not low < candidate < high:
            candidate = (low + high) / 2  # Newton left the bracket: bisect instead
        v = candidate
        value, slope = npv(v)
        if value > 0:
            high = v
        elif value < 0:
            low = v
        else:
            return v
        if high - low <= 1e-15 * high:
            return v
    return v


def _correctly_rounded(
    apr_float: float, received: Decimal, periods: list[int], amounts: list[Decimal], periods_per_year: int
) -> Decimal:
    """Half-up to six places; near a boundary (a half of the sixth place) decide the side in exact integers."""
    apr = Decimal(apr_float).quantize(APR_PLACES, rounding=ROUND_HALF_UP)
    if abs(abs(Decimal(apr_float) - apr) - _HALF_STEP) > Decimal(_BOUNDARY_MARGIN):
        return apr
    received_cents = int(received * 100)
    flows_cents = sorted((period, int(amount * 100)) for period, amount in zip(periods, amounts, strict=True))
    while True:
        upper = apr + _HALF_STEP
        sign = _npv_sign(upper, received_cents, flows_cents, periods_per_year)
        if sign > 0 or (sign == 0 and upper > 0):  # the true APR is at or above the upper half-point
            apr += APR_PLACES
            continue
        lower = apr - _HALF_STEP
        sign = _npv_sign(lower, received_cents, flows_cents, periods_per_year)
        if sign < 0 or (sign == 0 and lower < 0):  # below the lower half-point (half-up: away from zero)
            apr -= APR_PLACES
            continue
        return apr


def _npv_sign(apr: Decimal, received_cents: int, flows_cents: list[tuple[int, int]], periods_per_year: int) -> int:
    """The exact sign of NPV at the periodic rate apr / periods_per_year, in integer arithmetic.

    With 1 + r = u / w (u, w integers), NPV × (u/w)^T × w^T = Σ cₜ·u^(T−t)·wᵗ − received·u^T, accumulated
    in time order (a Horner scheme over the sparse periods). NPV falls as the rate rises, so a positive
    sign means the true rate lies above ``apr``.
    """
    scaled_rate = int(apr.scaleb(7))  # apr has at most seven places at a half-point
    w = periods_per_year * 10**7
    u = w + scaled_rate
    accumulated = -received_cents
    w_power = 1
    previous = 0
    for period, cents in flows_cents:
        gap = period - previous
        if gap:
            accumulated *= u**gap
            w_power *= w**gap
            previous = period
        accumulated += cents * w_power
    return (accumulated > 0) - (accumulated < 0)
