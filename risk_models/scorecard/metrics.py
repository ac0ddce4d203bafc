"""Discrimination and stability measures (DOMAIN.md §6): WOE, IV, AUC, KS, Gini, PSI, CSI.

Convention throughout: ``bad`` = 1 is the event; WOE = ln(bad share / good share), so a higher WOE is a
riskier attribute and a higher *score* is a safer applicant. AUC and KS are computed on a risk ordering
where a higher value means riskier; callers pass ``-score`` when they hold scores.
"""

from dataclasses import dataclass

import numpy as np

# A population share of exactly 0 makes ln(A/E) infinite; the conventional floor keeps PSI finite and
# still large for a bucket that emptied.
PSI_FLOOR = 1e-4


def woe(bads: np.ndarray, goods: np.ndarray, *, total_bads: float, total_goods: float) -> np.ndarray:
    """WOEᵢ = ln((badᵢ/bad) / (goodᵢ/good)); callers ensure every bin has goods and bads."""
    bads = np.asarray(bads, dtype=np.float64)
    goods = np.asarray(goods, dtype=np.float64)
    return np.log((bads / total_bads) / (goods / total_goods))


def information_value(bads: np.ndarray, goods: np.ndarray, woes: np.ndarray, *, total_bads: float, total_goods: float):
    """IV contributions per bin: (badᵢ/bad − goodᵢ/good) · WOEᵢ. Sum them for the characteristic's IV."""
    bads = np.asarray(bads, dtype=np.float64)
    goods = np.asarray(goods, dtype=np.float64)
    return (bads / total_bads - goods / total_goods) * np.asarray(woes, dtype=np.float64)


def auc(risk: np.ndarray, bad: np.ndarray) -> float:
    """Area under the ROC curve by the Mann–Whitney rank sum (ties count one half)."""
    risk = np.asarray(risk, dtype=np.float64)
    bad = np.asarray(bad).astype(bool)
    n_bad = int(bad.sum())
    n_good = bad.size - n_bad
    if n_bad == 0 or n_good == 0:
        return float("nan")
    order = np.argsort(risk, kind="mergesort")
    ranks = np.empty(risk.size, dtype=np.float64)
    sorted_risk = risk[order]
    # average ranks over tied values
    boundaries = np.flatnonzero(np.diff(sorted_risk)) + 1
    starts = np.concatenate(([0], boundaries))
    ends = np.concatenate((boundaries, [risk.size]))
    average_rank = (starts + ends + 1) / 2.0
    ranks[order] = np.repeat(average_rank, ends - starts)
    rank_sum_bad = ranks[bad].sum()
    return float((rank_sum_bad - n_bad * (n_bad + 1) / 2.0) / (n_bad * n_good))


def gini(auc_value: float) -> float:
    return 2.0 * auc_value - 1.0


@dataclass(frozen=True)
class KsCurve:
    """Cumulative shares of bads and goods at or above each risk threshold (riskiest first)."""

    thresholds: np.ndarray
    cumulative_bad: np.ndarray
    cumulative_good: np.ndarray
    ks: float
    at: float


def ks_curve(risk: np.ndarray, bad: np.ndarray) -> KsCurve:
    """KS = max |F_bad − F_good| over all thresholds; tied risks move together."""
    risk = np.asarray(risk, dtype=np.float64)
    bad = np.asarray(bad).astype(bool)
    order = np.argsort(-risk, kind="mergesort")
    sorted_risk = risk[order]
    sorted_bad = bad[order]
    last_of_tie = np.concatenate((np.flatnonzero(np.diff(sorted_risk)), [risk.size - 1]))
    n_bad = max(int(sorted_bad.sum()), 1)
    n_good = max(int((~sorted_bad).sum()), 1)
    cumulative_bad = np.cumsum(sorted_bad)[last_of_tie] / n_bad
    cumulative_good = np.cumsum(~sorted_bad)[last_of_tie] / n_good
    gap = np.abs(cumulative_bad - cumulative_good)
    best = int(np.argmax(gap)) if gap.size else 0
    return KsCurve(
        thresholds=sorted_risk[last_of_tie],
        cumulative_bad=cumulative_bad,
        cumulative_good=cumulative_good,
        ks=float(gap[best]) if gap.size else 0.0,
        at=float(sorted_risk[last_of_tie][best]) if gap.size else float("nan"),
    )


def ks(risk: np.ndarray, bad: np.ndarray) -> float:
    return ks_curve(risk, bad).ks


def psi(expected_shares: np.ndarray, actual_shares: np.ndarray) -> float:
    """PSI = Σ (Aᵢ − Eᵢ) · ln(Aᵢ / Eᵢ) over the same buckets; shares are floored at PSI_FLOOR."""
    expected = np.maximum(np.asarray(expected_shares, dtype=np.float64), PSI_FLOOR)
    actual = np.maximum(np.asarray(actual_shares, dtype=np.float64), PSI_FLOOR)
    return float(np.sum((actual - expected) * np.log(actual / expected)))


def psi_status(value: float | None) -> str:
    """DOMAIN.md §6: < 0.10 stable, 0.10–0.25 watch, ≥ 0.25 act."""
    if value is None or np.isnan(value):
        return "UNKNOWN"
    if value < 0.10:
        return "STABLE"
    if value < 0.25:
        return "WATCH"
    return "ACT"


def decile_edges(values: np.ndarray, buckets: int = 10) -> np.ndarray:
    """Inner edges of the baseline's quantile buckets (duplicates removed for lumpy integer scores)."""
    values = np.asarray(values, dtype=np.float64)
    inner = np.quantile(values, np.linspace(0, 1, buckets + 1)[1:-1], method="linear")
    return np.unique(inner)


def bucket_shares(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Share of values in each bucket (−∞, e₁), [e₁, e₂), …, [eₖ, ∞)."""
    values = np.asarray(values, dtype=np.float64)
    index = np.searchsorted(np.asarray(edges, dtype=np.float64), values, side="right")
    counts = np.bincount(index, minlength=len(edges) + 1).astype(np.float64)
    return counts / max(values.size, 1)


def score_psi(baseline: np.ndarray, recent: np.ndarray, buckets: int = 10) -> tuple[float, np.ndarray, np.ndarray]:
    """PSI of recent scores against the baseline's deciles: (psi, expected shares, actual shares)."""
    edges = decile_edges(baseline, buckets)
    expected = bucket_shares(baseline, edges)
    actual = bucket_shares(recent, edges)
    return psi(expected, actual), expected, actual


def bin_shares(bin_index: np.ndarray, n_bins: int) -> np.ndarray:
    """Share of rows per bin: the CSI of a characteristic is the PSI of these between two periods."""
    counts = np.bincount(np.asarray(bin_index, dtype=np.int64), minlength=n_bins).astype(np.float64)
    return counts / max(int(counts.sum()), 1)
