"""The platform's own book as a training set: decision facts joined with the matured performance of the loans
they led to (`train_scorecard --from-portfolio`). One set-based read; the frame is built in pandas."""

import json
from datetime import date

import pandas as pd
from django.db import connection

from .definitions import BadDefinition

TARGET = "bad"

# Per loan over its snapshots up to the date: when (if ever) it went bad inside its window, and when that
# window closes. Matured = bad, or the window closed clean.
OUTCOMES_SQL = """
WITH loan AS (
    SELECT s.loan_id, min(s.disbursed_month) AS disbursed_month,
           min(s.snapshot_date) FILTER (WHERE s.max_dpd >= %(dpd)s AND s.months_on_book <= %(months)s) AS bad_on
    FROM risk_models_loanperformancesnapshot s
    WHERE s.snapshot_date <= %(d)s
    GROUP BY s.loan_id
)
SELECT f.application_reference, f.decided_on, f.product_code, f.characteristics, l.bad_on IS NOT NULL AS bad
FROM loan l
JOIN risk_models_loanorigination o ON o.loan_id = l.loan_id
JOIN risk_models_decisionfact f ON f.application_reference = o.application_reference
WHERE l.bad_on IS NOT NULL
   OR (l.disbursed_month + make_interval(months => %(months)s + 1) - interval '1 day')::date <= %(d)s
ORDER BY f.application_reference
"""


def training_frame(*, as_of: date, bad: BadDefinition, product_code: str = "") -> pd.DataFrame:
    """One row per matured loan: the characteristics its application was scored on, and ``bad`` (1/0).

    Numbers recorded as text (amounts are decimal strings in the facts) become numbers again; a column that
    is not numeric throughout stays categorical. A characteristic that never varied in the book (one term
    offered, say) cannot be learned from and is left out.
    """
    params = {"d": as_of, "dpd": bad.dpd, "months": bad.months}
    with connection.cursor() as cursor:
        cursor.execute(OUTCOMES_SQL, params)
        rows = cursor.fetchall()
    if product_code:
        rows = [row for row in rows if row[2] == product_code]
    # a raw cursor hands jsonb over as text (Django reads JSON fields itself)
    records = [
        {
            **(json.loads(characteristics) if isinstance(characteristics, str) else characteristics or {}),
            TARGET: int(is_bad),
        }
        for _ref, _on, _p, characteristics, is_bad in rows
    ]
    frame = pd.DataFrame.from_records(records)
    for column in frame.columns:
        if column == TARGET or pd.api.types.is_numeric_dtype(frame[column]):
            continue
        numbers = pd.to_numeric(frame[column], errors="coerce")
        if numbers.notna().sum() == frame[column].notna().sum():
            frame[column] = numbers
    constant = [c for c in frame.columns if c != TARGET and frame[c].nunique(dropna=False) <= 1]
    return frame.drop(columns=constant)
