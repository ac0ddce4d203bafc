"""The registry: a trained card is stored as data with its artefact; activation is audited, permissioned
and leaves exactly one ACTIVE card per product, even when two analysts activate at the same moment."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from risk_models import selectors, services
from risk_models.exceptions import (
    NoActiveScorecard,
    ScorecardPermissionDenied,
    ScorecardStatusConflict,
    TrafficShareInvalid,
)
from risk_models.models import ScorecardEvent, ScorecardVersion
from risk_models.scorecard import artefact

from .conftest import register_card, run_concurrently

pytestmark = pytest.mark.django_db


def test_a_trained_card_is_registered_as_a_candidate_with_its_tables_and_figures(german, quick_report, analyst):
    version = register_card(german, actor=analyst)

    assert version.status == ScorecardVersion.Status.CANDIDATE
    assert version.version == f"SC-{version.pk:06d}"
    assert version.trained_by == analyst
    assert version.trained_at is not None
    assert 0.74 < version.test_auc < 1
    assert version.gini == pytest.approx(2 * version.test_auc - 1)
    assert len(version.training_sha256) == 64
    assert version.seed == 42
    assert version.library_versions["scikit-learn"]
    on_card = version.characteristics.filter(status="SELECTED")
    assert on_card.count() == version.metrics["features"]
    assert all(b.points is not None for c in on_card for b in c.bins.all())
    event = ScorecardEvent.objects.get(version=version)
    assert (event.action, event.to_status, event.actor) == ("TRAINED", "CANDIDATE", analyst)


def test_the_stored_tables_rebuild_the_trained_card_exactly(german, german_result, quick_report):
    version = register_card(german)

    assert selectors.scorecard_card(version=version) == german_result.card


def test_the_artefact_is_a_skops_file_holding_the_same_card(german, german_result, quick_report):
    version = register_card(german)

    with version.artefact.open("rb") as handle:
        data = handle.read()
    content = artefact.loads(data)

    assert not data.startswith(b"\x80")  # not a pickle stream
    assert content["card"] == german_result.card
    assert content["version"] == version.version
    assert content["reproducibility"]["training_sha256"] == version.training_sha256
    assert content["estimator"].coef_.tolist() == german_result.estimator.coef_.tolist()


def test_activation_makes_the_card_active_and_writes_an_audit_row(german, quick_report, analyst):
    version = register_card(german)

    services.scorecard_activate(version=version.version, actor=analyst)

    version.refresh_from_db()
    assert version.status == "ACTIVE"
    assert version.activated_by == analyst
    assert version.activated_at
    event = version.events.get(action="ACTIVATED")
    assert (event.from_status, event.to_status, event.actor) == ("CANDIDATE", "ACTIVE", analyst)


def test_activating_a_second_card_retires_the_first(german, quick_report, analyst):
    first = register_card(german, activate=True)
    second = register_card(german, seed=5)

    services.scorecard_activate(version=second.version, actor=analyst)

    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == ("RETIRED", "ACTIVE")
    assert first.events.get(action="RETIRED").details == {"replaced_by": second.version}
    assert second.events.get(action="ACTIVATED").details == {"replaces": first.version}


def test_activation_needs_the_permission(german, quick_report, viewer):
    version = register_card(german)

    with pytest.raises(ScorecardPermissionDenied):
        services.scorecard_activate(version=version.version, actor=viewer)

    version.refresh_from_db()
    assert version.status == "CANDIDATE"
    assert not version.events.filter(action="ACTIVATED").exists()


def test_activating_the_active_card_again_is_a_conflict(active_card, analyst):
    with pytest.raises(ScorecardStatusConflict):
        services.scorecard_activate(version=active_card.version, actor=analyst)


def test_the_database_refuses_a_second_active_card_for_a_product(german, quick_report):
    register_card(german, activate=True)
    other = register_card(german, seed=3)

    with pytest.raises(IntegrityError), transaction.atomic():
        ScorecardVersion.objects.filter(pk=other.pk).update(status="ACTIVE")


def test_each_product_has_its_own_active_card(german, quick_report):
    default = register_card(german, activate=True)
    cash = register_card(german, seed=3, activate=True, product_code="CASH_12")

    assert selectors.active_scorecard(product_code="CASH_12") == cash
    assert selectors.active_scorecard(product_code="OTHER") == default
    assert selectors.active_scorecard() == default


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_activations_leave_exactly_one_active_card(german, quick_report, analyst):
    first = register_card(german, seed=11)
    second = register_card(german, seed=12)
    errors = run_concurrently(
        lambda version: services.scorecard_activate(version=version, actor=analyst),
        [(first.version,), (second.version,)],
    )

    assert errors == []
    statuses = sorted(ScorecardVersion.objects.filter(pk__in=[first.pk, second.pk]).values_list("status", flat=True))
    assert statuses == ["ACTIVE", "RETIRED"]
    assert ScorecardVersion.objects.filter(status="ACTIVE").count() == 1
    assert ScorecardEvent.objects.filter(action="ACTIVATED").count() == 2
    assert ScorecardEvent.objects.filter(action="RETIRED").count() == 1


def test_a_challenger_takes_a_share_of_traffic_with_an_audit_row(active_card, german, analyst):
    candidate = register_card(german, seed=9)

    services.scorecard_challenger_set(version=candidate.version, traffic_share=Decimal("0.2"), actor=analyst)

    candidate.refresh_from_db()
    assert (candidate.status, candidate.traffic_share) == ("CHALLENGER", Decimal("0.2000"))
    assert candidate.events.get(action="CHALLENGER_SET").traffic_share == Decimal("0.2000")


def test_challengers_cannot_take_more_than_all_the_traffic(active_card, german, analyst):
    first, second = register_card(german, seed=9), register_card(german, seed=10)
    services.scorecard_challenger_set(version=first.version, traffic_share=Decimal("0.7"), actor=analyst)

    with pytest.raises(TrafficShareInvalid):
        services.scorecard_challenger_set(version=second.version, traffic_share=Decimal("0.4"), actor=analyst)
    with pytest.raises(TrafficShareInvalid):
        services.scorecard_challenger_set(version=second.version, traffic_share=Decimal("0"), actor=analyst)


def test_a_challenger_needs_a_champion(german, quick_report, analyst):
    candidate = register_card(german)

    with pytest.raises(NoActiveScorecard):
        services.scorecard_challenger_set(version=candidate.version, traffic_share=Decimal("0.1"), actor=analyst)


def test_retiring_takes_a_challenger_out_of_use_but_not_the_active_card(active_card, german, analyst):
    candidate = register_card(german, seed=9)
    services.scorecard_challenger_set(version=candidate.version, traffic_share=Decimal("0.5"), actor=analyst)

    services.scorecard_retire(version=candidate.version, actor=analyst)

    candidate.refresh_from_db()
    assert (candidate.status, candidate.traffic_share) == ("RETIRED", Decimal(0))
    with pytest.raises(ScorecardStatusConflict):
        services.scorecard_retire(version=active_card.version, actor=analyst)


def test_a_retired_card_can_be_activated_again_as_a_rollback(german, quick_report, analyst):
    first = register_card(german, activate=True)
    second = register_card(german, seed=4, activate=True)

    services.scorecard_activate(version=first.version, actor=analyst)

    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == ("ACTIVE", "RETIRED")


def test_the_risk_analyst_group_holds_both_permissions(db):
    from django.contrib.auth.models import Group

    codenames = set(Group.objects.get(name="Risk analyst").permissions.values_list("codename", flat=True))

    assert codenames == {"activate_scorecard", "view_analytics"}
