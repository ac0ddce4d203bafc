"""The registry's writes: register a trained card, activate it, give it challenger traffic, retire it.

Every change of status runs under the product's registry lock, re-reads the rows, re-checks, and writes
its audit row (ScorecardEvent) in the same durable transaction.
"""

import logging
from decimal import Decimal

import pandas as pd
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import locks, selectors
from ..exceptions import (
    NoActiveScorecard,
    ScorecardPermissionDenied,
    ScorecardStatusConflict,
    ScoringInputError,
    TrafficShareInvalid,
)
from ..models import ScorecardBin, ScorecardCharacteristic, ScorecardEvent, ScorecardTrainingJob, ScorecardVersion
from ..scorecard import artefact
from ..scorecard.report import ActiveComparison, render_report
from ..scorecard.training import Progress, TrainingParameters, TrainingResult, train
from .scoring import compiled_card, routing_invalidate

logger = logging.getLogger(__name__)
ACTIVATE_PERMISSION = "risk_models.activate_scorecard"
Status = ScorecardVersion.Status


def scorecard_train(
    *,
    frame: pd.DataFrame,
    parameters: TrainingParameters,
    test_frame: pd.DataFrame | None = None,
    product_code: str = "",
    source_name: str = "",
    trained_by=None,
    activate: bool = False,
    progress: Progress | None = None,
    training_job_id: int | None = None,
) -> ScorecardVersion:
    """Train a candidate, write its artefact and report, register it (and activate it when asked).

    Bad data raises before anything is written; the files are removed again if the registration fails.
    """
    if activate:
        _require_permission(trained_by)
    result = train(frame, parameters=parameters, test_frame=test_frame, progress=progress)
    steps = len(result.review) + 6
    if progress:
        progress("report", steps - 1, steps)
    version_id = _reserve_version_id()
    version = f"SC-{version_id:06d}"
    trained_at = timezone.now()
    comparison = _compare_with_active(result, product_code=product_code)
    html = render_report(
        version=version,
        result=result,
        product_code=product_code,
        trained_by=str(trained_by or ""),
        trained_at=timezone.localtime(trained_at).strftime("%Y-%m-%d %H:%M"),
        source_name=source_name,
        active=comparison,
    )
    folder = f"risk_models/scorecards/{version}"
    artefact_name = default_storage.save(
        f"{folder}/card.skops",
        ContentFile(
            artefact.dumps(
                card=result.card, estimator=result.estimator, reproducibility=result.reproducibility, version=version
            )
        ),
    )
    report_name = default_storage.save(f"{folder}/report.html", ContentFile(html.encode("utf-8")))
    try:
        registered = _register(
            version_id=version_id,
            version=version,
            result=result,
            product_code=product_code,
            source_name=source_name,
            trained_by=trained_by,
            trained_at=trained_at,
            comparison=comparison,
            artefact_name=artefact_name,
            report_name=report_name,
            activate=activate,
            training_job_id=training_job_id,
        )
    except BaseException:
        default_storage.delete(artefact_name)
        default_storage.delete(report_name)
        raise
    if progress:
        progress("saved", steps, steps)
    return registered


@transaction.atomic(durable=True)
def _register(
    *,
    version_id,
    version,
    result: TrainingResult,
    product_code,
    source_name,
    trained_by,
    trained_at,
    comparison,
    artefact_name,
    report_name,
    activate,
    training_job_id,
) -> ScorecardVersion:
    card, figures, parameters = result.card, result.metrics, result.reproducibility["parameters"]
    row = ScorecardVersion.objects.create(
        id=version_id,
        version=version,
        product_code=product_code,
        target=parameters["target"],
        source_name=source_name[:255],
        seed=result.reproducibility["seed"],
        training_sha256=result.reproducibility["training_sha256"],
        library_versions=result.reproducibility["library_versions"],
        parameters={**parameters, "test_sha256": result.reproducibility["test_sha256"]},
        pdo=card.scaling.pdo,
        base_score=card.scaling.base_score,
        base_odds=card.scaling.base_odds,
        intercept=card.intercept,
        grade_pd_bounds=list(card.grade_pd_bounds),
        train_auc=figures["train_auc"],
        train_ks=figures["train_ks"],
        test_auc=figures["test_auc"],
        test_ks=figures["test_ks"],
        gini=figures["gini"],
        psi_vs_active=comparison.psi if comparison else None,
        psi_vs_active_version=comparison.version if comparison else "",
        metrics={**figures, "psi_vs_active_buckets": comparison.as_dict() if comparison else None},
        baseline=result.baseline,
        training_seconds=result.seconds,
        artefact=artefact_name,
        report=report_name,
        trained_by=trained_by,
        trained_at=trained_at,
    )
    _store_tables(row, result)
    ScorecardEvent.objects.create(
        version=row,
        action=ScorecardEvent.Action.TRAINED,
        to_status=row.status,
        actor=trained_by,
        at=trained_at,
        details={"source": source_name, "test_auc": figures["test_auc"], "features": figures["features"]},
    )
    if activate:
        _activate(version_id=row.pk, actor=trained_by)
    if training_job_id is not None:
        ScorecardTrainingJob.objects.filter(pk=training_job_id).update(
            status=ScorecardTrainingJob.Status.SUCCEEDED,
            progress=1.0,
            stage="",
            version=row,
            finished_at=timezone.now(),
        )
    row.refresh_from_db()
    return row


