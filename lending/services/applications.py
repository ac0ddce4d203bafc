"""Apply (进件): record the application, ask the engine, and turn its answer into an offer or a referral."""

import secrets
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from common.money import InvalidAmount, money
from underwriting import services as underwriting
from underwriting.models import DecisionRecord
from underwriting.reasons import REVIEW

from .. import selectors
from ..exceptions import InvalidFields, InvalidTransition
from ..models import Application, ApplicationEvent, Offer, Purpose
from ..scoring import characteristic_errors
from ._audit import transition
from ._rows import application_rows_insert


def new_reference(prefix: str, at: datetime) -> str:
    """Readable and unguessable: AP20240131-9F3A1C2B."""
    return f"{prefix}{timezone.localtime(at):%Y%m%d}-{secrets.token_hex(4).upper()}"


def _application_errors(
    *,
    product,
    amount: Any,
    term: Any,
    purpose: Any,
    annual_income: Any,
    characteristics: dict,
    scorecard_id: int | None = None,
) -> tuple[dict[str, list[str]], Decimal | None, int | None, Decimal | None]:
    errors: dict[str, list[str]] = {}
    parsed_amount = parsed_term = parsed_income = None
    if product is None:
        errors["product"] = [_("Choose one of the products on offer.")]
    try:
        parsed_amount = money(amount, field="amount")
    except InvalidAmount:
        errors["amount"] = [_("Enter an amount in yuan with at most two decimals.")]
    try:
        parsed_term = int(term)
    except (TypeError, ValueError):
        errors["term"] = [_("Choose a term.")]
    if product is not None:
        if parsed_amount is not None and not product.min_amount <= parsed_amount <= product.max_amount:
            errors["amount"] = [
                _("This product lends from %(min)s to %(max)s yuan.")
                % {"min": product.min_amount, "max": product.max_amount}
            ]
        if parsed_term is not None and parsed_term not in product.terms:
            errors["term"] = [
                _("This product offers terms of %(terms)s months.") % {"terms": ", ".join(map(str, product.terms))}
            ]
    if purpose not in Purpose.values:
        errors["purpose"] = [_("Choose what the loan is for.")]
    try:
        parsed_income = money(annual_income, field="annual_income", allow_zero=True)
    except InvalidAmount:
        errors["annual_income"] = [_("Enter your average annual income in yuan.")]
    errors.update(characteristic_errors(characteristics, scorecard_id=scorecard_id))
    return errors, parsed_amount, parsed_term, parsed_income


@transaction.atomic(durable=True)
def application_submit(
    *,
    borrower_id: int,
    product_code: str,
    amount: Any,
    term: Any,
    purpose: str = Purpose.CONSUMPTION,
    annual_income: Any = None,
    characteristics: dict | None = None,
    idempotency_key: str | None = None,
    submitted_at: datetime | None = None,
    channel: str = "WEB",
) -> Application:
    """Record the application and decide it at once; a rule or cap failure is an outcome, not an error.

    Four round trips whatever the outcome: the applicant's facts (one query), the decision record, the risk
    fact, and the application with its history, audit events and offer (one statement).
    """
    submitted_at = submitted_at or timezone.now()
    applicant = selectors.applicant_get(
        borrower_id=borrower_id,
        product_code=str(product_code or ""),
        at=submitted_at,
        idempotency_key=idempotency_key or None,
    )
    if applicant.existing_application_id is not None:
        return selectors.application_get(application_id=applicant.existing_application_id)
    borrower, product = applicant.borrower, applicant.product
    if annual_income in (None, ""):
        annual_income = borrower.average_annual_income
    characteristics = dict(characteristics or {})
    errors, amount, term, income = _application_errors(
        product=product,
        amount=amount,
        term=term,
        purpose=purpose,
        annual_income=annual_income,
        characteristics=characteristics,
        scorecard_id=applicant.active_scorecard_id,
    )
    if errors:
        raise InvalidFields(errors)
    application = Application(
        reference=new_reference("AP", submitted_at),
        borrower=borrower,
        product=product,
        requested_amount=amount,
        term=term,
        purpose=purpose,
        annual_income=income,
        characteristics=characteristics,
        idempotency_key=idempotency_key or None,
        submitted_at=submitted_at,
        channel=channel,
    )
    # The engine decides before the row is written, so the application is inserted once, already in the
    # status the decision gives it; both steps of the state machine are still in its audit trail.
    record = underwriting.decide(
        facts=selectors.application_facts(application=application, applicant=applicant),
        decided_at=submitted_at,
        channel=channel,
    )
    _apply_engine_decision(application, record=record, at=submitted_at)
    return application


