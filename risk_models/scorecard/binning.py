"""Fine classing, then coarse classing by an exact dynamic programme over the fine classes.

Numeric characteristic: fine classes are the distinct values (when few) or ~1.7% quantile slices (60); coarse
classes are contiguous runs of fine classes that maximise the characteristic's IV subject to
- every class holding ≥ ``min_bin_share`` of all rows and at least one good and one bad, and
- WOE strictly monotonic (ascending or descending), or U-shaped (peak or valley) when the U shape's
  BIC is lower than the best monotonic partition's — a turn is accepted only when the data pay for it.
The programme is exact (every contiguous partition is considered) and O(m³) in the number of fine
classes m ≤ 40, vectorised over one axis, so it costs milliseconds whatever the row count; the row-level
work is one quantile sample, one ``searchsorted`` and two ``bincount`` calls per characteristic.

Categorical characteristic: categories are ordered by bad rate and merged by the same programme
(ascending), so classes are monotonic in risk by construction. Missing values are always a bin of their
own, last; when it is too small or lacks goods or bads its WOE is 0 (the population average), so a
missing value neither helps nor hurts.
"""

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .characteristics import CATEGORICAL, NUMERIC, categorical_values
from .metrics import information_value, woe

ASCENDING = "ASCENDING"
DESCENDING = "DESCENDING"
PEAK = "PEAK"
VALLEY = "VALLEY"
FLAT = "FLAT"
BY_RISK = "BY_RISK"  # categorical: classes ordered by bad rate
MISSING_LABEL = "Missing"


@dataclass(frozen=True)
class BinningPolicy:
    max_fine_bins: int = 60
    min_bin_share: float = 0.05
    quantile_sample: int = 200_000

    def as_dict(self) -> dict:
        return {
            "max_fine_bins": self.max_fine_bins,
            "min_bin_share": self.min_bin_share,
            "quantile_sample": self.quantile_sample,
        }


@dataclass(frozen=True)
class Bin:
    label: str
    count: int
    bads: int
    woe: float
    iv: float
    lower: float | None = None  # numeric: inclusive lower edge (None = −∞)
    upper: float | None = None  # numeric: exclusive upper edge (None = +∞)
    categories: tuple[str, ...] = ()
    is_missing: bool = False
    neutral: bool = False  # WOE forced to 0: the bin is too small or lacks goods or bads

    @property
    def goods(self) -> int:
        return self.count - self.bads


@dataclass(frozen=True)
class BinnedCharacteristic:
    name: str
    kind: str
    bins: tuple[Bin, ...]  # the missing bin is always last
    cuts: tuple[float, ...] = ()  # numeric: inner edges between consecutive non-missing bins
    trend: str = FLAT
    trend_iv: dict = field(default_factory=dict)  # IV of the best monotonic and U-shaped partitions

    @property
    def iv(self) -> float:
        return float(sum(b.iv for b in self.bins))

    @property
    def missing_index(self) -> int:
        return len(self.bins) - 1

    @property
    def woes(self) -> np.ndarray:
        return np.array([b.woe for b in self.bins], dtype=np.float64)

    def category_index(self) -> dict[str, int]:
        return {category: i for i, b in enumerate(self.bins) for category in b.categories}

    def assign(self, column: pd.Series) -> tuple[np.ndarray, np.ndarray]:
        """Bin index per row, and a mask of rows the card cannot place (unknown category)."""
        if self.kind == NUMERIC:
            values = column.to_numpy(dtype=np.float64, na_value=np.nan)
            index = np.searchsorted(np.asarray(self.cuts, dtype=np.float64), values, side="right").astype(np.int16)
            index[np.isnan(values)] = self.missing_index
            return index, np.zeros(values.size, dtype=bool)
        codes, uniques = pd.factorize(categorical_values(column), use_na_sentinel=True)
        lookup = self.category_index()
        per_unique = np.array([lookup.get(str(u), -1) for u in uniques] + [self.missing_index], dtype=np.int16)
        index = per_unique[codes]  # code −1 (missing) picks the appended missing bin
        unknown = index < 0
        return index, unknown


def bin_characteristic(
    name: str,
    column: pd.Series,
    bad: np.ndarray,
    *,
    kind: str,
    policy: BinningPolicy,
    rng: np.random.Generator,
    known_categories: frozenset[str] = frozenset(),
) -> tuple[BinnedCharacteristic, np.ndarray]:
    """Fit the classes of one characteristic; returns them and the training rows' bin index."""
    total_rows = bad.size
    total_bads = float(bad.sum())
    totals = _Totals(rows=total_rows, bads=total_bads, goods=total_rows - total_bads, policy=policy)
    if kind == NUMERIC:
        return _bin_numeric(name, column, bad, totals, rng)
    if kind == CATEGORICAL:
        return _bin_categorical(name, column, bad, totals, known_categories)
    raise ValueError(f"unknown characteristic kind {kind!r}")


