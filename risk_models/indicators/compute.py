"""Every indicator for one date, set-based in PostgreSQL: a handful of passes over the fact tables.

Called inside the service's transaction (`risk_models.services.indicators_compute`), which first deletes the
date's rows: so computing a date twice writes the same rows. The passes:

1. ``ind_decided`` / ``ind_banded`` — decisions by day and cell, and scored decisions by month, cell and
   score band (DecisionFact);
2. ``ind_loan`` — one row per loan over all its snapshot rows up to the date: disbursement, the first
   month on book at DPD ≥ 30 (vintage), its first installment's highest DPD and whether that installment has
   been due long enough to count (FPD), the date it went bad (scorecard outcome) — with its application's
   channel, score and scorecard version (LoanOrigination ⨝ DecisionFact);
3. ``ind_stock`` — the book at each observation date (every month end, and the date itself) per cell and
   bucket: loans, balance, our balance, overdue loans and balance at each threshold;
4. inserts of each indicator from those.

The passes over the big tables are CREATE TEMP TABLE … AS over permanent tables only, which PostgreSQL runs
with parallel workers (an INSERT … SELECT, or a query reading a temporary table, it runs on one core); the
inserts then read the small temporary tables.

A *cell* is a combination of the dashboard's dimensions: product, lead partner, channel, grade (and scorecard
version for applications). Measures are additive, so any filter sums cells and divides once.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from django.db import connection

from .definitions import (
    BUCKETS,
    FPD_THRESHOLDS,
    OVERDUE_THRESHOLDS,
    VINTAGE_DPD,
    BadDefinition,
    lag_months,
    observation_dates,
)

SNAPSHOTS = "risk_models_loanperformancesnapshot"
DECISIONS = "risk_models_decisionfact"
VALUES = "risk_models_indicatorvalue"
COLUMNS = (
    "as_of, indicator, period, product_code, partner_code, channel, grade, scorecard_version, key, "
    "count_numerator, count_denominator, amount_numerator, amount_denominator, value"
)
LOAN_CELL = "l.product_code, l.partner_code, l.channel, l.grade"
# A loan's application, through the link origination records (loans without one have no channel or score).
APPLICATION_OF_LOAN = f"""(SELECT o.loan_id, f.channel, f.score, f.scorecard_version, f.decided_on, f.product_code,
        o.application_reference
   FROM risk_models_loanorigination o JOIN {DECISIONS} f ON f.application_reference = o.application_reference)"""  # noqa: S608 — composed of constants
STOCK_CELL = "product_code, partner_code, channel, grade"


@dataclass(frozen=True)
class Scope:
    """What one computation covers: the date, the observation dates and the scorecards' baselines."""

    as_of: date
    observations: tuple[date, ...]
    month_ends: tuple[date, ...]
    bad: BadDefinition
    baselines: tuple[tuple[str, tuple[float, ...], tuple[float, ...]], ...]  # (version, edges, shares)

    @property
    def params(self) -> dict:
        params = {
            "d": self.as_of,
            "obs": list(self.observations),
            "month_ends": list(self.month_ends),
            "vintage_dpd": VINTAGE_DPD,
            "bad_dpd": self.bad.dpd,
            "bad_months": self.bad.months,
        }
        params.update({f"fpd_cut_{n}": self.as_of - timedelta(days=n) for n in FPD_THRESHOLDS})
        return params


def scope_for(*, as_of: date, bad: BadDefinition, baselines) -> Scope:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT min(snapshot_date) FROM {SNAPSHOTS} WHERE snapshot_date <= %s", [as_of])  # noqa: S608 — a constant table name; the value is bound
        (first,) = cursor.fetchone()
    observations = tuple(observation_dates(first=first, as_of=as_of)) if first else ()
    month_ends = tuple(day for day in observations if (day + timedelta(days=1)).day == 1)
    return Scope(as_of=as_of, observations=observations, month_ends=month_ends, bad=bad, baselines=tuple(baselines))


