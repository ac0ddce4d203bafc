"""Risk indicators over a large book: every indicator for one date, and the dashboard page from the tables.

    .venv/bin/python bench/indicators.py                     # default 50,000 loans, about a minute
    .venv/bin/python bench/indicators.py --loans 1000000     # the issue's size, several minutes to load

In a database of its own (`lending_bench_dashboards`, dropped at the end unless --keep):

1. bulk-loads N loans disbursed over the --months before the date, each with a month-end performance snapshot
   for every month it was on the book (INSERT … SELECT generate_series straight into the partitioned snapshot
   table, not through close-of-business), the decision facts of their applications plus declined ones, the
   loan → application links and the funding terms; a share of the loans by grade goes late and is cured, or
   defaults and is written off past 180 days;
2. times `compute_indicators` for the date (the service, in one transaction) — twice, the second a
   recomputation of the same date (idempotent: the same rows);
3. times the dashboard page (`/dashboards/`, the htmx panels partial and a CSV export) served by Django's
   test client from the computed tables: median and 95th percentile of --requests requests.

`portfolio_generate` is also what the dashboard's browser test seeds with (a few hundred loans).
Prints one JSON line.
"""

import argparse
import json
import os
import statistics
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BENCH_DATABASE = "lending_bench_dashboards"
AS_OF = date(2024, 12, 31)
VERSION = "SC-BENCH"
# The bench card's training score deciles (score ~ 600 − 20·grade ± noise) and their shares.
BASELINE_EDGES = [548.0, 562.0, 573.0, 583.0, 592.0, 601.0, 611.0, 622.0, 637.0]
PRODUCTS = {
    # code: (share of loans, terms, own share, lead partner)
    "QUICK_CASH": (0.55, (3, 6, 12), "1", ""),
    "SALARY_BRIDGE": (0.25, (1, 2, 3), "1", ""),
    "PARTNER_FLEX": (0.20, (12, 24, 36), "0.3", "ICBC"),
}

LOANS_SQL = """
CREATE TABLE bench_loan AS
WITH drawn AS (
    SELECT g AS loan_id, random() AS r_product, random() AS r_grade, random() AS r_channel, random() AS r_day,
           random() AS r_term, random() AS r_amount, random() AS r_bad, random() AS r_when, random() AS r_late,
           random() AS r_score
    FROM generate_series(1, %(loans)s) g
), shaped AS (
    SELECT d.*,
           CASE WHEN r_product < 0.55 THEN 'QUICK_CASH' WHEN r_product < 0.80 THEN 'SALARY_BRIDGE'
                ELSE 'PARTNER_FLEX' END AS product_code,
           CASE WHEN r_grade < 0.25 THEN 'A' WHEN r_grade < 0.55 THEN 'B' WHEN r_grade < 0.85 THEN 'C' ELSE 'D' END
             AS grade,
           CASE WHEN r_channel < 0.62 THEN 'WEB' ELSE 'API' END AS channel,
           (%(start)s::date + floor(r_day * %(days)s)::int) AS disbursed_on
    FROM drawn d
)
SELECT loan_id, product_code, grade, channel, disbursed_on,
       date_trunc('month', disbursed_on)::date AS disbursed_month,
       CASE product_code WHEN 'QUICK_CASH' THEN (ARRAY[3, 6, 12])[1 + floor(r_term * 3)::int]
                         WHEN 'SALARY_BRIDGE' THEN (ARRAY[1, 2, 3])[1 + floor(r_term * 3)::int]
                         ELSE (ARRAY[12, 24, 36])[1 + floor(r_term * 3)::int] END AS term,
       round((CASE product_code WHEN 'PARTNER_FLEX' THEN 10000 + r_amount * 90000
                                WHEN 'QUICK_CASH' THEN 1000 + r_amount * 29000
                                ELSE 1000 + r_amount * 9000 END)::numeric, -2) AS principal,
       CASE product_code WHEN 'PARTNER_FLEX' THEN 0.3 ELSE 1 END::numeric AS own_share,
       CASE product_code WHEN 'PARTNER_FLEX' THEN 'ICBC' ELSE '' END AS partner_code,
       (CASE grade WHEN 'A' THEN 0.02 WHEN 'B' THEN 0.05 WHEN 'C' THEN 0.10 ELSE 0.20 END) AS pd,
       r_bad < (CASE grade WHEN 'A' THEN 0.01 WHEN 'B' THEN 0.03 WHEN 'C' THEN 0.06 ELSE 0.12 END) AS defaults,
       r_bad >= 0.9 - (CASE grade WHEN 'A' THEN 0.02 WHEN 'B' THEN 0.05 WHEN 'C' THEN 0.09 ELSE 0.15 END)
         AS first_late,
       1 + floor(r_when * 4)::int AS default_mob,
       3 + floor(r_late * 40)::int AS late_days,
       round(600 - 20 * (ascii(grade) - 65) + (r_score - 0.5) * 80)::int AS score
FROM shaped
"""

