"""Fine and coarse classing: constraints hold, the programme is optimal, missing values have their own bin."""

import itertools
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from risk_models.scorecard.binning import (
    ASCENDING,
    BY_RISK,
    DESCENDING,
    PEAK,
    VALLEY,
    BinningPolicy,
    bin_characteristic,
)

POLICY = BinningPolicy()


def fit(values, bad, kind="numeric", known=frozenset()):
    return bin_characteristic(
        "x",
        pd.Series(values),
        np.asarray(bad, dtype=np.int8),
        kind=kind,
        policy=POLICY,
        rng=np.random.default_rng(0),
        known_categories=known,
    )


def discrete_sample(seed: int, rows: int, values: int = 8):
    rng = np.random.default_rng(seed)
    x = rng.integers(0, values, rows)
    bad_rate = rng.uniform(0.05, 0.6, values)
    bad = (rng.random(rows) < bad_rate[x]).astype(np.int8)
    return x.astype(float), bad


def test_a_rising_risk_gives_ascending_woe_and_every_bin_is_large_and_mixed():
    rng = np.random.default_rng(1)
    x = rng.uniform(0, 100, 20_000)
    bad = (rng.random(x.size) < 0.05 + 0.004 * x).astype(np.int8)

    binned, _index = fit(x, bad)

    present = binned.bins[:-1]
    assert binned.trend == ASCENDING
    assert len(present) >= 4
    assert all(np.diff([b.woe for b in present]) > 0)
    assert all(b.count >= 0.05 * x.size and 0 < b.bads < b.count for b in present)
    assert binned.iv == pytest.approx(sum(b.iv for b in binned.bins))


def test_a_u_shaped_risk_is_kept_when_the_data_pay_for_it():
    rng = np.random.default_rng(2)
    age = rng.uniform(18, 70, 30_000)
    bad = (rng.random(age.size) < 0.08 + 0.0004 * (age - 42) ** 2).astype(np.int8)

    binned, _index = fit(age, bad)

    assert binned.trend == VALLEY
    woes = [b.woe for b in binned.bins[:-1]]
    turn = int(np.argmin(woes))
    assert 0 < turn < len(woes) - 1
    assert all(np.diff(woes[: turn + 1]) < 0)
    assert all(np.diff(woes[turn:]) > 0)
    assert binned.trend_iv["u_shape_bic"] < binned.trend_iv["monotonic_bic"]


def test_a_weak_u_shape_in_a_small_sample_stays_monotonic():
    rng = np.random.default_rng(3)
    x = rng.uniform(0, 10, 600)
    bad = (rng.random(x.size) < 0.25 + 0.02 * x + 0.004 * (x - 5) ** 2).astype(np.int8)

    binned, _index = fit(x, bad)

    assert binned.trend in (ASCENDING, DESCENDING)


def test_missing_values_get_their_own_bin_with_their_own_woe():
    rng = np.random.default_rng(4)
    x = rng.uniform(0, 1, 5000)
    x[:500] = np.nan  # 10% missing, and riskier than anyone else
    bad = (rng.random(x.size) < np.where(np.isnan(x), 0.6, 0.2)).astype(np.int8)

    binned, index = fit(x, bad)

    missing = binned.bins[-1]
    assert missing.is_missing
    assert not missing.neutral
    assert missing.count == 500
    assert missing.woe > max(b.woe for b in binned.bins[:-1])
    assert (index[:500] == binned.missing_index).all()


def test_a_missing_bin_below_five_percent_is_neutral():
    rng = np.random.default_rng(5)
    x = rng.uniform(0, 1, 5000)
    x[:100] = np.nan  # 2%
    bad = (rng.random(x.size) < 0.3).astype(np.int8)

    binned, _index = fit(x, bad)

    assert binned.bins[-1].count == 100
    assert binned.bins[-1].neutral
    assert binned.bins[-1].woe == 0.0


def test_a_characteristic_without_missing_values_still_has_a_neutral_missing_bin():
    x, bad = discrete_sample(6, 3000)

    binned, _index = fit(x, bad)

    assert binned.bins[-1].is_missing
    assert binned.bins[-1].count == 0
    assert binned.bins[-1].woe == 0.0


