"""The pipeline end to end on real and synthetic data: the card is its points table, scores are
monotonic in PD, training is reproducible, selection drops and flags, bad data is refused by name."""

import numpy as np
import pandas as pd
import pytest

from risk_models.exceptions import (
    AllMissingCharacteristic,
    ConstantCharacteristic,
    TargetMissing,
    TargetNotBinary,
    TooFewBads,
)
from risk_models.scorecard.card import CompiledCard, Scorecard
from risk_models.scorecard.training import (
    DROPPED_CORRELATED,
    DROPPED_LOW_IV,
    SELECTED,
    SUSPECT_LEAKAGE,
    TrainingParameters,
    train,
)

from .conftest import PROTECTED, applicant


def points_by_hand(card_table: dict, row: pd.Series) -> int:
    """Look each value up in the printed table, as an analyst would, and add the points."""
    total = 0
    for characteristic in card_table["characteristics"]:
        value = row[characteristic["name"]]
        bins = characteristic["bins"]
        if pd.isna(value):
            chosen = bins[-1]
        elif characteristic["kind"] == "numeric":
            chosen = next(
                b
                for b in bins[:-1]
                if (b["lower"] is None or value >= b["lower"]) and (b["upper"] is None or value < b["upper"])
            )
        else:
            chosen = next(b for b in bins if str(value) in b["categories"])
        total += chosen["points"]
    return total


def test_the_card_scores_exactly_the_sum_of_its_points_table(german, german_result):
    table = german_result.card.to_dict()
    compiled = german_result.card.compile()

    for row in (0, 1, 17, 250, 999):
        by_hand = points_by_hand(table, german.iloc[row])
        assert compiled.score_one(applicant(german, row, german_result.card.names)).score == by_hand
        assert compiled.score_frame(german.iloc[[row]]).score[0] == by_hand


def test_scores_are_monotonic_in_pd_and_grades_follow(german, german_result):
    compiled = german_result.card.compile()
    batch = compiled.score_frame(german)
    order = np.argsort(batch.score, kind="mergesort")

    scores, pds, grades = batch.score[order], batch.pd[order], batch.grade[order]

    distinct = np.diff(scores) > 0
    assert (np.diff(pds)[distinct] < 0).all()
    assert (np.diff(pds)[~distinct] == 0).all()
    assert list(grades) == sorted(grades, reverse=True)  # higher score, better (earlier) letter


def test_batch_and_one_applicant_scoring_agree(german, german_result):
    compiled = german_result.card.compile()
    batch = compiled.score_frame(german)

    for row in range(0, 1000, 97):
        one = compiled.score_one(applicant(german, row, german_result.card.names))
        assert one.score == batch.score[row]
        assert one.grade == batch.grade[row]
        assert float(one.pd) == pytest.approx(batch.pd[row], abs=5e-7)


def test_reasons_are_the_characteristics_that_cost_the_most_points(german, german_result):
    card = german_result.card
    person = applicant(german, 1, card.names)

    scored = card.compile().score_one(person)

    table = card.to_dict()["characteristics"]
    costs = []
    for characteristic in table:
        earned = points_by_hand({"characteristics": [characteristic]}, german.iloc[1])
        best = max(b["points"] for b in characteristic["bins"])
        if best > earned:
            costs.append((best - earned, characteristic["reason_code"]))
    expected = [code for _cost, code in sorted(costs, key=lambda c: -c[0])][:4]
    assert scored.reasons == expected
    assert all(code.startswith("SCORE_") for code in scored.reasons)


def test_the_demo_card_discriminates_on_held_out_german_data(german_result):
    assert german_result.metrics["test_auc"] > 0.74
    assert german_result.metrics["gini"] == pytest.approx(2 * german_result.metrics["test_auc"] - 1)
    assert german_result.metrics["test_rows"] == 300


def test_protected_characteristics_are_left_out_of_the_demo_card(german_result):
    considered = {row.name for row in german_result.review}

    assert not considered & set(PROTECTED)
    assert not set(german_result.card.names) & set(PROTECTED)


def test_same_data_and_seed_give_the_same_card(german):
    parameters = TrainingParameters(exclude=PROTECTED, seed=7)

    first = train(german, parameters=parameters)
    second = train(german.copy(), parameters=parameters)

    assert first.card.to_dict() == second.card.to_dict()  # bins, WOE, coefficients, points
    assert np.array_equal(first.estimator.coef_, second.estimator.coef_)
    assert first.reproducibility == second.reproducibility
    assert len(first.reproducibility["training_sha256"]) == 64
    assert {"numpy", "pandas", "scikit-learn", "python"} <= set(first.reproducibility["library_versions"])