def _run(sql: str, params: dict) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def _insert(select_sql: str, params: dict) -> int:
    return _run(f"INSERT INTO {VALUES} ({COLUMNS}) {select_sql}", params)


# --- 2. one row per loan ----------------------------------------------------------------------------------


def _loan_sql() -> str:
    fpd_due = ",\n       ".join(
        f"bool_or(s.first_installment_status <> 'NOT_DUE' AND s.snapshot_date <= %(fpd_cut_{n})s) AS fpd_{n}_due"
        for n in FPD_THRESHOLDS
    )
    return f"""
CREATE TEMP TABLE ind_loan ON COMMIT DROP AS
SELECT l.*, coalesce(k.channel, '') AS channel, k.score, coalesce(k.scorecard_version, '') AS decision_version,
       k.decided_on, coalesce(k.product_code, '') AS decision_product, k.application_reference
FROM (
    SELECT s.loan_id, min(s.product_code COLLATE "C") AS product_code,
           min(s.partner_code COLLATE "C") AS partner_code, min(s.grade COLLATE "C") AS grade,
           min(s.disbursed_on) AS disbursed_on, min(s.disbursed_month) AS disbursed_month,
           max(s.principal) AS principal,
           min(s.months_on_book) FILTER (WHERE s.max_dpd >= %(vintage_dpd)s) AS vintage_mob,
           max(s.first_installment_max_dpd) AS first_max_dpd,
           {fpd_due},
           min(s.snapshot_date) FILTER (WHERE s.max_dpd >= %(bad_dpd)s AND s.months_on_book <= %(bad_months)s)
             AS bad_on
    FROM {SNAPSHOTS} s
    WHERE s.snapshot_date <= %(d)s
    GROUP BY s.loan_id
) l
LEFT JOIN {APPLICATION_OF_LOAN} k ON k.loan_id = l.loan_id
"""  # noqa: S608 — composed of constants; values are bound parameters


DISBURSED_SQL = f"""
SELECT %(d)s, 'DISBURSED', l.disbursed_on, {LOAN_CELL}, '', '', count(*), 0, sum(l.principal), 0, NULL::float8
FROM ind_loan l
GROUP BY l.disbursed_on, {LOAN_CELL}
"""  # noqa: S608 — composed of constants


def _fpd_sql() -> str:
    parts = [
        f"""
SELECT %(d)s, 'FPD', l.disbursed_month, {LOAN_CELL}, '', '{n}',
       count(*) FILTER (WHERE l.first_max_dpd >= {n}), count(*),
       coalesce(sum(l.principal) FILTER (WHERE l.first_max_dpd >= {n}), 0), sum(l.principal), NULL::float8
FROM ind_loan l
WHERE l.fpd_{n}_due
GROUP BY l.disbursed_month, {LOAN_CELL}"""  # noqa: S608 — composed of constants
        for n in FPD_THRESHOLDS
    ]
    return " UNION ALL ".join(parts)


# Loans of a disbursement month ever DPD ≥ 30 by each month on book k, from MOB 0 to the date's MOB.
VINTAGE_SQL = f"""
WITH base AS (
    SELECT l.disbursed_month, l.product_code, l.partner_code, l.channel, l.grade,
           l.vintage_mob, count(*) AS loans, sum(l.principal) AS principal
    FROM ind_loan l
    GROUP BY 1, 2, 3, 4, 5, 6
), cohort AS (
    SELECT disbursed_month, {STOCK_CELL}, sum(loans) AS loans, sum(principal) AS principal
    FROM base GROUP BY disbursed_month, {STOCK_CELL}
)
SELECT %(d)s, 'VINTAGE', c.disbursed_month, c.product_code, c.partner_code, c.channel, c.grade, '',
       lpad(m.mob::text, 2, '0'), coalesce(sum(b.loans), 0), c.loans, coalesce(sum(b.principal), 0), c.principal,
       NULL::float8
FROM cohort c
CROSS JOIN LATERAL generate_series(
    0, ((extract(year FROM %(d)s::date) - extract(year FROM c.disbursed_month)) * 12
        + extract(month FROM %(d)s::date) - extract(month FROM c.disbursed_month))::int) AS m(mob)
LEFT JOIN base b ON b.disbursed_month = c.disbursed_month AND b.product_code = c.product_code
                AND b.partner_code = c.partner_code AND b.channel = c.channel AND b.grade = c.grade
                AND b.vintage_mob <= m.mob
GROUP BY c.disbursed_month, c.product_code, c.partner_code, c.channel, c.grade, c.loans, c.principal, m.mob
"""  # noqa: S608 — composed of constants


