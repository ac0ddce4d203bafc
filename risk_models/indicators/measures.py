"""The arithmetic the dashboards do over summed indicator cells: ratios, PSI from bucket counts, KS and AUC
from a histogram of scores. Pure (numpy only), so each can be checked by hand."""

from collections.abc import Sequence
from decimal import Decimal

import numpy as np

from ..scorecard import metrics


def rate(numerator, denominator) -> float | None:
    """numerator / denominator, or None when there is nothing to divide by (never a made-up 0)."""
    if not denominator:
        return None
    return float(Decimal(numerator) / Decimal(denominator))


def psi_from_counts(expected_shares: Sequence[float], actual_counts: Sequence[int]) -> float | None:
    """PSI = Σ (Aᵢ − Eᵢ)·ln(Aᵢ/Eᵢ) of the recent counts' shares against the baseline's shares (DOMAIN.md §6)."""
    counts = np.asarray(actual_counts, dtype=np.float64)
    total = counts.sum()
    if total <= 0 or len(expected_shares) != counts.size:
        return None
    return metrics.psi(np.asarray(expected_shares, dtype=np.float64), counts / total)


def ks_auc_from_histogram(
    scores: Sequence[float], bads: Sequence[int], totals: Sequence[int]
) -> tuple[float | None, float | None]:
    """KS and AUC of a score (higher = safer) from counts per distinct score: bads and all loans at each.

    The same figures as `metrics.ks` / `metrics.auc` on the expanded rows: tied scores move together, and a
    tie between a bad and a good counts one half. None when there are no bads or no goods.
    """
    order = np.argsort(np.asarray(scores, dtype=np.float64), kind="mergesort")
    score = np.asarray(scores, dtype=np.float64)[order]
    bad = np.asarray(bads, dtype=np.float64)[order]
    good = np.asarray(totals, dtype=np.float64)[order] - bad
    # merge equal scores (cells of several products share a score)
    distinct, first = np.unique(score, return_index=True)
    bad = np.add.reduceat(bad, first) if bad.size else bad
    good = np.add.reduceat(good, first) if good.size else good
    total_bad, total_good = bad.sum(), good.sum()
    if total_bad <= 0 or total_good <= 0 or distinct.size == 0:
        return None, None
    # riskiest (lowest score) first
    cumulative_bad = np.cumsum(bad) / total_bad
    cumulative_good = np.cumsum(good) / total_good
    ks = float(np.max(np.abs(cumulative_bad - cumulative_good)))
    goods_above = total_good - np.cumsum(good)
    auc = float(np.sum(bad * (goods_above + good / 2.0)) / (total_bad * total_good))
    return ks, auc


def band_labels(edges: Sequence[float]) -> list[str]:
    """Labels of the buckets (−∞, e₁), [e₁, e₂), …, [eₖ, ∞) that `metrics.bucket_shares` fills."""
    if not edges:
        return ["all"]
    shown = [f"{edge:g}" for edge in edges]
    return [f"< {shown[0]}"] + [f"{shown[i]}–{shown[i + 1]}" for i in range(len(shown) - 1)] + [f"≥ {shown[-1]}"]