def test_another_seed_holds_out_other_rows_but_the_data_hash_is_the_same(german):
    first = train(german, parameters=TrainingParameters(exclude=PROTECTED, seed=1))
    second = train(german, parameters=TrainingParameters(exclude=PROTECTED, seed=2))

    assert first.reproducibility["training_sha256"] == second.reproducibility["training_sha256"]
    assert first.card.to_dict() != second.card.to_dict()


def test_the_card_survives_a_round_trip_through_plain_data(german_result):
    again = Scorecard.from_dict(german_result.card.to_dict())

    assert again == german_result.card


def test_selection_drops_weak_and_correlated_characteristics_and_flags_leakage(synthetic):
    frame = synthetic.assign(
        utilisation_copy=synthetic["utilisation"] * 100,
        leak=synthetic["bad"] + np.random.default_rng(0).normal(0, 0.6, len(synthetic)),  # a near-copy of the outcome
    )

    result = train(frame)

    review = {row.name: row for row in result.review}
    assert review["noise"].status == DROPPED_LOW_IV
    assert review["noise"].iv < 0.02
    dropped_twin = {"utilisation", "utilisation_copy"} - set(result.card.names)
    assert len(dropped_twin) == 1
    assert review[dropped_twin.pop()].status == DROPPED_CORRELATED
    assert review["leak"].flag == SUSPECT_LEAKAGE
    assert review["leak"].iv > 0.5
    assert review["income"].status == SELECTED
    assert review["income"].coefficient > 0


def test_the_synthetic_card_learns_the_risk_of_a_missing_tenure(synthetic):
    result = train(synthetic)

    tenure = next(c for c in result.card.characteristics if c.name == "tenure")
    assert tenure.binned.bins[-1].is_missing
    assert not tenure.binned.bins[-1].neutral
    assert tenure.points[-1] == min(tenure.points)  # missing tenure is the riskiest answer


def test_a_frame_without_the_target_is_refused_naming_it(german):
    with pytest.raises(TargetMissing, match="creditability") as error:
        train(german, parameters=TrainingParameters(target="creditability"))

    assert error.value.details["column"] == "creditability"


def test_a_target_with_other_values_is_refused_naming_the_lines(german):
    frame = german.assign(bad=german["bad"].astype(object))
    frame.loc[3, "bad"] = "yes"
    frame.loc[10, "bad"] = 2

    with pytest.raises(TargetNotBinary, match="line 5") as error:
        train(frame)

    assert error.value.details["lines"] == [5, 12]
    assert "line 5: 'yes'" in error.value.message


def test_a_missing_target_value_is_not_binary_either(german):
    frame = german.assign(bad=german["bad"].astype(float))
    frame.loc[0, "bad"] = np.nan

    with pytest.raises(TargetNotBinary, match=r"line 2: \(empty\)"):
        train(frame)


def test_fewer_than_fifty_bads_are_refused(german):
    frame = pd.concat([german[german["bad"] == 0], german[german["bad"] == 1].head(49)])

    with pytest.raises(TooFewBads, match="49"):
        train(frame)


def test_a_constant_column_is_refused_naming_it(german):
    with pytest.raises(ConstantCharacteristic, match="branch") as error:
        train(german.assign(branch="Shanghai"))

    assert error.value.details["column"] == "branch"


def test_an_all_missing_column_is_refused_naming_it(german):
    with pytest.raises(AllMissingCharacteristic, match="email"):
        train(german.assign(email=np.nan))


def test_a_constant_column_can_be_left_out_instead(german):
    result = train(german.assign(branch="Shanghai"), parameters=TrainingParameters(exclude=("branch", *PROTECTED)))

    assert "branch" not in {row.name for row in result.review}


def test_an_explicit_test_frame_is_used_as_given(german):
    train_part, test_part = german.iloc[:700], german.iloc[700:]

    result = train(train_part, test_frame=test_part, parameters=TrainingParameters(exclude=PROTECTED))

    assert result.metrics["train_rows"] == 700
    assert result.metrics["test_rows"] == 300
    assert result.reproducibility["test_sha256"] is not None
    compiled = CompiledCard(result.card)
    assert (compiled.score_frame(test_part).score == result.evaluation.test_scores).all()
