"""Schedules per second and APR solve time on one core (CONTRACT.md §7; issue 3's performance bar).

    .venv/bin/python bench/schedules.py [--seconds 2] [--seed 7]

One process, one thread; rates are per second of this process's CPU time (a shared machine's other load
does not count against us). Every call goes through the public, validating entry points
(`build_schedule`, `annual_percentage_rate`, `annual_percentage_rate_dated`) with a fresh random
principal (1,000.00–200,000.00) and a rate drawn from a band of 25 product rates (7.2%–24%):

- ``schedules_per_second_12`` / ``_36`` — EQUAL_INSTALLMENT, the product's rate/term factors cached as in
  service (one lru_cache entry per rate and term); ``…_cold`` clears those caches before every call;
- ``schedules_per_second_by_method_12`` — the four methods at 12 months;
- ``naive_schedules_per_second_36`` — a textbook Decimal implementation of the same schedule (annuity
  recomputed per loan, calendar.monthrange per due date, a dataclass per installment), for comparison;
- ``apr_36_periods_us`` / ``apr_dated_36_periods_us`` — median µs per solve of a 36-payment schedule;
  ``numpy_financial_irr_36_periods_us`` — npf.irr on the same flows (a float eigenvalue solve) for scale.

Prints one JSON line.
"""

import argparse
import calendar
import json
import os
import random
import statistics
import sys
import time
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

RATE_BAND = [Decimal("0.072") + Decimal("0.007") * k for k in range(25)]  # 7.2% … 24.0%
CENT = Decimal("0.01")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="CPU seconds per measured figure")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key")
    import django

    django.setup()
    from repayment import schedules

    rng = random.Random(args.seed)
    figures = {"cpu_seconds_per_figure": args.seconds, "clock": "process CPU time", "python": sys.version.split()[0]}
    for term in (12, 36):
        figures[f"schedules_per_second_{term}"] = rate_of(
            lambda term=term: build(schedules, rng, term, "EQUAL_INSTALLMENT"), args.seconds
        )
        figures[f"schedules_per_second_{term}_cold"] = rate_of(
            lambda term=term: build(schedules, rng, term, "EQUAL_INSTALLMENT", cold=True), args.seconds
        )
    figures["schedules_per_second_by_method_12"] = {
        method: rate_of(lambda method=method: build(schedules, rng, 12, method), args.seconds / 2)
        for method in schedules.METHODS
    }
    figures["naive_schedules_per_second_36"] = rate_of(lambda: naive_build(rng, 36), args.seconds)
    figures["schedule_speedup_vs_naive_36"] = round(
        figures["schedules_per_second_36"] / figures["naive_schedules_per_second_36"], 2
    )
    figures.update(apr_figures(schedules, rng, args.seconds))
    print(json.dumps(figures))


def build(schedules, rng: random.Random, term: int, method: str, *, cold: bool = False):
    if cold:
        schedules._monthly_interest.cache_clear()
        schedules._annuity_factor.cache_clear()
    return schedules.build_schedule(
        principal=Decimal(rng.randint(100_000, 20_000_000)).scaleb(-2),
        annual_rate=rng.choice(RATE_BAND),
        term=term,
        method=method,
        disbursed_on=date(2024, 1, 31),
    )


def rate_of(call, seconds: float) -> int:
    """Calls per second of this process's CPU time over ``seconds`` of it (after a short warm-up).

    CPU time, not wall time: on a shared machine other processes take the core away, which says nothing
    about what a call costs on one core.
    """
    for _ in range(50):
        call()
    count = 0
    started = time.process_time()
    deadline = started + seconds
    while True:
        for _ in range(100):
            call()
        count += 100
        now = time.process_time()
        if now >= deadline:
            return round(count / (now - started))


def median_us(call, seconds: float) -> float:
    """Median CPU µs per call, timed in batches of 20 (process_time is too coarse for one call)."""
    samples = []
    deadline = time.process_time() + seconds
    while time.process_time() < deadline:
        started = time.process_time()
        for _ in range(20):
            call()
        samples.append((time.process_time() - started) / 20 * 1e6)
    return round(statistics.median(samples), 1)


def apr_figures(schedules, rng: random.Random, seconds: float) -> dict:
    import numpy_financial as npf

    loans = [build(schedules, rng, 36, "EQUAL_INSTALLMENT") for _ in range(200)]
    flows = [(loan.principal, [i.payment for i in loan.installments], loan.cash_flows()) for loan in loans]

    def regular():
        principal, payments, _dated = rng.choice(flows)
        schedules.annual_percentage_rate(amount_received=principal, payments=payments, periods_per_year=12)

    def dated():
        principal, _payments, cash_flows = rng.choice(flows)
        schedules.annual_percentage_rate_dated(
            amount_received=principal, received_on=date(2024, 1, 31), payments=cash_flows
        )

    def reference():
        principal, payments, _dated = rng.choice(flows)
        npf.irr([-float(principal), *map(float, payments)])

    return {
        "apr_36_periods_us": median_us(regular, seconds),
        "apr_dated_36_periods_us": median_us(dated, seconds),
        "numpy_financial_irr_36_periods_us": median_us(reference, seconds),
    }


@dataclass
class NaiveInstallment:
    number: int
    due_date: date
    principal: Decimal
    interest: Decimal
    payment: Decimal
    balance_after: Decimal


def naive_build(rng: random.Random, term: int) -> list[NaiveInstallment]:
    """The same EQUAL_INSTALLMENT schedule the obvious way: no cached factors, no fast paths."""
    principal = Decimal(rng.randint(100_000, 20_000_000)).scaleb(-2)
    rate = rng.choice(RATE_BAND)
    start = date(2024, 1, 31)
    monthly = rate / 12
    growth = (1 + monthly) ** term
    payment = (principal * monthly * growth / (growth - 1)).quantize(CENT, rounding=ROUND_HALF_UP)
    balance = principal
    installments = []
    for number in range(1, term + 1):
        year, month = divmod(start.month - 1 + number, 12)
        due = date(start.year + year, month + 1, min(start.day, calendar.monthrange(start.year + year, month + 1)[1]))
        interest = (balance * rate / 12).quantize(CENT, rounding=ROUND_HALF_UP)
        principal_part = balance if number == term else payment - interest
        balance -= principal_part
        installments.append(NaiveInstallment(number, due, principal_part, interest, principal_part + interest, balance))
    return installments


if __name__ == "__main__":
    main()
