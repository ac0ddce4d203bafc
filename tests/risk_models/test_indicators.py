"""Each indicator on the hand-built portfolio of tests/risk_models/portfolio.py, against figures worked out by
hand from its rows (the arithmetic is written out next to each assertion)."""

import math
from datetime import date
from decimal import Decimal

import pytest
from django.db.models import Sum

from risk_models import services
from risk_models.indicators.definitions import BadDefinition
from risk_models.indicators.measures import psi_from_counts
from risk_models.models import DecisionFact, IndicatorRun, IndicatorValue

from .portfolio import AS_OF, portfolio_build

pytestmark = pytest.mark.django_db

APR, MAR, FEB, JAN = date(2024, 4, 30), date(2024, 3, 31), date(2024, 2, 29), date(2024, 1, 31)


@pytest.fixture
def computed():
    portfolio_build()
    return services.indicators_compute(as_of=AS_OF)


def summed(indicator: str, **filters) -> tuple[int, int, Decimal, Decimal]:
    """The indicator's four measures summed over every cell matching ``filters`` (what a dashboard does)."""
    totals = IndicatorValue.objects.filter(as_of=AS_OF, indicator=indicator, **filters).aggregate(
        cn=Sum("count_numerator"), cd=Sum("count_denominator"), an=Sum("amount_numerator"), ad=Sum("amount_denominator")
    )
    return totals["cn"], totals["cd"], totals["an"], totals["ad"]


def test_vintage_cell_counts_loans_ever_30_days_past_due_by_each_month_on_book(computed):
    # January loans: L1 (1,000, never late) and L2 (2,000: DPD 14 at MOB1, 45 at MOB2). L2 first reaches
    # DPD ≥ 30 at MOB2, so 30+ @ MOB1 = 0/2 and 30+ @ MOB2 = 1/2 by count, 2,000/3,000 by principal.
    assert summed("VINTAGE", period=date(2024, 1, 1), key="01")[:2] == (0, 2)
    assert summed("VINTAGE", period=date(2024, 1, 1), key="02") == (1, 2, Decimal("2000.00"), Decimal("3000.00"))
    assert summed("VINTAGE", period=date(2024, 1, 1), key="03")[:2] == (1, 2)
    # a curve ends at the month of the date: the March cohort has MOB0 and MOB1 only
    assert sorted(
        IndicatorValue.objects.filter(as_of=AS_OF, indicator="VINTAGE", period=date(2024, 3, 1)).values_list(
            "key", flat=True
        )
    ) == ["00", "01"]


def test_fpd_counts_first_installments_late_among_those_due_long_enough(computed):
    # as of 04-30: FPD7 counts first installments due by 04-23, FPD30 those due by 03-31.
    # January: L1 paid on time, L2's first installment is 75 days late → FPD7 = FPD30 = 1/2 (2,000/3,000).
    assert summed("FPD", period=date(2024, 1, 1), key="7") == (1, 2, Decimal("2000.00"), Decimal("3000.00"))
    assert summed("FPD", period=date(2024, 1, 1), key="30")[:2] == (1, 2)
    # February: L3's first installment was paid 10 days late → FPD7 1/1, FPD30 0/1.
    assert summed("FPD", period=date(2024, 2, 1), key="7")[:2] == (1, 1)
    assert summed("FPD", period=date(2024, 2, 1), key="30")[:2] == (0, 1)
    # March: L4's first installment fell due 04-20 — 10 days ago: in FPD7 (late), not yet in FPD30.
    assert summed("FPD", period=date(2024, 3, 1), key="7")[:2] == (1, 1)
    assert summed("FPD", period=date(2024, 3, 1), key="30") == (None, None, None, None)


def test_flow_rate_divides_the_next_bucket_now_by_the_bucket_a_month_earlier(computed):
    # 03-31 current (C): L1 669 + L3 9,200 + L4 20,000 = 29,869; at 04-30 L4 (20,000) is in M1.
    assert summed("FLOW", period=APR, key="C>M1")[2:] == (Decimal("20000.00"), Decimal("29869.00"))
    # L2 was M2 (DPD 45) at 03-31 and is M3 (DPD 75) at 04-30: everything in M2 flowed on.
    assert summed("FLOW", period=APR, key="M2>M3")[2:] == (Decimal("2000.00"), Decimal("2000.00"))
    # 02-29 → 03-31: L3 cured, so nothing reached M1 out of the 835 + 10,000 current at 02-29.
    assert summed("FLOW", period=MAR, key="C>M1")[2:] == (Decimal("0.00"), Decimal("10835.00"))
    assert summed("FLOW", period=MAR, key="M1>M2")[:2] == (1, 1)