# One month-end row per month on book: amortising linearly, a defaulter ageing 30 days a month from its
# default month until written off past 180, a first-installment-late loan 'late_days' late at MOB1.
SNAPSHOTS_SQL = """
INSERT INTO risk_models_loanperformancesnapshot (
    snapshot_date, loan_id, borrower_id, product_code, partner_code, own_share, partner_share, grade,
    scorecard_version, disbursed_on, disbursed_month, months_on_book, principal, outstanding_principal,
    own_outstanding_principal, overdue_principal, overdue_amount, dpd, bucket, max_dpd, first_installment_status,
    first_installment_max_dpd, status, is_month_end)
SELECT me, loan_id, loan_id, product_code, partner_code, own_share, 1 - own_share, grade, %(version)s,
       disbursed_on, disbursed_month, mob, principal, outstanding, round(outstanding * own_share, 2),
       CASE WHEN dpd > 0 THEN round(principal / term, 2) ELSE 0 END,
       CASE WHEN dpd > 0 THEN round(principal / term * 1.02, 2) ELSE 0 END,
       dpd,
       CASE WHEN dpd = 0 THEN 'C' WHEN dpd <= 30 THEN 'M1' WHEN dpd <= 60 THEN 'M2' WHEN dpd <= 90 THEN 'M3'
            WHEN dpd <= 120 THEN 'M4' WHEN dpd <= 150 THEN 'M5' WHEN dpd <= 180 THEN 'M6' ELSE 'M6+' END,
       max_dpd,
       CASE WHEN mob = 0 THEN 'NOT_DUE' WHEN defaults AND default_mob = 1 THEN 'OVERDUE'
            WHEN first_late THEN 'PAID_LATE' ELSE 'PAID_ON_TIME' END,
       CASE WHEN mob = 0 THEN 0 WHEN defaults AND default_mob = 1 THEN dpd WHEN first_late THEN late_days ELSE 0 END,
       CASE WHEN dpd > 180 THEN 'WRITTEN_OFF' ELSE 'ACTIVE' END,
       true
FROM (
    SELECT l.*, m.mob,
           (date_trunc('month', l.disbursed_on) + make_interval(months => m.mob + 1) - interval '1 day')::date AS me,
           CASE WHEN l.defaults AND m.mob >= l.default_mob THEN least(30 * (m.mob - l.default_mob) + 20, 181)
                WHEN l.first_late AND m.mob = 1 AND l.late_days > 31 THEN l.late_days - 31
                ELSE 0 END AS dpd,
           CASE WHEN l.defaults AND m.mob >= l.default_mob THEN least(30 * (m.mob - l.default_mob) + 20, 181)
                WHEN l.first_late AND m.mob >= 1 THEN l.late_days
                ELSE 0 END AS max_dpd,
           CASE WHEN l.defaults AND m.mob >= l.default_mob
                THEN round(l.principal * greatest(0, 1 - (l.default_mob - 1)::numeric / l.term), 2)
                ELSE round(l.principal * greatest(0, 1 - m.mob::numeric / l.term), 2) END AS outstanding
    FROM bench_loan l
    CROSS JOIN LATERAL generate_series(
        0, least((extract(year FROM age(%(as_of)s::date, l.disbursed_month)) * 12
                  + extract(month FROM age(%(as_of)s::date, l.disbursed_month)))::int, l.term - 1)) AS m(mob)
    WHERE NOT (l.defaults AND m.mob > l.default_mob + 6)
) rows
"""

