"""WOE, IV, AUC, KS, PSI and the points scaling against values computed by hand (DOMAIN.md §6)."""

import math

import numpy as np
import pytest

from risk_models.scorecard import metrics
from risk_models.scorecard.scaling import Scaling, pd_decimal, round_half_up_int


def test_woe_of_two_bins_matches_the_hand_computation():
    # 30 bads, 70 goods: bin 1 holds 10 bads / 40 goods, bin 2 holds 20 bads / 30 goods.
    woes = metrics.woe(np.array([10, 20]), np.array([40, 30]), total_bads=30, total_goods=70)

    # ln((10/30)/(40/70)) = ln(0.583333) = −0.538997 ; ln((20/30)/(30/70)) = ln(1.555556)
    assert woes == pytest.approx([-0.538997, 0.441833], abs=1e-6)


def test_iv_sums_the_share_gaps_times_woe():
    bads, goods = np.array([10, 20]), np.array([40, 30])
    woes = metrics.woe(bads, goods, total_bads=30, total_goods=70)

    contributions = metrics.information_value(bads, goods, woes, total_bads=30, total_goods=70)

    # (1/3 − 4/7)·(−0.538997) + (2/3 − 3/7)·0.441833 = 0.128333 + 0.105198
    assert contributions == pytest.approx([0.128333, 0.105198], abs=1e-6)
    assert contributions.sum() == pytest.approx(0.233531, abs=1e-6)


def test_auc_counts_ordered_pairs():
    # bads at risk 0.35 and 0.8, goods at 0.1 and 0.4: 3 of the 4 bad–good pairs are ordered
    assert metrics.auc(np.array([0.1, 0.4, 0.35, 0.8]), np.array([0, 0, 1, 1])) == pytest.approx(0.75)


def test_auc_counts_a_tie_as_half_a_pair():
    # pairs: (bad 1, good 1) tie → ½ ; (bad 2, good 1) ordered → 1 ; total 1.5 / 2
    assert metrics.auc(np.array([1.0, 1.0, 2.0]), np.array([0, 1, 1])) == pytest.approx(0.75)


def test_gini_is_twice_auc_minus_one():
    assert metrics.gini(0.75) == pytest.approx(0.5)


def test_ks_is_the_largest_gap_between_cumulative_bad_and_good_shares():
    risk = np.array([0.9, 0.8, 0.7, 0.6, 0.5, 0.4])
    bad = np.array([1, 1, 0, 1, 0, 0])

    curve = metrics.ks_curve(risk, bad)

    # riskiest first: bads 1/3, 2/3, 2/3, 1, 1, 1 ; goods 0, 0, 1/3, 1/3, 2/3, 1
    assert curve.ks == pytest.approx(2 / 3)
    assert curve.at in (0.8, 0.6)  # the gap of 2/3 is reached at both cut-offs
    assert curve.cumulative_bad == pytest.approx([1 / 3, 2 / 3, 2 / 3, 1, 1, 1])


def test_ks_moves_tied_scores_together():
    # a tie between a bad and a good cannot be split by any cut-off
    assert metrics.ks(np.array([1.0, 1.0]), np.array([1, 0])) == pytest.approx(0.0)


def test_psi_of_a_ten_point_shift_between_two_buckets():
    # (0.6 − 0.5)·ln(1.2) + (0.4 − 0.5)·ln(0.8) = 0.018232 + 0.022314
    assert metrics.psi([0.5, 0.5], [0.6, 0.4]) == pytest.approx(0.040546, abs=1e-6)


def test_psi_of_identical_distributions_is_zero_and_an_emptied_bucket_stays_finite():
    assert metrics.psi([0.2, 0.8], [0.2, 0.8]) == 0.0
    assert math.isfinite(metrics.psi([0.5, 0.5], [1.0, 0.0]))


@pytest.mark.parametrize(
    ("value", "status"), [(0.0999, "STABLE"), (0.10, "WATCH"), (0.2499, "WATCH"), (0.25, "ACT"), (None, "UNKNOWN")]
)
def test_psi_status_follows_the_domain_thresholds(value, status):
    assert metrics.psi_status(value) == status


def test_score_psi_buckets_by_the_baselines_deciles():
    baseline = np.arange(1000, dtype=float)

    value, expected, actual = metrics.score_psi(baseline, baseline[:500])

    assert expected == pytest.approx([0.1] * 10)
    assert actual[:5] == pytest.approx([0.2] * 5)
    assert actual[5:] == pytest.approx([0.0] * 5)
    assert value > 0.25


def test_scaling_matches_the_domain_worked_figures():
    scaling = Scaling(pdo=20, base_score=600, base_odds=50)

    assert scaling.factor == pytest.approx(28.8539, abs=5e-5)
    assert scaling.offset == pytest.approx(487.1229, abs=5e-5)


@pytest.mark.parametrize(("pd", "score"), [(0.02, 599), (0.05, 572), (0.10, 551), (0.20, 527)])
def test_score_for_a_pd_matches_the_domain_worked_figures(pd, score):
    assert Scaling().score_for_pd(pd) == score


def test_pd_for_score_inverts_the_scaling():
    scaling = Scaling()

    assert scaling.pd_for_score(scaling.exact_score(0.05)) == pytest.approx(0.05)
    assert scaling.pd_for_score(600) == pytest.approx(1 / 51)


def test_rounding_is_half_up_not_half_even():
    assert round_half_up_int(550.5) == 551
    assert round_half_up_int(551.5) == 552
    assert round_half_up_int(-0.5) == -1
    assert str(pd_decimal(0.0123455)) == "0.012346"


def test_attribute_points_follow_the_domain_formula():
    from risk_models.scorecard.binning import Bin, BinnedCharacteristic
    from risk_models.scorecard.card import Scorecard

    # β = 0.8, WOE = 0.5, β₀ = −1.0, k = 2:  −28.8539·(0.8·0.5 − 0.5) + 487.1229/2 = 2.8854 + 243.5615 = 246.45
    binned = BinnedCharacteristic(
        name="x",
        kind="numeric",
        bins=(
            Bin("< 1", 10, 5, 0.5, 0.1),
            Bin("≥ 1", 10, 5, -0.5, 0.1),
            Bin("Missing", 0, 0, 0.0, 0.0, is_missing=True),
        ),
        cuts=(1.0,),
    )
    other = BinnedCharacteristic(name="y", kind="numeric", bins=binned.bins, cuts=(1.0,))

    card = Scorecard.from_regression(binned=[binned, other], coefficients=[0.8, 0.8], intercept=-1.0, scaling=Scaling())

    # ≥ 1: −28.8539·(−0.4 − 0.5) + 243.5615 = 269.53 → 270 ; missing: −28.8539·(−0.5) + 243.5615 = 257.99 → 258
    assert card.characteristics[0].points == (246, 270, 258)