def test_psi_of_a_month_compares_its_score_shares_with_the_training_deciles(computed):
    # January's scored applications: 450 (below 500), 540 and 560 (500–600), 620 (600 and above):
    # shares 0.25, 0.5, 0.25 against the training shares 0.2, 0.5, 0.3.
    rows = IndicatorValue.objects.filter(as_of=AS_OF, indicator="SCORE_PSI", period=date(2024, 1, 1))
    counts = [rows.filter(key=f"{band:02d}").aggregate(n=Sum("count_numerator"))["n"] or 0 for band in range(3)]
    expected = (0.25 - 0.2) * math.log(0.25 / 0.2) + 0 + (0.25 - 0.3) * math.log(0.25 / 0.3)
    assert counts == [1, 2, 1]
    assert psi_from_counts([0.2, 0.5, 0.3], counts) == pytest.approx(expected, abs=1e-12)
    assert round(expected, 6) == 0.020273


def test_overdue_rates_coincident_and_lagged_by_count_and_balance(computed):
    # 04-30: L1 502, L2 2,000 (DPD 75), L3 8,400, L4 20,000 (DPD 10) → book 30,902.
    assert summed("OVERDUE", period=APR, key="1") == (2, 4, Decimal("22000.00"), Decimal("30902.00"))
    assert summed("OVERDUE", period=APR, key="30") == (1, 4, Decimal("2000.00"), Decimal("30902.00"))
    assert summed("OVERDUE", period=APR, key="90")[::2] == (0, Decimal("0.00"))
    # lagged DPD30+: ÷ the book one month end earlier, 03-31: 669 + 2,000 + 9,200 + 20,000 = 31,869
    assert summed("OVERDUE_LAGGED", period=APR, key="30") == (1, 4, Decimal("2000.00"), Decimal("31869.00"))
    # lagged DPD90+: ÷ the book three month ends earlier, 01-31: 1,000 + 2,000
    assert summed("OVERDUE_LAGGED", period=APR, key="90") == (0, 2, Decimal("0.00"), Decimal("3000.00"))
    # no lagged rate before the book is old enough to have its denominator
    assert not IndicatorValue.objects.filter(as_of=AS_OF, indicator="OVERDUE_LAGGED", key="90", period=MAR).exists()


def test_dpd_bucket_distribution_at_a_month_end(computed):
    shares = {
        key: (loans, balance)
        for key, loans, balance in IndicatorValue.objects.filter(as_of=AS_OF, indicator="DPD_BUCKET", period=APR)
        .values("key")
        .annotate(loans=Sum("count_numerator"), balance=Sum("amount_numerator"))
        .values_list("key", "loans", "balance")
    }
    assert shares == {
        "C": (2, Decimal("8902.00")),
        "M1": (1, Decimal("20000.00")),
        "M3": (1, Decimal("2000.00")),
    }


def test_outstanding_principal_by_grade_and_our_share(computed):
    assert summed("OUTSTANDING", period=APR, grade="A")[1:] == (2, Decimal("3022.00"), Decimal("8902.00"))
    assert summed("OUTSTANDING", period=APR, grade="C")[3] == Decimal("20000.00")
    # ours: all of L1 and L2, 30% of L3 and L4: 502 + 2,000 + 2,520 + 6,000
    assert summed("OUTSTANDING", period=APR)[2:] == (Decimal("11022.00"), Decimal("30902.00"))


def test_partner_concentration_splits_the_partners_part_by_funding_shares(computed):
    # co-funded at 04-30: L3 8,400 and L4 20,000, of which ours 30% = 8,520; partners' 19,880 split 0.4 : 0.3
    assert summed("PARTNER", period=APR, partner_code="ICBC")[2:] == (Decimal("11360.00"), Decimal("50000.00"))
    assert summed("PARTNER", period=APR, partner_code="CMB")[2:] == (Decimal("8520.00"), Decimal("20000.00"))
    assert summed("PARTNER", period=APR, key="OWN")[2:] == (Decimal("8520.00"), Decimal("28400.00"))