def _score_outcome_sql() -> str:
    window_end = "(l.disbursed_month + make_interval(months => %(bad_months)s + 1) - interval '1 day')::date"
    return f"""
SELECT %(d)s, 'SCORE_OUTCOME', date_trunc('month', l.decided_on)::date, l.decision_product, '', l.channel, '',
       l.decision_version, lpad(l.score::text, 4, '0'),
       count(*) FILTER (WHERE l.bad_on IS NOT NULL), count(*), 0, 0, NULL::float8
FROM ind_loan l
WHERE l.score IS NOT NULL AND (l.bad_on IS NOT NULL OR {window_end} <= %(d)s)
GROUP BY 3, 4, 6, 8, 9
"""  # noqa: S608 — composed of constants


def _outcomes_record_sql() -> str:
    """Matured outcomes onto the decision facts (scorecard monitoring's KS / AUC read them); a fact whose
    outcome is known already keeps it — an outcome, once matured, does not change."""
    window_end = "(l.disbursed_month + make_interval(months => %(bad_months)s + 1) - interval '1 day')::date"
    return f"""
UPDATE {DECISIONS} f
   SET matured_bad = o.bad, outcome_observed_on = o.observed_on
  FROM (SELECT l.application_reference, l.bad_on IS NOT NULL AS bad, coalesce(l.bad_on, {window_end}) AS observed_on
        FROM ind_loan l WHERE l.application_reference IS NOT NULL
          AND (l.bad_on IS NOT NULL OR {window_end} <= %(d)s)) o
 WHERE f.application_reference = o.application_reference AND f.matured_bad IS NULL
"""  # noqa: S608 — composed of constants


# --- 3. the book at each observation date ---------------------------------------------------------------


def _stock_sql() -> str:
    overdue = ",\n       ".join(
        f"count(*) FILTER (WHERE s.dpd >= {n}) AS loans_{n}, "
        f"coalesce(sum(s.outstanding_principal) FILTER (WHERE s.dpd >= {n}), 0) AS balance_{n}"
        for n in OVERDUE_THRESHOLDS
    )
    return f"""
CREATE TEMP TABLE ind_stock ON COMMIT DROP AS
SELECT s.snapshot_date AS period, s.product_code, s.partner_code, coalesce(k.channel, '') AS channel, s.grade,
       s.bucket, count(*) AS loans, sum(s.outstanding_principal) AS balance,
       sum(s.own_outstanding_principal) AS own_balance,
       count(*) FILTER (WHERE s.partner_share > 0) AS cofunded_loans,
       coalesce(sum(s.outstanding_principal) FILTER (WHERE s.partner_share > 0), 0) AS cofunded_balance,
       coalesce(sum(s.own_outstanding_principal) FILTER (WHERE s.partner_share > 0), 0) AS cofunded_own_balance,
       {overdue}
FROM {SNAPSHOTS} s LEFT JOIN {APPLICATION_OF_LOAN} k ON k.loan_id = s.loan_id
WHERE s.snapshot_date = ANY(%(obs)s) AND s.status = 'ACTIVE'
GROUP BY 1, 2, 3, 4, 5, 6
"""  # noqa: S608 — composed of constants; values are bound parameters