def _store_tables(row: ScorecardVersion, result: TrainingResult) -> None:
    on_card = {c.name: c for c in result.card.characteristics}
    order = [*result.card.names, *(r.name for r in sorted(result.review, key=lambda r: -r.iv) if r.name not in on_card)]
    reviews = {r.name: r for r in result.review}
    characteristics = ScorecardCharacteristic.objects.bulk_create(
        [
            ScorecardCharacteristic(
                version=row,
                position=position,
                name=name,
                kind=result.binned[name].kind,
                status=reviews[name].status,
                flag=reviews[name].flag,
                iv=reviews[name].iv,
                missing_share=reviews[name].missing_share,
                coefficient=reviews[name].coefficient,
                correlated_with=reviews[name].correlated_with,
                correlation=reviews[name].correlation,
                trend=result.binned[name].trend,
                trend_iv=result.binned[name].trend_iv,
                cuts=list(result.binned[name].cuts),
                reason_code=on_card[name].reason_code if name in on_card else "",
            )
            for position, name in enumerate(order)
        ]
    )
    bins = []
    for characteristic in characteristics:
        points = on_card[characteristic.name].points if characteristic.name in on_card else None
        for position, b in enumerate(result.binned[characteristic.name].bins):
            bins.append(
                ScorecardBin(
                    characteristic=characteristic,
                    position=position,
                    label=b.label[:1000],
                    lower=b.lower,
                    upper=b.upper,
                    categories=list(b.categories),
                    is_missing=b.is_missing,
                    neutral=b.neutral,
                    count=b.count,
                    bads=b.bads,
                    woe=b.woe,
                    iv=b.iv,
                    points=points[position] if points else None,
                )
            )
    ScorecardBin.objects.bulk_create(bins, batch_size=2000)


def _reserve_version_id() -> int:
    """Take the next id from the table's own sequence (outside any transaction: sequences never roll
    back), so the version name is known before the report that carries it is rendered."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id'))", [ScorecardVersion._meta.db_table])
        return int(cursor.fetchone()[0])


def _compare_with_active(result: TrainingResult, *, product_code: str) -> ActiveComparison | None:
    """PSI between the active card's and the candidate's scores on the candidate's held-out rows."""
    try:
        active = selectors.active_scorecard(product_code=product_code or None)
    except NoActiveScorecard:
        return None
    evaluation = result.evaluation
    rows, candidate_scores = evaluation.test_frame, evaluation.test_scores
    try:
        active_scores = compiled_card(version_id=active.pk).score_frame(rows).score
    except ScoringInputError as exc:
        logger.info("no PSI vs active %s: %s", active.version, exc.message)
        return None
    return ActiveComparison.from_scores(
        version=active.version, active_scores=active_scores, candidate_scores=candidate_scores
    )


# ---- status changes -------------------------------------------------------------------------------


@transaction.atomic(durable=True)
def scorecard_activate(*, version: str, actor) -> ScorecardVersion:
    """Make `version` the product's ACTIVE card; the card it replaces is RETIRED. Audited."""
    _require_permission(actor)
    return _activate(version_id=_version_id(version), actor=actor)


def _activate(*, version_id: int, actor) -> ScorecardVersion:
    product_code = ScorecardVersion.objects.values_list("product_code", flat=True).get(pk=version_id)
    locks.scorecard_registry_lock(product_code=product_code)
    target = locks.scorecard_for_update(version_id=version_id)
    if target.status == Status.ACTIVE:
        raise ScorecardStatusConflict(
            _("%(version)s is already the active card.") % {"version": target.version}, version=target.version
        )
    now = timezone.now()
    replaced = locks.product_scorecards_for_update(product_code=product_code, statuses=(Status.ACTIVE,))
    for current in replaced:  # at most one, by the partial unique constraint
        _change_status(current, Status.RETIRED, actor=actor, at=now, details={"replaced_by": target.version})
    _change_status(
        target,
        Status.ACTIVE,
        actor=actor,
        at=now,
        details={"replaces": replaced[0].version if replaced else None},
    )
    return target


