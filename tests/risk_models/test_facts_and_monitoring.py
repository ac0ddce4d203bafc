"""Decision facts pushed by underwriting, and the daily monitoring computed from them."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import numpy as np
import pytest

from risk_models import services
from risk_models.exceptions import DecisionFactInvalid
from risk_models.models import DecisionFact, ScorecardMonitoringSnapshot

from .conftest import applicant, person_for, run_concurrently

pytestmark = pytest.mark.django_db
DAY = date(2024, 3, 31)


def record(reference="APP-1", *, outcome="APPROVED", decided_on=DAY, **overrides):
    arguments = {
        "application_reference": reference,
        "decided_at": datetime(decided_on.year, decided_on.month, decided_on.day, 2, 0, tzinfo=UTC),
        "decided_on": decided_on,
        "outcome": outcome,
        "product_code": "CASH_12",
        "channel": "WEB",
        "amount": Decimal("12000.00"),
        "term": 12,
        "score": 571,
        "pd": Decimal("0.052100"),
        "grade": "B",
        "scorecard_version": "SC-000001",
        "variant": "CHAMPION",
        "reason_codes": ["SCORE_DURATION_IN_MONTH"],
        "characteristics": {"duration_in_month": 12, "credit_amount": Decimal("12000.00")},
    }
    arguments.update(overrides)
    return services.decision_fact_record(**arguments)


def test_a_decision_fact_is_recorded_with_its_snapshot():
    record()

    fact = DecisionFact.objects.get()
    assert (fact.outcome, fact.score, fact.pd, fact.grade) == ("APPROVED", 571, Decimal("0.052100"), "B")
    assert fact.characteristics == {"duration_in_month": 12, "credit_amount": "12000.00"}
    assert fact.amount == Decimal("12000.00")


def test_recording_the_same_decision_twice_keeps_one_row():
    record()
    record()

    assert DecisionFact.objects.count() == 1


def test_a_later_decision_replaces_the_manual_review_outcome():
    record(outcome="MANUAL_REVIEW", approved_amount=None)

    record(outcome="APPROVED", approved_amount=Decimal("10000.00"))

    fact = DecisionFact.objects.get()
    assert (fact.outcome, fact.approved_amount) == ("APPROVED", Decimal("10000.00"))


def test_a_rejection_by_hard_rules_needs_no_score():
    record(outcome="REJECTED", score=None, pd=None, grade=None, scorecard_version=None, variant=None)

    fact = DecisionFact.objects.get()
    assert fact.score is None
    assert fact.grade == ""
    assert fact.scorecard_version == ""


@pytest.mark.parametrize(
    "overrides", [{"outcome": "MAYBE"}, {"pd": Decimal("1.5")}, {"amount": 12000.5}], ids=["outcome", "pd", "float"]
)
def test_an_invalid_fact_is_refused(overrides):
    with pytest.raises(Exception) as error:
        record(**overrides)

    assert getattr(error.value, "code", "") in {"DECISION_FACT_INVALID", "INVALID_AMOUNT"}
    assert not DecisionFact.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_concurrent_records_of_one_application_leave_one_row():
    errors = run_concurrently(lambda outcome: record(outcome=outcome), [(o,) for o in ["APPROVED", "REJECTED"] * 4])

    assert errors == []
    assert DecisionFact.objects.count() == 1


def test_the_matured_outcome_is_recorded_on_the_fact():
    record()

    services.decision_fact_outcome_record(application_reference="APP-1", bad=True, observed_on=date(2024, 9, 30))

    assert DecisionFact.objects.get().matured_bad is True
    with pytest.raises(DecisionFactInvalid):
        services.decision_fact_outcome_record(application_reference="APP-404", bad=False, observed_on=DAY)


# ---- monitoring -------------------------------------------------------------------------------------


def push_scored_applications(german, version, rows, *, start=0, shift_days=0):
    """Decisions scored by the card on German rows, as underwriting would record them."""
    card = services.scoring.compiled_card(version_id=version.pk)
    for i in map(int, rows):
        answers = applicant(german, i, card.names)
        scored = card.score_one(answers)
        record(
            f"APP-{start + i}",
            decided_on=DAY - timedelta(days=(i % 20) + shift_days),
            score=scored.score,
            pd=scored.pd,
            grade=scored.grade,
            scorecard_version=version.version,
            characteristics=answers,
        )
    return card


def test_monitoring_is_stable_when_applicants_look_like_the_training_data(german, active_card):
    push_scored_applications(german, active_card, range(0, 1000, 2))

    (snapshot,) = services.scorecard_monitoring_compute(on=DAY)

    assert snapshot.version == active_card
    assert snapshot.applications == 500
    assert snapshot.score_psi < 0.10
    assert snapshot.psi_status == "STABLE"
    assert set(snapshot.csi) == set(person_for(german, active_card))
    assert snapshot.max_csi < 0.10
    assert snapshot.window_start == DAY - timedelta(days=29)


def test_monitoring_flags_a_shifted_population(german, active_card):
    risky = np.flatnonzero(german["bad"].to_numpy() == 1)[:250]
    push_scored_applications(german, active_card, risky)

    (snapshot,) = services.scorecard_monitoring_compute(on=DAY)

    assert snapshot.score_psi >= 0.10
    assert snapshot.psi_status in {"WATCH", "ACT"}


def test_monitoring_measures_ks_and_auc_on_matured_outcomes(german, active_card):
    push_scored_applications(german, active_card, range(400))
    for i in range(400):
        services.decision_fact_outcome_record(
            application_reference=f"APP-{i}", bad=bool(german["bad"].iloc[i]), observed_on=DAY
        )

    (snapshot,) = services.scorecard_monitoring_compute(on=DAY)

    assert snapshot.matured == 400
    assert snapshot.matured_bads == int(german["bad"].iloc[:400].sum())
    assert 0.70 < snapshot.auc < 0.95
    assert 0.3 < snapshot.ks < 0.8


def test_monitoring_ignores_decisions_outside_the_window_and_recomputing_a_day_replaces_it(german, active_card):
    push_scored_applications(german, active_card, range(100), shift_days=40)

    services.scorecard_monitoring_compute(on=DAY)
    services.scorecard_monitoring_compute(on=DAY)

    snapshot = ScorecardMonitoringSnapshot.objects.get()
    assert snapshot.applications == 0
    assert snapshot.score_psi is None
    assert snapshot.psi_status == "UNKNOWN"


def test_the_daily_task_computes_for_the_given_date(german, active_card):
    from risk_models.tasks import scorecard_monitoring_daily

    push_scored_applications(german, active_card, range(50))

    result = scorecard_monitoring_daily.run(on=DAY.isoformat())

    assert result == {"date": "2024-03-31", "versions": [active_card.version]}