# Loans written off, at the month end of the day they left the book: the M6 → M6+ flow's arrivals. Only the
# write-off day's row records it, and daily rows are kept 90 days (risk_models.performance).
WRITTEN_OFF_SQL = f"""
CREATE TEMP TABLE ind_written_off ON COMMIT DROP AS
SELECT (date_trunc('month', s.snapshot_date) + interval '1 month - 1 day')::date AS period,
       s.product_code, s.partner_code, coalesce(k.channel, '') AS channel, s.grade,
       count(*) AS loans, sum(s.outstanding_principal) AS balance
FROM {SNAPSHOTS} s LEFT JOIN {APPLICATION_OF_LOAN} k ON k.loan_id = s.loan_id
WHERE s.snapshot_date <= %(d)s AND s.status = 'WRITTEN_OFF'
GROUP BY 1, 2, 3, 4, 5
"""  # noqa: S608 — composed of constants; values are bound parameters

OUTSTANDING_SQL = f"""
SELECT %(d)s, 'OUTSTANDING', period, {STOCK_CELL}, '', '', 0, sum(loans), sum(own_balance), sum(balance), NULL::float8
FROM ind_stock GROUP BY period, {STOCK_CELL}
"""  # noqa: S608 — composed of constants

DPD_BUCKET_SQL = f"""
SELECT %(d)s, 'DPD_BUCKET', period, {STOCK_CELL}, '', bucket, loans,
       sum(loans) OVER cell, balance, sum(balance) OVER cell, NULL::float8
FROM ind_stock
WINDOW cell AS (PARTITION BY period, {STOCK_CELL})
"""  # noqa: S608 — composed of constants


def _overdue_sql() -> str:
    parts = [
        f"""
SELECT %(d)s, 'OVERDUE', period, {STOCK_CELL}, '', '{n}', sum(loans_{n}), sum(loans), sum(balance_{n}), sum(balance),
       NULL::float8
FROM ind_stock GROUP BY period, {STOCK_CELL}"""  # noqa: S608 — composed of constants
        for n in OVERDUE_THRESHOLDS
    ]
    return " UNION ALL ".join(parts)


def _month_end_shift(column: str, months: int) -> str:
    return f"(date_trunc('month', {column}) + make_interval(months => {months + 1}) - interval '1 day')::date"


def _overdue_lagged_sql() -> str:
    """Numerator at month end t, denominator the whole book at the month end ⌈n/30⌉ months before t. The two
    sides are stacked (UNION ALL) and summed per cell, so a cell present on one side only still counts."""
    parts = []
    for n in OVERDUE_THRESHOLDS:
        lag = lag_months(n)
        parts.append(
            f"""
SELECT %(d)s, 'OVERDUE_LAGGED', t, {STOCK_CELL}, '', '{n}', sum(nl), sum(dl), sum(nb), sum(db), NULL::float8
FROM (
    SELECT period AS t, {STOCK_CELL}, loans_{n} AS nl, 0 AS dl, balance_{n} AS nb, 0 AS db
    FROM ind_stock WHERE period = ANY(%(month_ends)s)
    UNION ALL
    SELECT {_month_end_shift("period", lag)}, {STOCK_CELL}, 0, loans, 0, balance
    FROM ind_stock WHERE period = ANY(%(month_ends)s)
) stacked
WHERE t = ANY(%(month_ends)s) AND {_month_end_shift("t", -lag)} >= (SELECT min(m) FROM unnest(%(month_ends)s::date[]) m)
GROUP BY t, {STOCK_CELL}"""  # noqa: S608 — composed of constants
        )
    return " UNION ALL ".join(parts)


