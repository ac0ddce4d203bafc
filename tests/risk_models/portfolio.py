"""A small hand-built portfolio for the indicator tests: four loans over four month ends, whose every figure is
worked out by hand in the tests (test_indicators.py says how).

L1  P1 (own funds)      disbursed 2024-01-10  1,000  grade A  WEB  score 620  repays on time
L2  P1                  disbursed 2024-01-15  2,000  grade B  API  score 540  never pays: DPD 14 → 45 → 75
L3  P2 (co-funded 30%)  disbursed 2024-02-05 10,000  grade A  WEB  score 580  first installment 10 days late
L4  P2                  disbursed 2024-03-20 20,000  grade C  API  score 600  first installment late, DPD 10 at 04-30

Applications: those four approved, AP-5 declined (2024-01-10, WEB, score 450), AP-6 still with an officer
(2024-01-15, API, score 560). Card SC-T's training deciles: edges [500, 600], shares [0.2, 0.5, 0.3].
"""

from datetime import date, datetime
from decimal import Decimal

from django.utils import timezone

from risk_models import performance
from risk_models.models import DecisionFact, LoanPerformanceSnapshot, ScorecardVersion
from risk_models.services import FundingPartnerTerms, funding_terms_record, loan_originations_record

AS_OF = date(2024, 4, 30)
BUCKET_BOUNDS = ((0, "C"), (30, "M1"), (60, "M2"), (90, "M3"), (120, "M4"), (150, "M5"), (180, "M6"))

LOANS = {
    1: {"product_code": "P1", "grade": "A", "disbursed_on": date(2024, 1, 10), "principal": "1000.00"},
    2: {"product_code": "P1", "grade": "B", "disbursed_on": date(2024, 1, 15), "principal": "2000.00"},
    3: {"product_code": "P2", "grade": "A", "disbursed_on": date(2024, 2, 5), "principal": "10000.00"},
    4: {"product_code": "P2", "grade": "C", "disbursed_on": date(2024, 3, 20), "principal": "20000.00"},
}
CO_FUNDED = {"P2"}

# (date, loan, outstanding, dpd, highest DPD, first installment status, its highest DPD)
ROWS = [
    (date(2024, 1, 31), 1, "1000.00", 0, 0, "NOT_DUE", 0),
    (date(2024, 1, 31), 2, "2000.00", 0, 0, "NOT_DUE", 0),
    (date(2024, 2, 29), 1, "835.00", 0, 0, "PAID_ON_TIME", 0),
    (date(2024, 2, 29), 2, "2000.00", 14, 14, "OVERDUE", 14),
    (date(2024, 2, 29), 3, "10000.00", 0, 0, "NOT_DUE", 0),
    (date(2024, 3, 31), 1, "669.00", 0, 0, "PAID_ON_TIME", 0),
    (date(2024, 3, 31), 2, "2000.00", 45, 45, "OVERDUE", 45),
    (date(2024, 3, 31), 3, "9200.00", 0, 10, "PAID_LATE", 10),
    (date(2024, 3, 31), 4, "20000.00", 0, 0, "NOT_DUE", 0),
    (date(2024, 4, 22), 4, "20000.00", 2, 2, "OVERDUE", 2),
    (date(2024, 4, 30), 1, "502.00", 0, 0, "PAID_ON_TIME", 0),
    (date(2024, 4, 30), 2, "2000.00", 75, 75, "OVERDUE", 75),
    (date(2024, 4, 30), 3, "8400.00", 0, 10, "PAID_LATE", 10),
    (date(2024, 4, 30), 4, "20000.00", 10, 10, "OVERDUE", 10),
]

# (reference, decided on, outcome, product, channel, requested, score, grade, loan)
DECISIONS = [
    ("AP-1", date(2024, 1, 10), "APPROVED", "P1", "WEB", "1000.00", 620, "A", 1),
    ("AP-2", date(2024, 1, 15), "APPROVED", "P1", "API", "2000.00", 540, "B", 2),
    ("AP-3", date(2024, 2, 5), "APPROVED", "P2", "WEB", "10000.00", 580, "A", 3),
    ("AP-4", date(2024, 3, 20), "APPROVED", "P2", "API", "20000.00", 600, "C", 4),
    ("AP-5", date(2024, 1, 10), "REJECTED", "P1", "WEB", "5000.00", 450, "E", None),
    ("AP-6", date(2024, 1, 15), "MANUAL_REVIEW", "P1", "API", "3000.00", 560, "D", None),
]
VERSION = "SC-T"
BASELINE = {"score_edges": [500.0, 600.0], "score_shares": [0.2, 0.5, 0.3]}


