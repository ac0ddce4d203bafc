"""Daily model monitoring (DOMAIN.md §6, §9): score PSI and characteristic CSI of recent scored decisions
against the card's training baseline, and KS / AUC on decisions whose outcome has matured."""

from datetime import date, timedelta

import numpy as np
import pandas as pd
from django.db import transaction
from django.utils import timezone

from ..exceptions import ScoringInputError
from ..models import DecisionFact, ScorecardMonitoringSnapshot, ScorecardVersion
from ..scorecard import metrics
from .scoring import compiled_card

WINDOW_DAYS = 30


@transaction.atomic(durable=True)
def scorecard_monitoring_compute(*, on: date, window_days: int = WINDOW_DAYS) -> list[ScorecardMonitoringSnapshot]:
    """Figures for every card in use (ACTIVE or CHALLENGER) on `on`; recomputing a day replaces its row."""
    window_start = on - timedelta(days=window_days - 1)
    snapshots = []
    for version in ScorecardVersion.objects.filter(status__in=("ACTIVE", "CHALLENGER")).order_by("id"):
        figures = _figures(version, window_start=window_start, on=on)
        snapshot, _created = ScorecardMonitoringSnapshot.objects.update_or_create(
            version=version,
            computed_on=on,
            defaults={**figures, "window_start": window_start, "window_end": on, "computed_at": timezone.now()},
        )
        snapshots.append(snapshot)
    return snapshots


def _figures(version: ScorecardVersion, *, window_start: date, on: date) -> dict:
    recent = DecisionFact.objects.filter(
        scorecard_version=version.version, decided_on__gte=window_start, decided_on__lte=on, score__isnull=False
    ).values_list("score", "characteristics")
    scores = np.array([row[0] for row in recent], dtype=np.float64)
    figures = {"applications": int(scores.size), "score_psi": None, "csi": {}, "max_csi": None}
    baseline = version.baseline or {}
    if scores.size and baseline.get("score_edges") is not None:
        actual = metrics.bucket_shares(scores, np.asarray(baseline["score_edges"]))
        figures["score_psi"] = metrics.psi(np.asarray(baseline["score_shares"]), actual)
        figures["csi"] = _csi(version, [row[1] for row in recent], baseline.get("bin_shares", {}))
        figures["max_csi"] = max(figures["csi"].values(), default=None)
    figures["psi_status"] = metrics.psi_status(figures["score_psi"])

    matured = DecisionFact.objects.filter(
        scorecard_version=version.version, decided_on__lte=on, score__isnull=False, matured_bad__isnull=False
    ).values_list("score", "matured_bad")
    outcome_scores = np.array([row[0] for row in matured], dtype=np.float64)
    bad = np.array([row[1] for row in matured], dtype=bool)
    figures.update(matured=int(bad.size), matured_bads=int(bad.sum()), ks=None, auc=None)
    if bad.any() and (~bad).any():
        figures["ks"] = metrics.ks(-outcome_scores, bad)
        figures["auc"] = metrics.auc(-outcome_scores, bad)
    return figures


def _csi(version: ScorecardVersion, characteristics: list[dict], baseline_shares: dict) -> dict[str, float]:
    """CSI per characteristic: the PSI of its bin shares now against training."""
    card = compiled_card(version_id=version.pk)
    frame = pd.DataFrame.from_records(characteristics, columns=card.names)
    csi = {}
    for c in card.card.characteristics:
        if c.name not in baseline_shares:
            continue
        try:
            index, unknown = c.binned.assign(_column(frame[c.name], c.binned.kind))
        except (ScoringInputError, ValueError, TypeError):
            continue  # facts recorded in a shape this card cannot read are skipped, not guessed
        placed = index[~unknown]
        if placed.size:
            csi[c.name] = metrics.psi(
                np.asarray(baseline_shares[c.name]), metrics.bin_shares(placed, len(c.binned.bins))
            )
    return csi


def _column(column: pd.Series, kind: str) -> pd.Series:
    if kind == "numeric":
        return pd.to_numeric(column, errors="coerce")
    return column