def _flow_sql() -> str:
    """Flow Mi → Mi+1 at month end t: balance in Mi+1 at t over the balance in Mi at the month end before."""
    steps = ", ".join(f"('{BUCKETS[i]}', '{BUCKETS[i + 1]}')" for i in range(len(BUCKETS) - 1))
    return f"""
WITH step(from_bucket, to_bucket) AS (VALUES {steps}),
arrived AS (
    SELECT period, {STOCK_CELL}, bucket, loans, balance FROM ind_stock WHERE period = ANY(%(month_ends)s)
    UNION ALL
    SELECT period, {STOCK_CELL}, 'M6+', loans, balance FROM ind_written_off WHERE period = ANY(%(month_ends)s)
)
SELECT %(d)s, 'FLOW', t, {STOCK_CELL}, '', key, sum(nl), sum(dl), sum(nb), sum(db), NULL::float8
FROM (
    SELECT a.period AS t, {STOCK_CELL}, s.from_bucket || '>' || s.to_bucket AS key,
           a.loans AS nl, 0 AS dl, a.balance AS nb, 0 AS db
    FROM arrived a JOIN step s ON s.to_bucket = a.bucket
    UNION ALL
    SELECT {_month_end_shift("b.period", 1)}, {STOCK_CELL}, s.from_bucket || '>' || s.to_bucket,
           0, b.loans, 0, b.balance
    FROM ind_stock b JOIN step s ON s.from_bucket = b.bucket
    WHERE b.period = ANY(%(month_ends)s)
) stacked
WHERE t = ANY(%(month_ends)s) AND {_month_end_shift("t", -1)} = ANY(%(month_ends)s)
GROUP BY t, {STOCK_CELL}, key
"""  # noqa: S608 — composed of constants


# Each partner's part of the partners' principal: split by the product's configured funding shares (the
# snapshot names only the lead partner); a product with no shares on record goes to its lead partner.
PARTNER_SQL = """
WITH funded AS (
    SELECT period, product_code, partner_code AS lead, sum(cofunded_loans) AS loans,
           sum(cofunded_balance - cofunded_own_balance) AS partners_balance
    FROM ind_stock GROUP BY period, product_code, partner_code
    HAVING sum(cofunded_balance - cofunded_own_balance) > 0
), weights AS (
    SELECT product_code, partner_code, share / sum(share) OVER (PARTITION BY product_code) AS weight
    FROM risk_models_productfundingfact WHERE NOT is_own
), split AS (
    SELECT f.period, coalesce(w.partner_code, f.lead) AS partner_code, f.loans,
           f.partners_balance * coalesce(w.weight, 1) AS balance
    FROM funded f LEFT JOIN weights w ON w.product_code = f.product_code
)
SELECT %(d)s, 'PARTNER', s.period, '', s.partner_code, '', '', '', '', sum(s.loans), 0, round(sum(s.balance), 2),
       coalesce(max(p.concentration_limit), 0), NULL::float8
FROM split s LEFT JOIN risk_models_fundingpartnerfact p ON p.partner_code = s.partner_code
GROUP BY s.period, s.partner_code
UNION ALL
SELECT %(d)s, 'PARTNER', period, '', '', '', '', '', 'OWN', sum(cofunded_loans), 0, sum(cofunded_own_balance),
       sum(cofunded_balance), NULL::float8
FROM ind_stock GROUP BY period HAVING sum(cofunded_loans) > 0
"""


# --- 4. applications and model monitoring ----------------------------------------------------------------

DECIDED_SQL = f"""
CREATE TEMP TABLE ind_decided ON COMMIT DROP AS
SELECT decided_on, product_code, channel, grade, scorecard_version,
       count(*) FILTER (WHERE outcome = 'APPROVED') AS approved,
       count(*) FILTER (WHERE outcome IN ('APPROVED', 'REJECTED')) AS decided,
       coalesce(sum(approved_amount) FILTER (WHERE outcome = 'APPROVED'), 0) AS approved_amount,
       coalesce(sum(amount) FILTER (WHERE outcome IN ('APPROVED', 'REJECTED')), 0) AS decided_amount
FROM {DECISIONS} WHERE decided_on <= %(d)s
GROUP BY decided_on, product_code, channel, grade, scorecard_version
"""  # noqa: S608 — composed of constants

APPROVAL_SQL = """
SELECT %(d)s, 'APPROVAL', decided_on, product_code, '', channel, grade, scorecard_version, '',
       approved, decided, approved_amount, decided_amount, NULL::float8
FROM ind_decided WHERE decided > 0
"""