DECISIONS_SQL = """
INSERT INTO risk_models_decisionfact (application_reference, decided_at, decided_on, outcome, product_code, channel,
    amount, approved_amount, term, score, pd, grade, scorecard_version, variant, reason_codes, characteristics,
    recorded_at, updated_at)
SELECT 'B' || loan_id, disbursed_on::timestamptz, disbursed_on, 'APPROVED', product_code, channel, principal,
       principal, term, score, pd, grade, %(version)s, 'CHAMPION', '[]'::jsonb, '{}'::jsonb, now(), now()
FROM bench_loan
UNION ALL
SELECT 'R' || g, (%(start)s::date + (g %% %(days)s))::timestamptz, %(start)s::date + (g %% %(days)s), 'REJECTED',
       (ARRAY['QUICK_CASH', 'SALARY_BRIDGE', 'PARTNER_FLEX'])[1 + g %% 3], (ARRAY['WEB', 'API'])[1 + g %% 2],
       5000, NULL, 6, 500 + (g::bigint * 7919) %% 90, 0.4, 'E', %(version)s, 'CHAMPION',
       '["POL_SCORE_REJECT"]'::jsonb, '{}'::jsonb, now(), now()
FROM generate_series(1, %(declined)s) g
"""

LINKS_SQL = """
INSERT INTO risk_models_loanorigination (loan_id, application_reference, recorded_at)
SELECT loan_id, 'B' || loan_id, now() FROM bench_loan
"""


def portfolio_generate(*, loans: int, months: int = 18, as_of: date = AS_OF, seed: float = 0.42) -> dict:
    """Load a synthetic book into risk_models' fact tables (Django must be set up); returns what it loaded."""
    from decimal import Decimal

    from django.db import connection, transaction
    from django.utils import timezone

    from risk_models import performance
    from risk_models.indicators.definitions import add_months, month_start
    from risk_models.models import ScorecardVersion
    from risk_models.services import FundingPartnerTerms, funding_terms_record

    start = add_months(month_start(as_of), -months + 1)
    days = (as_of - start).days + 1
    params = {
        "loans": loans,
        "start": start,
        "days": days,
        "as_of": as_of,
        "version": VERSION,
        "declined": int(loans * 0.6),
    }
    with transaction.atomic():
        ScorecardVersion.objects.update_or_create(
            version=VERSION,
            defaults={
                "target": "bad", "seed": 1, "training_sha256": "0" * 64, "pdo": 20, "base_score": 600,
                "base_odds": 50, "intercept": 0, "train_auc": 0.7, "train_ks": 0.3, "gini": 0.4,
                "trained_at": timezone.now(),
                "baseline": {"score_edges": BASELINE_EDGES, "score_shares": [0.1] * (len(BASELINE_EDGES) + 1)},
            },
        )  # fmt: skip
        funding_terms_record(
            partners=[
                FundingPartnerTerms("OWN", "own funds", True, None),
                FundingPartnerTerms("ICBC", "ICBC", False, Decimal(loans) * Decimal("30000")),
                FundingPartnerTerms("CMB", "CMB", False, Decimal(loans) * Decimal("15000")),
            ],
            product_shares={
                "QUICK_CASH": {"OWN": Decimal("1")},
                "SALARY_BRIDGE": {"OWN": Decimal("1")},
                "PARTNER_FLEX": {"OWN": Decimal("0.3"), "ICBC": Decimal("0.4"), "CMB": Decimal("0.3")},
            },
        )
        month = start
        while month <= as_of:
            performance.snapshot_partition_ensure(month=month)
            month = add_months(month, 1)
        with connection.cursor() as cursor:
            cursor.execute("SELECT setseed(%s)", [seed])
            cursor.execute("DROP TABLE IF EXISTS bench_loan")
            cursor.execute(LOANS_SQL, params)
            cursor.execute(SNAPSHOTS_SQL, params)
            snapshots = cursor.rowcount
            cursor.execute(DECISIONS_SQL, params)
            decisions = cursor.rowcount
            cursor.execute(LINKS_SQL, params)
            cursor.execute("DROP TABLE bench_loan")
    with connection.cursor() as cursor:
        for table in ("risk_models_loanperformancesnapshot", "risk_models_decisionfact", "risk_models_loanorigination"):
            cursor.execute(f"ANALYZE {table}")
    return {"loans": loans, "snapshots": snapshots, "decisions": decisions, "from": start.isoformat()}


