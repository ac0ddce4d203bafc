"""risk_models.services.score: the active card in-process, champion/challenger by a stable hash,
clear errors for what the card cannot score, and a new activation seen by the very next call."""

import statistics
import time
from decimal import Decimal

import pytest

from risk_models import selectors, services
from risk_models.exceptions import (
    InvalidNumber,
    MissingCharacteristic,
    NoActiveScorecard,
    UnknownCategory,
    UnknownCharacteristic,
)

from .conftest import person_for, register_card

pytestmark = pytest.mark.django_db


@pytest.fixture
def person(german, active_card):
    return person_for(german, active_card)


def test_score_returns_the_cards_score_pd_grade_reasons_and_version(active_card, person, german_result):
    result = services.score(characteristics=person)

    expected = german_result.card.compile().score_one(person)
    assert (result.score, result.pd, result.grade, result.reasons) == (
        expected.score,
        expected.pd,
        expected.grade,
        expected.reasons,
    )
    assert result.version == active_card.version
    assert result.variant == services.CHAMPION
    assert isinstance(result.pd, Decimal)
    assert result.pd == result.pd.quantize(Decimal("0.000001"))
    assert result.grade in "ABCDE"


def test_amounts_may_arrive_as_decimal_strings(active_card, person):
    as_text = {**person, "credit_amount": str(person["credit_amount"]), "age_in_years": Decimal(person["age_in_years"])}

    assert services.score(characteristics=as_text).score == services.score(characteristics=person).score


def test_an_unknown_characteristic_is_refused_by_name(active_card, person):
    with pytest.raises(UnknownCharacteristic, match="shoe_size") as error:
        services.score(characteristics={**person, "shoe_size": 42})

    assert error.value.details["characteristics"] == ["shoe_size"]


def test_a_characteristic_left_out_is_refused_by_name(active_card, person):
    person.pop("purpose")

    with pytest.raises(MissingCharacteristic, match="purpose"):
        services.score(characteristics=person)


def test_an_unknown_category_is_refused_naming_the_value(active_card, person):
    with pytest.raises(UnknownCategory, match="space travel"):
        services.score(characteristics={**person, "purpose": "space travel"})


def test_text_where_a_number_belongs_is_refused(active_card, person):
    with pytest.raises(InvalidNumber, match="duration_in_month"):
        services.score(characteristics={**person, "duration_in_month": "twelve"})


def test_an_unknown_value_scores_in_the_missing_bin(active_card, person):
    result = services.score(characteristics={**person, "age_in_years": None})

    card = selectors.scorecard_card(version=active_card)
    age = next(c for c in card.characteristics if c.name == "age_in_years")
    baseline = services.score(characteristics=person).score
    earned = age.points[age.binned.assign(__import__("pandas").Series([person["age_in_years"]]))[0][0]]
    assert result.score == baseline - earned + age.points[-1]


def test_without_an_active_card_scoring_says_so(db):
    with pytest.raises(NoActiveScorecard):
        services.score(characteristics={"x": 1})


def test_another_process_sees_an_activation_within_the_routing_interval(active_card, german, settings):
    from risk_models.models import ScorecardVersion

    settings.RISK_MODELS_ROUTING_SECONDS = 0.0  # re-read on every call
    newer = register_card(german, seed=8)
    services.score(characteristics=person_for(german, active_card))
    # another process activates: this one is not told, it only re-reads the routing
    ScorecardVersion.objects.filter(pk=active_card.pk).update(status="RETIRED")
    ScorecardVersion.objects.filter(pk=newer.pk).update(status="ACTIVE")

    assert services.score(characteristics=person_for(german, newer)).version == newer.version


def test_the_next_call_after_an_activation_uses_the_new_card(active_card, german, person, analyst):
    before = services.score(characteristics=person)
    newer = register_card(german, seed=8)

    services.scorecard_activate(version=newer.version, actor=analyst)

    after = services.score(characteristics=person_for(german, newer))
    assert before.version == active_card.version
    assert after.version == newer.version


def test_a_product_with_its_own_card_is_scored_with_it(active_card, german, person):
    product_card = register_card(german, seed=21, activate=True, product_code="CASH_12")

    product_person = person_for(german, product_card)
    assert services.score(characteristics=product_person, product_code="CASH_12").version == product_card.version
    assert services.score(characteristics=person, product_code="CASH_6").version == active_card.version


def test_challenger_traffic_is_split_by_a_stable_hash_of_the_applicant(active_card, german, person, analyst):
    challenger = register_card(german, seed=13)
    services.scorecard_challenger_set(version=challenger.version, traffic_share=Decimal("0.3"), actor=analyst)
    # one answer set for both arms: the union of what the champion and the challenger score
    person = {**person, **person_for(german, challenger)}

    results = {key: services.score(characteristics=person, applicant_key=key) for key in map(str, range(400))}

    share = sum(r.variant == services.CHALLENGER for r in results.values()) / len(results)
    assert 0.22 < share < 0.38
    assert all((r.version == challenger.version) == (r.variant == services.CHALLENGER) for r in results.values())
    again = {key: services.score(characteristics=person, applicant_key=key).variant for key in list(results)[:50]}
    assert again == {key: results[key].variant for key in again}
    assert services.score(characteristics=person).variant == services.CHAMPION  # no key: the champion


def test_the_applicant_bucket_is_stable_and_uniform_in_the_unit_interval():
    buckets = [services.applicant_bucket(product_code="", applicant_key=str(i)) for i in range(2000)]

    assert services.applicant_bucket(product_code="", applicant_key="7") == buckets[7]
    assert all(0 <= b < 1 for b in buckets)
    assert 0.45 < statistics.mean(buckets) < 0.55


def test_one_applicant_is_scored_in_well_under_a_millisecond(active_card, person, settings):
    settings.RISK_MODELS_ROUTING_SECONDS = 1.0  # the production default: routing re-read once a second
    services.score(characteristics=person)  # loads the card once per process
    timings = []
    for _ in range(300):
        started = time.perf_counter()
        services.score(characteristics=person)
        timings.append(time.perf_counter() - started)

    # the target is < 1 ms (bench/scorecard.py measures it); a loaded CI machine gets some slack here
    assert statistics.median(timings) < 0.003


def test_the_selector_lists_what_the_application_form_must_collect(active_card, german_result):
    specs = {spec.name: spec for spec in selectors.active_scorecard_characteristics()}

    assert list(specs) == german_result.card.names
    purpose = specs["purpose"]
    assert purpose.kind == "categorical"
    assert set(purpose.categories) == set(german_result.binned["purpose"].category_index())
    assert specs["duration_in_month"].kind == "numeric"
    assert specs["duration_in_month"].categories == ()
    assert all(spec.reason_code.startswith("SCORE_") for spec in specs.values())


def test_the_selector_adds_what_a_challenger_scores(active_card, german, analyst):
    challenger = register_card(german, seed=13)
    services.scorecard_challenger_set(version=challenger.version, traffic_share=Decimal("0.5"), actor=analyst)

    names = {spec.name for spec in selectors.active_scorecard_characteristics()}

    assert names == set(person_for(german, active_card)) | set(person_for(german, challenger))