def _banded_sql(scope: Scope) -> tuple[str, dict]:
    """Scored decisions by month, cell and band of their card's training score deciles. A score's band is the
    number of decile edges at or below it (width_bucket on the sorted edges): `metrics.bucket_shares`' buckets.
    The cards' edges and shares travel as bound arrays in a VALUES list."""
    rows, params = [], {}
    for index, (version, edges, shares) in enumerate(scope.baselines):
        rows.append(f"(%(band_v{index})s, %(band_e{index})s::float8[], %(band_s{index})s::float8[])")
        params.update({f"band_v{index}": version, f"band_e{index}": list(edges), f"band_s{index}": list(shares)})
    return (
        f"""
CREATE TEMP TABLE ind_banded ON COMMIT DROP AS
SELECT date_trunc('month', f.decided_on)::date AS period, f.product_code, f.channel, f.scorecard_version,
       width_bucket(f.score::float8, b.edges) AS band, b.edges, b.shares, count(*) AS scored,
       count(*) FILTER (WHERE f.outcome = 'APPROVED') AS approved,
       count(*) FILTER (WHERE f.outcome IN ('APPROVED', 'REJECTED')) AS decided
FROM {DECISIONS} f JOIN (VALUES {", ".join(rows)}) AS b(version, edges, shares) ON b.version = f.scorecard_version
WHERE f.decided_on <= %(d)s AND f.score IS NOT NULL
GROUP BY 1, 2, 3, 4, 5, 6, 7
""",  # noqa: S608 — composed of constants; values are bound parameters
        params,
    )


BANDED_SQL = """
SELECT %(d)s, 'APPROVAL_BY_BAND', period, product_code, '', channel, '', scorecard_version, lpad(band::text, 2, '0'),
       approved, decided, 0, 0, edges[band]
FROM ind_banded WHERE decided > 0
UNION ALL
SELECT %(d)s, 'SCORE_PSI', period, product_code, '', channel, '', scorecard_version, lpad(band::text, 2, '0'),
       scored, 0, 0, 0, shares[band + 1]
FROM ind_banded
"""


TEMPORARY_TABLES = "ind_decided, ind_banded, ind_loan, ind_stock, ind_written_off"


def compute(scope: Scope) -> None:
    """Write every indicator's rows for ``scope.as_of`` (the caller deleted that date's rows before).

    The temporary tables are dropped at the end as well as on commit: a caller that computes two dates in
    one transaction (tests do) must not meet the first date's tables.
    """
    _run(f"DROP TABLE IF EXISTS {TEMPORARY_TABLES}", {})
    _compute(scope)
    _run(f"DROP TABLE IF EXISTS {TEMPORARY_TABLES}", {})


def _compute(scope: Scope) -> None:
    params = scope.params
    # The per-loan pass groups every snapshot row by loan: give it the memory to hash rather than spill. (Its
    # constant text attributes are taken by byte order, COLLATE "C": a quarter of the pass goes to collation.)
    _run("SET LOCAL work_mem = '256MB'", {})
    _run(DECIDED_SQL, params)
    _insert(APPROVAL_SQL, params)
    if scope.baselines:
        banded_sql, band_params = _banded_sql(scope)
        _run(banded_sql, {**params, **band_params})
        _insert(BANDED_SQL, params)
    if not scope.observations:
        return
    _run(_loan_sql(), params)
    _insert(DISBURSED_SQL, params)
    _insert(_fpd_sql(), params)
    _insert(VINTAGE_SQL, params)
    _insert(_score_outcome_sql(), params)
    _run(_outcomes_record_sql(), params)
    _run(_stock_sql(), params)
    _run(WRITTEN_OFF_SQL, params)
    _insert(OUTSTANDING_SQL, params)
    _insert(DPD_BUCKET_SQL, params)
    _insert(_overdue_sql(), params)
    _insert(_overdue_lagged_sql(), params)
    _insert(_flow_sql(), params)
    _insert(PARTNER_SQL, params)