@dataclass(frozen=True)
class _Totals:
    rows: int
    bads: float
    goods: float
    policy: BinningPolicy

    @property
    def min_count(self) -> float:
        return self.policy.min_bin_share * self.rows


def _bin_numeric(name, column, bad, totals: _Totals, rng) -> tuple[BinnedCharacteristic, np.ndarray]:
    values = column.to_numpy(dtype=np.float64, na_value=np.nan)
    missing = np.isnan(values)
    has_missing = bool(missing.any())
    present = values[~missing] if has_missing else values
    present_bad = bad[~missing] if has_missing else bad
    fine_cuts = _fine_cuts(present, totals.policy, rng)
    fine = np.searchsorted(fine_cuts, present, side="right")
    m = fine_cuts.size + 1
    counts = np.bincount(fine, minlength=m)
    bads = np.rint(np.bincount(fine, weights=present_bad, minlength=m)).astype(np.int64)
    groups, trend, trend_iv = _coarse_classes(counts, bads, totals, allow_u_shape=True)

    bins = []
    for start, end in groups:
        lower = float(fine_cuts[start - 1]) if start > 0 else None
        upper = float(fine_cuts[end - 1]) if end < m else None
        bins.append(
            _make_bin(_interval_label(lower, upper), counts[start:end].sum(), bads[start:end].sum(), totals)
            | {"lower": lower, "upper": upper}
        )
    cuts = tuple(b["upper"] for b in bins[:-1])
    bins.append(_missing_bin(int(missing.sum()), int(bad[missing].sum()) if has_missing else 0, totals))

    fine_to_coarse = np.repeat(np.arange(len(groups), dtype=np.int16), [end - start for start, end in groups])
    if has_missing:
        index = np.full(values.size, len(groups), dtype=np.int16)
        index[~missing] = fine_to_coarse[fine]
    else:
        index = fine_to_coarse[fine]
    binned = BinnedCharacteristic(
        name=name, kind=NUMERIC, bins=tuple(Bin(**b) for b in bins), cuts=cuts, trend=trend, trend_iv=trend_iv
    )
    return binned, index


def _bin_categorical(name, column, bad, totals: _Totals, known) -> tuple[BinnedCharacteristic, np.ndarray]:
    codes, uniques = pd.factorize(categorical_values(column), use_na_sentinel=True)
    uniques = [str(u) for u in uniques]
    missing = codes < 0
    present_codes = codes[~missing]
    counts = np.bincount(present_codes, minlength=len(uniques))
    bads = np.rint(np.bincount(present_codes, weights=bad[~missing], minlength=len(uniques))).astype(np.int64)
    # Order by (smoothed) bad rate, ties by name, so that contiguous classes are monotonic in risk.
    rate = (bads + 0.5) / (counts + 1.0)
    order = sorted(range(len(uniques)), key=lambda i: (rate[i], uniques[i]))
    fine_members = _equal_frequency_runs(order, counts, totals.policy.max_fine_bins)
    fine_counts = np.array([counts[members].sum() for members in fine_members])
    fine_bads = np.array([bads[members].sum() for members in fine_members])
    groups, _trend, trend_iv = _coarse_classes(fine_counts, fine_bads, totals, allow_u_shape=False)

    bins = []
    category_to_bin = np.full(len(uniques) + 1, len(groups), dtype=np.int16)  # last slot: missing
    for position, (start, end) in enumerate(groups):
        members = [i for run in fine_members[start:end] for i in run]
        category_to_bin[members] = position
        categories = tuple(sorted(uniques[i] for i in members))
        bins.append(
            _make_bin(", ".join(categories), fine_counts[start:end].sum(), fine_bads[start:end].sum(), totals)
            | {"categories": categories}
        )
    unseen = tuple(sorted(set(known) - set(uniques)))
    missing_bin = _missing_bin(int(missing.sum()), int(bad[missing].sum()), totals)
    bins.append(missing_bin | {"categories": unseen})
    index = category_to_bin[codes]  # code −1 picks the last slot, the missing bin
    binned = BinnedCharacteristic(
        name=name, kind=CATEGORICAL, bins=tuple(Bin(**b) for b in bins), trend=BY_RISK, trend_iv=trend_iv
    )
    return binned, index