@transaction.atomic(durable=True)
def scorecard_challenger_set(*, version: str, traffic_share: Decimal, actor) -> ScorecardVersion:
    """Give a candidate (or retired card) a share of the product's traffic against the active champion."""
    _require_permission(actor)
    version_id = _version_id(version)
    product_code = ScorecardVersion.objects.values_list("product_code", flat=True).get(pk=version_id)
    locks.scorecard_registry_lock(product_code=product_code)
    target = locks.scorecard_for_update(version_id=version_id)
    share = Decimal(str(traffic_share))
    if not Decimal(0) < share < Decimal(1):
        raise TrafficShareInvalid(_("A challenger's traffic share must lie between 0 and 1."), traffic_share=share)
    if target.status == Status.ACTIVE:
        raise ScorecardStatusConflict(
            _("%(version)s is the active card; it cannot be its own challenger.") % {"version": target.version},
            version=target.version,
        )
    routed = locks.product_scorecards_for_update(product_code=product_code, statuses=(Status.ACTIVE, Status.CHALLENGER))
    if not any(v.status == Status.ACTIVE for v in routed):
        raise NoActiveScorecard(
            _("A challenger needs an active card to challenge (product %(product)s).")
            % {"product": product_code or "-"},
            product_code=product_code,
        )
    others = sum((v.traffic_share for v in routed if v.status == Status.CHALLENGER and v.pk != target.pk), Decimal(0))
    if others + share > 1:
        raise TrafficShareInvalid(
            _("Challengers would take %(total)s of the traffic; at most 1 is possible.") % {"total": others + share},
            traffic_share=share,
            other_challengers=others,
        )
    _change_status(target, Status.CHALLENGER, actor=actor, at=timezone.now(), traffic_share=share)
    return target


@transaction.atomic(durable=True)
def scorecard_retire(*, version: str, actor) -> ScorecardVersion:
    """Take a candidate or challenger out of use. The active card is replaced by activating another."""
    _require_permission(actor)
    version_id = _version_id(version)
    product_code = ScorecardVersion.objects.values_list("product_code", flat=True).get(pk=version_id)
    locks.scorecard_registry_lock(product_code=product_code)
    target = locks.scorecard_for_update(version_id=version_id)
    if target.status in (Status.ACTIVE, Status.RETIRED):
        raise ScorecardStatusConflict(
            _("%(version)s is %(status)s; only a candidate or a challenger can be retired.")
            % {"version": target.version, "status": target.get_status_display()},
            version=target.version,
            status=target.status,
        )
    _change_status(target, Status.RETIRED, actor=actor, at=timezone.now())
    return target


def _change_status(row, status, *, actor, at, traffic_share=Decimal(0), details=None) -> None:
    previous = row.status
    row.status = status
    row.traffic_share = traffic_share
    fields = ["status", "traffic_share"]
    if status == Status.ACTIVE:
        row.activated_by, row.activated_at = actor, at
        fields += ["activated_by", "activated_at"]
    if status == Status.RETIRED:
        row.retired_at = at
        fields.append("retired_at")
    row.save(update_fields=fields)
    routing_invalidate()
    transaction.on_commit(routing_invalidate)
    action = {
        Status.ACTIVE: ScorecardEvent.Action.ACTIVATED,
        Status.RETIRED: ScorecardEvent.Action.RETIRED,
        Status.CHALLENGER: ScorecardEvent.Action.CHALLENGER_SET,
    }[status]
    ScorecardEvent.objects.create(
        version=row,
        action=action,
        from_status=previous,
        to_status=status,
        traffic_share=traffic_share,
        actor=actor,
        at=at,
        details=details or {},
    )


def _version_id(version: str) -> int:
    return selectors.scorecard_version_get(version=version).pk


RISK_ANALYST_GROUP = "Risk analyst"


def risk_analyst_group_ensure():
    """The "Risk analyst" group with both analytics permissions (the data migration makes it; this
    restores it where a database was emptied, as test databases between transactional tests are)."""
    from django.contrib.auth.models import Group, Permission

    group, _created = Group.objects.get_or_create(name=RISK_ANALYST_GROUP)
    group.permissions.add(
        *Permission.objects.filter(
            content_type__app_label="risk_models", codename__in=("activate_scorecard", "view_analytics")
        )
    )
    return group


def _require_permission(actor) -> None:
    """A person must hold the permission; None is the platform itself (a command run by an operator)."""
    if actor is not None and not actor.has_perm(ACTIVATE_PERMISSION):
        raise ScorecardPermissionDenied(_("You may not change which scorecard is in use."))