def _apply_engine_decision(application: Application, *, record: DecisionRecord, at: datetime) -> None:
    application.decision = record
    application.outcome = record.outcome
    if record.outcome == DecisionRecord.Outcome.MANUAL_REVIEW:
        application.review_flags = sorted({r["code"] for r in record.reasons if r["effect"] == REVIEW})
        status, action = Application.Status.IN_REVIEW, ApplicationEvent.Action.REFERRED
        data = {"decision_id": record.pk, "flags": application.review_flags}
    else:
        application.decided_at = at
        status, action = Application.Status.DECIDED, ApplicationEvent.Action.DECIDED
        data = {"decision_id": record.pk, "outcome": record.outcome}
    if not application.can_move_to(status):
        raise InvalidTransition(f"A submitted application cannot become {status}.", status=status)
    application.status = status
    events = [
        ApplicationEvent(
            application=application,
            action=ApplicationEvent.Action.SUBMITTED,
            to_status=Application.Status.SUBMITTED,
            created_at=at,
        ),
        ApplicationEvent(
            application=application,
            action=action,
            from_status=Application.Status.SUBMITTED,
            to_status=status,
            data=data,
            created_at=at,
        ),
    ]
    offer = None
    if record.outcome == DecisionRecord.Outcome.APPROVED:
        offer = _offer_for(application=application, record=record, at=at)
    application_rows_insert(application, events=events, offer=offer)


def _offer_for(*, application: Application, record: DecisionRecord, at: datetime) -> Offer:
    """The offer is exactly the terms the engine priced (and the record holds): nothing recomputed here."""
    terms = record.terms
    return Offer(
        application=application,
        amount=Decimal(terms["amount"]),
        term=terms["term"],
        method=terms["method"],
        annual_rate=Decimal(terms["annual_rate"]),
        apr=Decimal(terms["apr"]),
        grade=record.grade,
        monthly_fee=Decimal(terms["monthly_fee"]),
        total_interest=Decimal(terms["total_interest"]),
        total_fee=Decimal(terms["total_fee"]),
        total_repayment=Decimal(terms["total_repayment"]),
        schedule=terms["schedule"],
        expires_at=at + timedelta(days=application.product.offer_valid_days),
    )


def offer_create(*, application: Application, record: DecisionRecord, at: datetime) -> Offer:
    offer = _offer_for(application=application, record=record, at=at)
    offer.save()
    return offer


@transaction.atomic(durable=True)
def application_withdraw(*, application_id: int, borrower_id: int, at: datetime | None = None) -> Application:
    application = selectors.application_get_for_borrower(borrower_id=borrower_id, application_id=application_id)
    application = Application.objects.select_for_update(of=("self",)).get(pk=application.pk)
    transition(application, to=Application.Status.WITHDRAWN, action=ApplicationEvent.Action.WITHDRAWN, at=at)
    return application


@transaction.atomic(durable=True)
def application_info_provide(
    *, application_id: int, borrower_id: int, note: str, at: datetime | None = None
) -> Application:
    """The borrower answers an officer's question; the application goes back to the officer's queue."""
    application = selectors.application_get_for_borrower(borrower_id=borrower_id, application_id=application_id)
    application = Application.objects.select_for_update(of=("self",)).get(pk=application.pk)
    if not (note or "").strip():
        raise InvalidFields({"note": [_("Write your answer to the credit officer.")]})
    transition(
        application,
        to=Application.Status.IN_REVIEW,
        action=ApplicationEvent.Action.INFO_PROVIDED,
        at=at,
        note=note.strip(),
    )
    return application


@transaction.atomic(durable=True)
def offers_expire(*, now: datetime) -> int:
    """Approved offers not accepted in time lapse (and stop counting anywhere); returns how many."""
    expired = 0
    due = Application.objects.select_for_update(of=("self",), skip_locked=True).filter(
        status=Application.Status.DECIDED, outcome=Application.Outcome.APPROVED, offer__expires_at__lt=now
    )
    for application in due:
        transition(application, to=Application.Status.EXPIRED, action=ApplicationEvent.Action.EXPIRED, at=now)
        expired += 1
    return expired
