"""Reads of the analytics layer: the registry, cards as scoring objects, facts and monitoring figures."""

from dataclasses import dataclass
from datetime import date

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext as _

from .exceptions import NoActiveScorecard, ScorecardNotFound, TrainingJobNotFound
from .models import (
    DecisionFact,
    ScorecardBin,
    ScorecardCharacteristic,
    ScorecardEvent,
    ScorecardMonitoringSnapshot,
    ScorecardTrainingJob,
    ScorecardVersion,
)
from .scorecard.binning import Bin, BinnedCharacteristic
from .scorecard.card import CardCharacteristic, Scorecard
from .scorecard.scaling import Scaling


@dataclass(frozen=True)
class CharacteristicSpec:
    """What an application form must collect for the active card: the name, type and allowed values."""

    name: str
    kind: str  # "numeric" | "categorical"
    categories: tuple[str, ...]  # categorical: every value the card knows; numeric: ()
    allows_missing: bool  # None (unknown) scores in the card's missing bin
    reason_code: str


def scorecard_versions(*, product_code: str | None = None) -> QuerySet[ScorecardVersion]:
    versions = ScorecardVersion.objects.select_related("trained_by", "activated_by")
    if product_code is not None:
        versions = versions.filter(product_code=product_code)
    return versions


def scorecard_version_get(*, version: str) -> ScorecardVersion:
    try:
        return ScorecardVersion.objects.select_related("trained_by", "activated_by").get(version=version)
    except ScorecardVersion.DoesNotExist as exc:
        raise ScorecardNotFound(_("No scorecard version %(version)s.") % {"version": version}, version=version) from exc


def scorecard_characteristics(*, version: ScorecardVersion) -> list[ScorecardCharacteristic]:
    """Every characteristic considered in training (on the card first), with its bins."""
    return list(
        version.characteristics.prefetch_related(Prefetch("bins", queryset=ScorecardBin.objects.order_by("position")))
    )


def scorecard_events(*, version: ScorecardVersion) -> QuerySet[ScorecardEvent]:
    return version.events.select_related("actor")


def scorecard_card(*, version: ScorecardVersion) -> Scorecard:
    """The card as the pure scoring object, rebuilt from its stored binning and points rows."""
    on_card = [
        c for c in scorecard_characteristics(version=version) if c.status == ScorecardCharacteristic.Status.SELECTED
    ]
    characteristics = []
    for row in on_card:
        bins = tuple(
            Bin(
                label=b.label,
                count=b.count,
                bads=b.bads,
                woe=b.woe,
                iv=b.iv,
                lower=b.lower,
                upper=b.upper,
                categories=tuple(b.categories),
                is_missing=b.is_missing,
                neutral=b.neutral,
            )
            for b in row.bins.all()
        )
        binned = BinnedCharacteristic(
            name=row.name, kind=row.kind, bins=bins, cuts=tuple(row.cuts), trend=row.trend, trend_iv=row.trend_iv
        )
        characteristics.append(CardCharacteristic(binned, row.coefficient, tuple(b.points for b in row.bins.all())))
    return Scorecard(
        characteristics=tuple(characteristics),
        intercept=version.intercept,
        scaling=Scaling(pdo=version.pdo, base_score=version.base_score, base_odds=version.base_odds),
        grade_pd_bounds=tuple(version.grade_pd_bounds),
    )


def active_scorecard(*, product_code: str | None = None) -> ScorecardVersion:
    """The product's ACTIVE card, else the default card (product ""), else NoActiveScorecard."""
    codes = [product_code, ""] if product_code else [""]
    active = {v.product_code: v for v in ScorecardVersion.objects.filter(status="ACTIVE", product_code__in=codes)}
    for code in codes:
        if code in active:
            return active[code]
    raise NoActiveScorecard(
        _("No active scorecard for product %(product)s.") % {"product": product_code or "-"},
        product_code=product_code or "",
    )


def active_scorecard_characteristics(*, product_code: str | None = None) -> list[CharacteristicSpec]:
    """What the loan application form collects: every characteristic the product's cards in use score
    (the active card's first, then any challenger's), with its type and the categories it knows."""
    champion = active_scorecard(product_code=product_code)
    challengers = ScorecardVersion.objects.filter(status="CHALLENGER", product_code=champion.product_code)
    specs: dict[str, CharacteristicSpec] = {}
    for version in [champion, *challengers.order_by("id")]:
        for c in scorecard_card(version=version).characteristics:
            categories = ()
            if c.binned.kind == "categorical":
                categories = tuple(category for bin_ in c.binned.bins for category in bin_.categories)
            known = specs.get(c.name)
            specs[c.name] = CharacteristicSpec(
                name=c.name,
                kind=c.binned.kind,
                categories=tuple(sorted(set(categories) | set(known.categories if known else ()))),
                allows_missing=True,
                reason_code=c.reason_code,
            )
    return list(specs.values())


def scorecard_comparison(*, versions: list[ScorecardVersion]) -> dict:
    """Side by side: the figures of each version, and every characteristic's IV and role in each."""
    per_version = [{c.name: c for c in scorecard_characteristics(version=v)} for v in versions]
    names = sorted(
        {name for characteristics in per_version for name in characteristics},
        key=lambda name: (
            not any(name in cs and cs[name].status == ScorecardCharacteristic.Status.SELECTED for cs in per_version),
            -max(cs[name].iv for cs in per_version if name in cs),
        ),
    )
    rows = []
    for name in names:
        cells = []
        for characteristics in per_version:
            c = characteristics.get(name)
            cells.append(
                None
                if c is None
                else {
                    "iv": c.iv,
                    "on_card": c.status == ScorecardCharacteristic.Status.SELECTED,
                    "status": c.get_status_display(),
                    "bins": len(c.bins.all()),
                    "coefficient": c.coefficient,
                    "flag": c.flag,
                }
            )
        rows.append({"name": name, "cells": cells})
    return {"versions": versions, "characteristics": rows}


def routing_rows() -> list[tuple[int, str, str, str, str]]:
    """(id, version, product_code, status, traffic_share) of every ACTIVE and CHALLENGER card: the routing."""
    return list(
        ScorecardVersion.objects.filter(status__in=("ACTIVE", "CHALLENGER"))
        .order_by("id")
        .values_list("id", "version", "product_code", "status", "traffic_share")
    )


def training_job_get(*, job_id: int) -> ScorecardTrainingJob:
    try:
        return ScorecardTrainingJob.objects.select_related("version").get(pk=job_id)
    except ScorecardTrainingJob.DoesNotExist as exc:
        raise TrainingJobNotFound(_("No training job %(job)s.") % {"job": job_id}, job_id=job_id) from exc


def decision_facts(*, since: date, until: date, scorecard_version: str | None = None) -> QuerySet[DecisionFact]:
    facts = DecisionFact.objects.filter(decided_on__gte=since, decided_on__lte=until)
    if scorecard_version is not None:
        facts = facts.filter(scorecard_version=scorecard_version)
    return facts


def monitoring_snapshots(*, version: ScorecardVersion | None = None) -> QuerySet[ScorecardMonitoringSnapshot]:
    snapshots = ScorecardMonitoringSnapshot.objects.select_related("version")
    if version is not None:
        snapshots = snapshots.filter(version=version)
    return snapshots
