"""The credit officers' work on referred applications: assign, approve, decline, ask for more information.

Each action is a durable service with its own audit event, refused to anyone without the review permission
(the "Credit officer" group has it) — the admin only calls these.
"""

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from underwriting import services as underwriting

from ..exceptions import InvalidFields, InvalidTransition, ReviewNotAllowed
from ..models import Application, ApplicationEvent, ApprovalReason, RejectionReason
from ..permissions import REVIEW_PERMISSION
from . import applications
from ._audit import record_event, transition


def _check_officer(officer) -> None:
    if officer is None or not officer.has_perm(REVIEW_PERMISSION):
        raise ReviewNotAllowed("Only credit officers may work the review queue.")


def _locked(application_id: int) -> Application:
    return Application.objects.select_for_update(of=("self",)).select_related("product").get(pk=application_id)


def _require_reason(reason_code: str, note: str, allowed: list[str]) -> None:
    errors = {}
    if reason_code not in allowed:
        errors["reason_code"] = [_("Choose a reason.")]
    if not (note or "").strip():
        errors["note"] = [_("Write a note for the file.")]
    if errors:
        raise InvalidFields(errors)


@transaction.atomic(durable=True)
def application_assign(*, application_id: int, officer, at: datetime | None = None) -> Application:
    _check_officer(officer)
    application = _locked(application_id)
    if application.status not in Application.REVIEW_QUEUE:
        raise InvalidTransition("Only applications in the review queue can be assigned.", status=application.status)
    application.assigned_to = officer
    application.save(update_fields=["assigned_to", "updated_at"])
    record_event(application, action=ApplicationEvent.Action.ASSIGNED, actor=officer, at=at)
    return application


def _officer_decision(
    application: Application, *, officer, outcome: str, action: str, reason_code: str, note: str, at: datetime
) -> None:
    """The officer's verdict: DECIDED with an audit event, and risk_models' fact replaces MANUAL_REVIEW."""
    application.outcome = outcome
    application.decided_at = at
    transition(
        application,
        to=Application.Status.DECIDED,
        action=action,
        actor=officer,
        at=at,
        reason_code=reason_code,
        note=note.strip(),
        update_fields=("outcome", "decided_at"),
    )
    approved = outcome == Application.Outcome.APPROVED
    if approved:
        applications.offer_create(application=application, record=application.decision, at=at)
    underwriting.decision_fact_push(
        record=application.decision,
        outcome=outcome,
        approved_amount=application.decision.approved_amount if approved else None,
        channel=application.channel,
        decided_at=at,
    )


@transaction.atomic(durable=True)
def application_approve(
    *, application_id: int, officer, reason_code: str, note: str, at: datetime | None = None
) -> Application:
    """Approve on the terms the engine priced; the caps are checked again when the borrower accepts."""
    _check_officer(officer)
    _require_reason(reason_code, note, ApprovalReason.values)
    application = _locked(application_id)
    if application.status != Application.Status.IN_REVIEW or application.decision.terms is None:
        raise InvalidTransition("Only an application under review can be approved.", status=application.status)
    _officer_decision(
        application,
        officer=officer,
        outcome=Application.Outcome.APPROVED,
        action=ApplicationEvent.Action.APPROVED,
        reason_code=reason_code,
        note=note,
        at=at or timezone.now(),
    )
    return application


@transaction.atomic(durable=True)
def application_reject(
    *, application_id: int, officer, reason_code: str, note: str, at: datetime | None = None
) -> Application:
    """Decline a referred application (also one whose borrower never answered a request for information)."""
    _check_officer(officer)
    _require_reason(reason_code, note, RejectionReason.values)
    _officer_decision(
        application := _locked(application_id),
        officer=officer,
        outcome=Application.Outcome.REJECTED,
        action=ApplicationEvent.Action.REJECTED,
        reason_code=reason_code,
        note=note,
        at=at or timezone.now(),
    )
    return application


@transaction.atomic(durable=True)
def application_request_info(*, application_id: int, officer, note: str, at: datetime | None = None) -> Application:
    _check_officer(officer)
    if not (note or "").strip():
        raise InvalidFields({"note": [_("Say what the borrower should provide.")]})
    application = _locked(application_id)
    transition(
        application,
        to=Application.Status.INFO_REQUESTED,
        action=ApplicationEvent.Action.INFO_REQUESTED,
        actor=officer,
        at=at,
        note=note.strip(),
    )
    return application