def bucket_of(dpd: int) -> str:
    return next((bucket for bound, bucket in BUCKET_BOUNDS if dpd <= bound), "M6+")


def snapshot_row(
    day: date, loan_id: int, outstanding: str, dpd: int, max_dpd: int, first: str, first_max: int, **extra
):
    loan = LOANS[loan_id]
    co_funded = loan["product_code"] in CO_FUNDED
    own_share = Decimal("0.3") if co_funded else Decimal("1")
    disbursed_on = loan["disbursed_on"]
    fields = {
        "snapshot_date": day,
        "loan_id": loan_id,
        "borrower_id": 100 + loan_id,
        "product_code": loan["product_code"],
        "partner_code": "ICBC" if co_funded else "",
        "own_share": own_share,
        "partner_share": 1 - own_share,
        "grade": loan["grade"],
        "scorecard_version": VERSION,
        "disbursed_on": disbursed_on,
        "disbursed_month": disbursed_on.replace(day=1),
        "months_on_book": (day.year - disbursed_on.year) * 12 + day.month - disbursed_on.month,
        "principal": Decimal(loan["principal"]),
        "outstanding_principal": Decimal(outstanding),
        "own_outstanding_principal": (Decimal(outstanding) * own_share).quantize(Decimal("0.01")),
        "overdue_principal": Decimal("0.00"),
        "overdue_amount": Decimal("0.00"),
        "dpd": dpd,
        "bucket": bucket_of(dpd),
        "max_dpd": max_dpd,
        "first_installment_status": first,
        "first_installment_max_dpd": first_max,
        "status": "ACTIVE",
        "is_month_end": day.day == _last_day(day),
    }
    fields.update(extra)
    return LoanPerformanceSnapshot(**fields)


def _last_day(day: date) -> int:
    following = date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return (following - date(day.year, day.month, 1)).days


def snapshots_insert(rows: list[LoanPerformanceSnapshot]) -> None:
    for month in {row.snapshot_date.replace(day=1) for row in rows}:
        performance.snapshot_partition_ensure(month=month)
    LoanPerformanceSnapshot.objects.bulk_create(rows)


def scorecard_version_create(version: str = VERSION, baseline: dict | None = None) -> ScorecardVersion:
    """A registry row with only what the indicators read: its name and training baseline."""
    return ScorecardVersion.objects.create(
        version=version,
        target="bad",
        seed=1,
        training_sha256="0" * 64,
        pdo=20,
        base_score=600,
        base_odds=50,
        intercept=0,
        train_auc=0.7,
        train_ks=0.3,
        gini=0.4,
        baseline=baseline if baseline is not None else BASELINE,
        trained_at=timezone.make_aware(datetime(2023, 12, 1)),
    )


def decision_facts_create() -> None:
    for reference, day, outcome, product, channel, amount, score, grade, _loan in DECISIONS:
        DecisionFact.objects.create(
            application_reference=reference,
            decided_at=timezone.make_aware(datetime.combine(day, datetime.min.time())),
            decided_on=day,
            outcome=outcome,
            product_code=product,
            channel=channel,
            amount=Decimal(amount),
            approved_amount=Decimal(amount) if outcome == "APPROVED" else None,
            term=6,
            score=score,
            pd=Decimal("0.05"),
            grade=grade,
            scorecard_version=VERSION,
        )


def portfolio_build() -> None:
    """The whole hand-built portfolio: card, decisions, links, funding terms and snapshot rows."""
    scorecard_version_create()
    decision_facts_create()
    loan_originations_record(links=[(loan, ref) for ref, *_rest, loan in DECISIONS if loan is not None])
    funding_terms_record(
        partners=[
            FundingPartnerTerms("OWN", "own funds", True, None),
            FundingPartnerTerms("ICBC", "ICBC", False, Decimal("50000.00")),
            FundingPartnerTerms("CMB", "CMB", False, Decimal("20000.00")),
        ],
        product_shares={
            "P1": {"OWN": Decimal("1")},
            "P2": {"OWN": Decimal("0.3"), "ICBC": Decimal("0.4"), "CMB": Decimal("0.3")},
        },
    )
    snapshots_insert([snapshot_row(*row) for row in ROWS])