def test_categories_are_grouped_in_order_of_risk_and_rare_ones_are_merged():
    rng = np.random.default_rng(7)
    rates = {"a": 0.1, "b": 0.15, "c": 0.3, "d": 0.45, "rare": 0.9}
    category = rng.choice(["a", "b", "c", "d"], 4000).astype(object)
    category[:12] = "rare"
    bad = (rng.random(category.size) < pd.Series(category).map(rates).to_numpy()).astype(np.int8)

    binned, index = fit(category, bad, kind="categorical", known=frozenset({"a", "b", "c", "d", "rare", "new"}))

    assert binned.trend == BY_RISK
    present = binned.bins[:-1]
    assert all(np.diff([b.woe for b in present]) > 0)
    assert all(b.count >= 0.05 * category.size for b in present)
    assert not any(b.categories == ("rare",) for b in present)  # 12 rows cannot be a class of their own
    assert binned.bins[-1].categories == ("new",)  # known from the data given, never seen in training
    assert (index == fit(category, bad, kind="categorical")[0].assign(pd.Series(category))[0]).all()


def test_assign_places_new_rows_like_training_and_flags_unknown_categories():
    category = np.array(["x", "y"] * 600)
    bad = np.tile([0, 1, 0, 0, 1, 0], 200).astype(np.int8)
    binned, index = fit(category, bad, kind="categorical")

    new_index, unknown = binned.assign(pd.Series(["x", None, "zzz"]))

    assert new_index[0] == index[0]
    assert new_index[1] == binned.missing_index
    assert unknown.tolist() == [False, False, True]


# ---- the programme is exact: compare with every contiguous partition -------------------------------------


def brute_force(x, bad):
    values = np.unique(x)
    counts = np.array([(x == v).sum() for v in values])
    bads = np.array([bad[x == v].sum() for v in values])
    total_b, total_g, rows = bad.sum(), bad.size - bad.sum(), bad.size
    best = {"monotonic": None, "u_shape": None}
    for cut_mask in itertools.product([False, True], repeat=len(values) - 1):
        edges = [0, *[i + 1 for i, cut in enumerate(cut_mask) if cut], len(values)]
        groups = [(counts[a:b].sum(), bads[a:b].sum()) for a, b in itertools.pairwise(edges)]
        if any(n < 0.05 * rows or b == 0 or b == n for n, b in groups):
            continue
        woes = [math.log((b / total_b) / ((n - b) / total_g)) for n, b in groups]
        iv = sum((b / total_b - (n - b) / total_g) * w for (n, b), w in zip(groups, woes, strict=True))
        steps = np.sign(np.diff(woes))
        if (steps > 0).all() or (steps < 0).all():
            kind = "monotonic"
        elif len(steps) >= 2 and 0 not in steps and (np.diff(steps) != 0).sum() == 1:
            kind = "u_shape"
        else:
            continue
        best[kind] = iv if best[kind] is None else max(best[kind], iv)
    return best


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 100_000), rows=st.integers(300, 3000))
def test_the_programme_finds_the_best_monotonic_and_u_shaped_partitions(seed, rows):
    x, bad = discrete_sample(seed, rows)
    if bad.sum() == 0 or bad.sum() == bad.size:
        return

    binned, _index = fit(x, bad)
    expected = brute_force(x, bad)

    for kind in ("monotonic", "u_shape"):
        if expected[kind] is None:
            assert binned.trend_iv[kind] is None or kind == "monotonic"
        else:
            assert binned.trend_iv[kind] == pytest.approx(expected[kind], rel=1e-9)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 100_000), rows=st.integers(200, 5000), values=st.integers(2, 120))
def test_every_class_holds_five_percent_goods_and_bads_and_woe_follows_its_trend(seed, rows, values):
    x, bad = discrete_sample(seed, rows, values)
    if bad.sum() == 0 or bad.sum() == bad.size:
        return

    binned, index = fit(x, bad)

    present = binned.bins[:-1]
    woes = np.array([b.woe for b in present])
    steps = np.sign(np.diff(woes))
    if len(present) > 1:
        assert all(b.count >= 0.05 * rows and 0 < b.bads < b.count for b in present)
    if binned.trend == ASCENDING:
        assert (steps > 0).all()
    elif binned.trend == DESCENDING:
        assert (steps < 0).all()
    elif binned.trend in (PEAK, VALLEY):
        assert (np.diff(steps) != 0).sum() == 1
        assert 0 not in steps
    assert sum(b.count for b in binned.bins) == rows
    assert (binned.assign(pd.Series(x))[0] == index).all()