def test_approval_rate_by_day_and_channel_leaves_out_applications_still_in_review(computed):
    assert summed("APPROVAL", period=date(2024, 1, 10), channel="WEB") == (
        1,
        2,
        Decimal("1000.00"),
        Decimal("6000.00"),
    )
    # AP-6 is still with an officer: not decided, not counted
    assert summed("APPROVAL", period=date(2024, 1, 15), channel="API")[:2] == (1, 1)
    assert summed("APPROVAL", scorecard_version="SC-T")[:2] == (4, 5)


def test_approval_by_score_band(computed):
    january = {"period": date(2024, 1, 1)}
    assert summed("APPROVAL_BY_BAND", key="00", **january)[:2] == (0, 1)  # 450: declined
    assert summed("APPROVAL_BY_BAND", key="01", **january)[:2] == (1, 1)  # 540 approved; 560 in review
    assert summed("APPROVAL_BY_BAND", key="02", **january)[:2] == (1, 1)  # 620 approved


def test_disbursed_count_and_amount_by_day(computed):
    assert summed("DISBURSED", period=date(2024, 3, 20))[::2] == (1, Decimal("20000.00"))
    assert summed("DISBURSED")[::2] == (4, Decimal("33000.00"))


def test_matured_outcomes_feed_score_histograms_and_the_decision_facts():
    portfolio_build()

    services.indicators_compute(as_of=AS_OF, bad=BadDefinition(dpd=30, months=2))

    # window "within 2 months": January loans by 03-31, February by 04-30, March not before 05-31.
    # L2 went 30+ at MOB2 (bad); L1 and L3 closed their windows clean (good); L4 has not matured.
    histogram = dict(
        IndicatorValue.objects.filter(as_of=AS_OF, indicator="SCORE_OUTCOME").values_list("key", "count_numerator")
    )
    assert histogram == {"0540": 1, "0580": 0, "0620": 0}
    outcomes = dict(DecisionFact.objects.values_list("application_reference", "matured_bad"))
    assert outcomes == {"AP-1": False, "AP-2": True, "AP-3": False, "AP-4": None, "AP-5": None, "AP-6": None}
    assert DecisionFact.objects.get(application_reference="AP-2").outcome_observed_on == MAR


def test_computing_a_date_twice_gives_the_same_rows(computed):
    fields = [f.name for f in IndicatorValue._meta.fields if f.name != "id"]
    first = sorted(IndicatorValue.objects.filter(as_of=AS_OF).values_list(*fields))

    again = services.indicators_compute(as_of=AS_OF)

    assert sorted(IndicatorValue.objects.filter(as_of=AS_OF).values_list(*fields)) == first
    assert again.rows == computed.rows == len(first)
    assert IndicatorRun.objects.count() == 1


def test_each_date_keeps_its_own_rows_and_old_mid_month_dates_are_superseded(computed):
    services.indicators_compute(as_of=date(2024, 4, 10))
    services.indicators_compute(as_of=date(2024, 3, 31))
    services.indicators_compute(as_of=date(2024, 3, 15))

    services.indicators_compute(as_of=date(2024, 4, 29))

    kept = set(IndicatorValue.objects.values_list("as_of", flat=True).distinct())
    assert kept == {AS_OF, date(2024, 4, 29), date(2024, 3, 31)}  # 03-15 and 04-10 are older than a week
    assert set(IndicatorRun.objects.values_list("as_of", flat=True)) == kept
    # a date sees only what was known by then: as of 03-31 there is no April, and L2 was in M2
    assert not IndicatorValue.objects.filter(as_of=MAR, period__gt=MAR).exists()
    buckets = IndicatorValue.objects.filter(as_of=MAR, indicator="DPD_BUCKET", period=MAR)
    assert set(buckets.values_list("key", flat=True)) == {"C", "M2"}


def test_the_date_of_the_last_close_is_the_newest_snapshot(computed):
    assert services.indicators_latest_date() == AS_OF