# --- the bench -----------------------------------------------------------------------------------------------


def _configure(database_url: str) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("SECRET_KEY", "bench-only-not-a-secret")
    os.environ["LOG_LEVEL"] = "WARNING"
    os.environ["ALLOWED_HOSTS"] = "127.0.0.1,localhost,testserver"
    import django

    django.setup()


def _recreate_database(admin_url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def _drop_database(admin_url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _digest(as_of: date) -> str:
    """A fingerprint of every indicator row of the date (ids aside): equal fingerprints, equal tables."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT md5(string_agg(row_text, '|' ORDER BY row_text)) FROM (
                SELECT concat_ws(',', indicator, period, product_code, partner_code, channel, grade, scorecard_version,
                                 key, count_numerator, count_denominator, amount_numerator, amount_denominator, value)
                       AS row_text
                FROM risk_models_indicatorvalue WHERE as_of = %s) rows
            """,
            [as_of],
        )
        return cursor.fetchone()[0]


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def _page_times(requests: int, as_of: date) -> dict:
    from django.contrib.auth import get_user_model
    from django.test import Client

    from risk_models.services import risk_analyst_group_ensure

    user, _created = get_user_model().objects.get_or_create(username="bench-analyst", defaults={"is_staff": True})
    user.groups.add(risk_analyst_group_ensure())
    client = Client()
    client.force_login(user)
    urls = {
        "page": "/dashboards/",
        "panels_filtered": f"/dashboards/panels/?date_from={as_of.replace(month=1, day=1)}&channel=WEB&basis=count",
        "csv": "/dashboards/export/vintage.csv",
    }
    figures = {}
    for name, url in urls.items():
        client.get(url, HTTP_HOST="127.0.0.1")  # warm: templates compiled, connection open
        timings = []
        for _ in range(requests):
            started = time.perf_counter()
            response = client.get(url, HTTP_HOST="127.0.0.1")
            timings.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (url, response.status_code)
        figures[f"{name}_p50_ms"] = round(statistics.median(timings), 1)
        figures[f"{name}_p95_ms"] = round(_percentile(timings, 0.95), 1)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loans", type=int, default=50_000)
    parser.add_argument("--months", type=int, default=18)
    parser.add_argument("--requests", type=int, default=20, help="page requests timed per URL")
    parser.add_argument(
        "--server", default=os.environ.get("BENCH_DATABASE_SERVER", "postgresql://postgres@127.0.0.1:5432")
    )
    parser.add_argument("--keep", action="store_true", help="keep the bench database afterwards")
    options = parser.parse_args()

    admin_url = f"{options.server}/postgres"
    _recreate_database(admin_url, BENCH_DATABASE)
    try:
        _configure(f"{options.server}/{BENCH_DATABASE}")
        from django.core.management import call_command
        from django.db import connection

        call_command("migrate", verbosity=0)
        started = time.perf_counter()
        loaded = portfolio_generate(loans=options.loans, months=options.months)
        load_seconds = time.perf_counter() - started

        from risk_models import services

        first = services.indicators_compute(as_of=AS_OF)
        first_digest = _digest(AS_OF)
        again = services.indicators_compute(as_of=AS_OF)
        figures = {
            "loans": loaded["loans"],
            "months": options.months,
            "snapshot_rows": loaded["snapshots"],
            "decision_facts": loaded["decisions"],
            "load_seconds": round(load_seconds, 1),
            "compute_seconds": first.seconds,
            "recompute_seconds": again.seconds,
            "indicator_rows": first.rows,
            "same_rows_on_recompute": first_digest == _digest(AS_OF),
            **_page_times(options.requests, AS_OF),
        }
        connection.close()
    finally:
        if not options.keep:
            _drop_database(admin_url, BENCH_DATABASE)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