def _equal_frequency_runs(order: list[int], counts: np.ndarray, max_runs: int) -> list[list[int]]:
    """Each category alone when there are few; else consecutive (by risk) runs of similar size."""
    if len(order) <= max_runs:
        return [[i] for i in order]
    cumulative = np.cumsum(counts[order])
    run_of = np.minimum((cumulative - 1) * max_runs // cumulative[-1], max_runs - 1)
    runs: dict[int, list[int]] = {}
    for category, run in zip(order, run_of, strict=True):
        runs.setdefault(int(run), []).append(category)
    return [runs[key] for key in sorted(runs)]


def _fine_cuts(present: np.ndarray, policy: BinningPolicy, rng: np.random.Generator) -> np.ndarray:
    """Inner edges of the fine classes: every distinct value when few, else quantiles of a sample."""
    sample = present
    if present.size > policy.quantile_sample:
        sample = present[rng.integers(0, present.size, policy.quantile_sample)]
    distinct, counts = np.unique(sample, return_counts=True)
    if distinct.size <= policy.max_fine_bins:
        return distinct[1:]
    levels = np.linspace(0.0, 1.0, policy.max_fine_bins + 1)[1:-1]
    quantiles = np.quantile(sample, levels, method="lower")
    # A value holding a whole slice or more (0 repaid, 0 overdue …) gets a class of its own: cut on both
    # sides of it, else it would share a class with whatever lies next to it.
    heavy = np.flatnonzero(counts * policy.max_fine_bins >= sample.size)
    after_heavy = distinct[np.minimum(heavy + 1, distinct.size - 1)]
    cuts = np.unique(np.concatenate((quantiles, distinct[heavy], after_heavy)))
    return cuts[cuts > distinct[0]]


def _make_bin(label: str, count, bads, totals: _Totals) -> dict:
    count, bads = int(count), int(bads)
    goods = count - bads
    if bads == 0 or goods == 0:
        return {"label": label, "count": count, "bads": bads, "woe": 0.0, "iv": 0.0, "neutral": True}
    bin_woe = float(woe(bads, goods, total_bads=totals.bads, total_goods=totals.goods))
    bin_iv = float(information_value(bads, goods, bin_woe, total_bads=totals.bads, total_goods=totals.goods))
    return {"label": label, "count": count, "bads": bads, "woe": bin_woe, "iv": bin_iv}


def _missing_bin(count: int, bads: int, totals: _Totals) -> dict:
    fields = _make_bin(MISSING_LABEL, count, bads, totals)
    if count < totals.min_count and not fields.get("neutral"):
        fields.update(woe=0.0, iv=0.0, neutral=True)
    return fields | {"is_missing": True}


def _interval_label(lower: float | None, upper: float | None) -> str:
    if lower is None and upper is None:
        return "all values"
    if lower is None:
        return f"< {_number(upper)}"
    if upper is None:
        return f"≥ {_number(lower)}"
    return f"[{_number(lower)}, {_number(upper)})"


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.6g}"


# ---- the coarse-classing programme -------------------------------------------------------------------


def _coarse_classes(counts, bads, totals: _Totals, *, allow_u_shape: bool):
    """Best partition of the fine classes into contiguous coarse classes: (groups, trend, trend_iv)."""
    counts = np.asarray(counts, dtype=np.float64)
    bads = np.asarray(bads, dtype=np.float64)
    m = counts.size
    cumulative_n = np.concatenate(([0.0], np.cumsum(counts)))
    cumulative_b = np.concatenate(([0.0], np.cumsum(bads)))
    span_n = cumulative_n[None, :] - cumulative_n[:, None]  # [i, j] = rows of fine classes i..j-1
    span_b = cumulative_b[None, :] - cumulative_b[:, None]
    span_g = span_n - span_b
    upper = np.triu(np.ones((m + 1, m + 1), dtype=bool), k=1)
    valid = upper & (span_n >= totals.min_count) & (span_b >= 1) & (span_g >= 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        span_woe = np.where(valid, np.log((span_b / totals.bads) / (span_g / totals.goods)), np.nan)
        span_iv = np.where(valid, (span_b / totals.bads - span_g / totals.goods) * span_woe, -np.inf)

    candidates = {
        ASCENDING: _monotonic(span_woe, span_iv, valid, m),
        DESCENDING: _monotonic(-span_woe, span_iv, valid, m),
    }
    if allow_u_shape:
        candidates[PEAK] = _peak(span_woe, span_iv, valid, m)
        candidates[VALLEY] = _peak(-span_woe, span_iv, valid, m)
    scored = {trend: found for trend, found in candidates.items() if found is not None}
    if not scored:
        return [(0, m)], FLAT, {"monotonic": 0.0, "u_shape": None}

    best_monotonic = max((t for t in (ASCENDING, DESCENDING) if t in scored), key=lambda t: scored[t][0], default=None)
    best_u_shape = max((t for t in (PEAK, VALLEY) if t in scored), key=lambda t: scored[t][0], default=None)
    bic = {t: _bic(scored[t][1], counts, bads) for t in (best_monotonic, best_u_shape) if t is not None}
    trend_iv = {
        "monotonic": scored[best_monotonic][0] if best_monotonic else None,
        "u_shape": scored[best_u_shape][0] if best_u_shape else None,
        "monotonic_bic": bic.get(best_monotonic),
        "u_shape_bic": bic.get(best_u_shape),
    }
    # A turn in the WOE is accepted only when the data pay for it: the U shape must have the lower BIC
    # (binned log-likelihood penalised by ln(rows) per class), which a small sample's noise cannot buy.
    chosen = min(bic, key=lambda t: (bic[t], t != best_monotonic))
    groups = scored[chosen][1]
    if len(groups) == 1:
        chosen = FLAT
    return groups, chosen, trend_iv


def _bic(groups, counts, bads) -> float:
    """−2·log-likelihood of the target given the classes, plus ln(rows) per class."""
    log_likelihood = 0.0
    for start, end in groups:
        n = counts[start:end].sum()
        b = bads[start:end].sum()
        g = n - b
        log_likelihood += b * np.log(b / n) + g * np.log(g / n)
    return float(-2.0 * log_likelihood + len(groups) * np.log(counts.sum()))


def _monotonic(span_woe, span_iv, valid, m):
    """Strictly ascending WOE: best[i, j] = best IV of [0, j) whose last class is [i, j)."""
    best, parent = _ascending_table(span_woe, span_iv, valid, m)
    finals = best[:, m]
    if not np.isfinite(finals).any():
        return None
    start = int(np.argmax(finals))
    return float(finals[start]), _walk_back(parent, start, m)


def _ascending_table(span_woe, span_iv, valid, m):
    best = np.full((m + 1, m + 1), -np.inf)
    parent = np.full((m + 1, m + 1), -1, dtype=np.int64)
    best[0, 1:] = np.where(valid[0, 1:], span_iv[0, 1:], -np.inf)
    for i in range(1, m):
        value, previous = _extend(best[:i, i], span_woe[:i, i], span_woe[i, i + 1 :], rising=True)
        ok = np.isfinite(value) & valid[i, i + 1 :]
        best[i, i + 1 :] = np.where(ok, value + span_iv[i, i + 1 :], -np.inf)
        parent[i, i + 1 :] = np.where(ok, previous, -1)
    return best, parent


def _peak(span_woe, span_iv, valid, m):
    """Rise then fall: at least one rise before the peak class and one fall after it."""
    rising, rising_parent = _ascending_table(span_woe, span_iv, valid, m)
    falling = np.full((m + 1, m + 1), -np.inf)
    falling_parent = np.full((m + 1, m + 1), -1, dtype=np.int64)
    from_rising = np.zeros((m + 1, m + 1), dtype=bool)
    for i in range(1, m):
        peak_candidates = rising[:i, i].copy()
        peak_candidates[0] = -np.inf  # a first class that falls afterwards is a plain descent, not a peak
        value_r, previous_r = _extend(peak_candidates, span_woe[:i, i], span_woe[i, i + 1 :], rising=False)
        value_f, previous_f = _extend(falling[:i, i], span_woe[:i, i], span_woe[i, i + 1 :], rising=False)
        take_rising = value_r >= value_f
        value = np.where(take_rising, value_r, value_f)
        ok = np.isfinite(value) & valid[i, i + 1 :]
        falling[i, i + 1 :] = np.where(ok, value + span_iv[i, i + 1 :], -np.inf)
        falling_parent[i, i + 1 :] = np.where(ok, np.where(take_rising, previous_r, previous_f), -1)
        from_rising[i, i + 1 :] = ok & take_rising
    finals = falling[:, m]
    if not np.isfinite(finals).any():
        return None
    start = int(np.argmax(finals))
    groups = []
    end, table_is_falling = m, True
    while True:
        groups.append((start, end))
        if table_is_falling:
            previous = int(falling_parent[start, end])
            table_is_falling = not from_rising[start, end]
        else:
            previous = int(rising_parent[start, end])
        if previous < 0:
            break
        start, end = previous, start
    return float(finals.max()), groups[::-1]


def _extend(previous_best, previous_woe, next_woe, *, rising: bool):
    """For each next class, the best predecessor whose WOE lies strictly below (rising) or above it."""
    allowed = previous_woe[:, None] < next_woe[None, :] if rising else previous_woe[:, None] > next_woe[None, :]
    candidates = np.where(allowed & np.isfinite(previous_best)[:, None], previous_best[:, None], -np.inf)
    if candidates.shape[0] == 0:
        return np.full(next_woe.shape, -np.inf), np.full(next_woe.shape, -1)
    previous = np.argmax(candidates, axis=0)
    return candidates[previous, np.arange(next_woe.size)], previous


def _walk_back(parent, start, end):
    groups = []
    while start >= 0:
        groups.append((start, end))
        start, end = int(parent[start, end]), start
        if end == 0:
            break
    return groups[::-1]
