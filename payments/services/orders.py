"""Payment orders: create (idempotent), submit, query, record answers, reverse.

The rules this module keeps (DOMAIN.md §7, invariant 7):
- never an HTTP call inside a database transaction; the submission is recorded (SUBMITTED, serial fixed,
  Dr 1012 / Cr 1002 posted) and committed *before* the channel is called;
- an Unknown answer moves the order to PROCESSING and schedules a query; only a query answer (or a
  callback) ends it, never a guess;
- an order found SUBMITTED or PROCESSING is queried, never resubmitted; the same serial is sent again
  only when the channel says it never received it (ORDER_NOT_FOUND), and never a new serial;
- every state change is lock → re-check → conditional UPDATE … WHERE state = expected → event row.
"""

import hashlib
import json
import logging
import os
import secrets
import signal
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from functools import partial

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext

from common.money import money
from ledger.services import journal_post

from .. import conf, locks, postings, states
from ..channels import ChannelAnswer, ChannelRequest, Outcome, channel_names, gateway_for
from ..exceptions import IdempotencyConflict, OrderStateConflict, PaymentsError, UnknownChannel
from ..handlers import outbox_deliver
from ..models import PaymentCase, PaymentOrder, PaymentOrderEvent, SettlementOutbox
from ._queue import enqueue_delivery, enqueue_query, enqueue_submit
from .cases import case_open

logger = logging.getLogger(__name__)
State = PaymentOrder.State
Source = PaymentOrderEvent.Source

# What happened to an answer or callback when it was recorded.
APPLIED = "APPLIED"
PENDING = "PENDING"
DUPLICATE = "DUPLICATE"
STALE = "STALE"
CONFLICT = "CONFLICT"


def payout_create(
    *,
    idempotency_key: str,
    amount: Decimal,
    counterparty_account: str,
    purpose: str,
    reference: str,
    channel: str = "BANK_SIM",
) -> PaymentOrder:
    """A payout to a counterparty. Joins the caller's transaction; submission is enqueued once it commits.

    Same key and same payload → the first order; same key, other payload → IdempotencyConflict (409).
    """
    request = locals()  # exactly the keyword arguments above: the one request both kinds share
    return _order_create(kind=PaymentOrder.Kind.PAYOUT, **request)


def collection_create(
    *,
    idempotency_key: str,
    amount: Decimal,
    counterparty_account: str,
    purpose: str,
    reference: str,
    channel: str = "BANK_SIM",
) -> PaymentOrder:
    """A collection (代扣) from a counterparty's account; same rules as `payout_create`."""
    request = locals()  # exactly the keyword arguments above: the one request both kinds share
    return _order_create(kind=PaymentOrder.Kind.COLLECTION, **request)


def request_fingerprint(
    *, kind: str, amount: Decimal, counterparty_account: str, purpose: str, reference: str, channel: str
) -> str:
    canonical = json.dumps(
        {
            "kind": kind,
            "amount": str(amount),
            "counterparty_account": counterparty_account,
            "purpose": purpose,
            "reference": reference,
            "channel": channel,
        },
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _text(value: str, *, field: str, max_length: int, required: bool = True) -> str:
    if not isinstance(value, str) or len(value) > max_length or (required and not value.strip()):
        raise PaymentsError(
            gettext("%(field)s must be text of at most %(max_length)s characters.")
            % {"field": field, "max_length": max_length},
            code="INVALID_FIELD",
            field=field,
        )
    return value


@dataclass(frozen=True, slots=True)
class CollectionRequest:
    """One collection order to create, as `collections_create` takes them (same fields as `collection_create`)."""

    idempotency_key: str
    amount: Decimal
    counterparty_account: str
    purpose: str
    reference: str
    channel: str = "BANK_SIM"


def collections_create(*, requests: Sequence[CollectionRequest]) -> list[PaymentOrder]:
    """Many collections (代扣) in the caller's transaction, in a fixed handful of statements; orders in the
    order given.

    Per key, exactly `collection_create`'s rules: a key already used with the same payload returns that
    order (nothing is created or enqueued again); with another payload the whole call raises
    IdempotencyConflict and creates nothing. A key given twice must carry the same payload, and gets one order.
    Close-of-business auto-debit dispatches its collections through here instead of one call per debit.
    """
    checked: dict[str, _CheckedRequest] = {}
    for request in requests:
        if not isinstance(request, CollectionRequest):
            raise TypeError(f"collections_create takes CollectionRequest values, not {type(request).__name__}")
        candidate = _request_check(kind=PaymentOrder.Kind.COLLECTION, **_request_fields(request))
        first = checked.setdefault(candidate.fields["idempotency_key"], candidate)
        if first.fingerprint != candidate.fingerprint:
            raise IdempotencyConflict(
                gettext("This idempotency key was already used for a different payment request."),
                idempotency_key=candidate.fields["idempotency_key"],
            )
    if not checked:
        return []
    orders = _orders_by_key(list(checked))
    for key, order in orders.items():
        _same_request_or_conflict(order, checked[key].fingerprint)
    missing = sorted(key for key in checked if key not in orders)  # key order: concurrent batches cannot deadlock
    if missing:
        created = _orders_insert([checked[key] for key in missing])
        if created:
            PaymentOrderEvent.objects.bulk_create(
                [
                    PaymentOrderEvent(order_id=order_id, to_state=State.CREATED, source=Source.CREATE)
                    for order_id in created
                ]
            )
        # Keys a concurrent twin won between our read and our insert: its committed order is the answer.
        won = _orders_by_key(missing)
        for key in missing:
            if key not in won:  # ON CONFLICT skips only a committed twin, so its order must be there
                raise RuntimeError(f"payment order {key!r} neither inserted nor found")
            _same_request_or_conflict(won[key], checked[key].fingerprint)
        orders.update(won)
        for order_id in created:
            # robust: a broker outage must not turn committed orders into an error; the recovery sweep submits them.
            transaction.on_commit(partial(enqueue_submit, order_id), robust=True)
    return [orders[request.idempotency_key] for request in requests]


@dataclass(frozen=True, slots=True)
class _CheckedRequest:
    kind: str
    fields: dict
    amount: Decimal
    channel: str
    fingerprint: str


def _request_fields(request: CollectionRequest) -> dict:
    return {
        "idempotency_key": request.idempotency_key,
        "amount": request.amount,
        "counterparty_account": request.counterparty_account,
        "purpose": request.purpose,
        "reference": request.reference,
        "channel": request.channel,
    }


def _request_check(*, kind: str, idempotency_key: str, amount, counterparty_account: str, purpose: str,
                   reference: str, channel: str) -> _CheckedRequest:  # fmt: skip
    amount = money(amount)
    if channel not in channel_names():
        raise UnknownChannel(
            gettext("There is no payment channel named %(channel)s.") % {"channel": channel}, channel=channel
        )
    fields = {
        "idempotency_key": _text(idempotency_key, field="idempotency_key", max_length=128),
        "counterparty_account": _text(counterparty_account, field="counterparty_account", max_length=64),
        "purpose": _text(purpose, field="purpose", max_length=64),
        "reference": _text(reference, field="reference", max_length=128, required=False),
    }
    fingerprint = request_fingerprint(
        kind=kind,
        amount=amount,
        counterparty_account=counterparty_account,
        purpose=purpose,
        reference=reference,
        channel=channel,
    )
    return _CheckedRequest(kind=kind, fields=fields, amount=amount, channel=channel, fingerprint=fingerprint)


def _orders_by_key(keys: list[str]) -> dict[str, PaymentOrder]:
    return {order.idempotency_key: order for order in PaymentOrder.objects.filter(idempotency_key__in=keys)}


# Rows a concurrent twin inserted first are skipped (ON CONFLICT waits for it to finish), not an error: the
# caller's transaction stays usable without a savepoint per order. The columns are every NOT NULL column of
# payments_paymentorder that has no database default, with the values `PaymentOrder()` would give them.
_ORDERS_INSERT_SQL = """
INSERT INTO payments_paymentorder (
    kind, idempotency_key, request_fingerprint, amount, counterparty_account, purpose, reference, channel,
    state, channel_code, channel_message, query_attempts, created_at, updated_at)
SELECT r.kind, r.idempotency_key, r.fingerprint, r.amount, r.counterparty_account, r.purpose, r.reference,
       r.channel, %s, '', '', 0, now(), now()
FROM unnest(%s::text[], %s::text[], %s::text[], %s::numeric[], %s::text[], %s::text[], %s::text[], %s::text[])
     WITH ORDINALITY AS r(kind, idempotency_key, fingerprint, amount, counterparty_account, purpose, reference,
                          channel, n)
ORDER BY r.n
ON CONFLICT (idempotency_key) DO NOTHING
RETURNING id
"""


def _orders_insert(requests: list[_CheckedRequest]) -> list[int]:
    columns = [
        [request.kind for request in requests],
        [request.fields["idempotency_key"] for request in requests],
        [request.fingerprint for request in requests],
        [request.amount for request in requests],
        [request.fields["counterparty_account"] for request in requests],
        [request.fields["purpose"] for request in requests],
        [request.fields["reference"] for request in requests],
        [request.channel for request in requests],
    ]
    with connection.cursor() as cursor:
        cursor.execute(_ORDERS_INSERT_SQL, [State.CREATED, *columns])
        return [row[0] for row in cursor.fetchall()]


def _order_create(*, kind: str, idempotency_key: str, amount, counterparty_account: str, purpose: str,
                  reference: str, channel: str) -> PaymentOrder:  # fmt: skip
    checked = _request_check(
        kind=kind,
        idempotency_key=idempotency_key,
        amount=amount,
        counterparty_account=counterparty_account,
        purpose=purpose,
        reference=reference,
        channel=channel,
    )
    fields, fingerprint = checked.fields, checked.fingerprint
    amount = checked.amount
    existing = PaymentOrder.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return _same_request_or_conflict(existing, fingerprint)
    try:
        # A savepoint: when a concurrent twin wins the unique key, only this insert is undone, not the caller's work.
        with transaction.atomic():
            order = PaymentOrder.objects.create(
                kind=kind, amount=amount, channel=channel, request_fingerprint=fingerprint, **fields
            )
            PaymentOrderEvent.objects.create(order=order, to_state=State.CREATED, source=Source.CREATE)
    except IntegrityError:
        # The twin committed first (the unique index made us wait for it): its order is the answer.
        existing = PaymentOrder.objects.filter(idempotency_key=idempotency_key).first()
        if existing is None:
            raise
        return _same_request_or_conflict(existing, fingerprint)
    # robust: a broker outage must not turn a committed order into an error; the recovery sweep submits it.
    transaction.on_commit(lambda: enqueue_submit(order.pk), robust=True)
    return order


def _same_request_or_conflict(order: PaymentOrder, fingerprint: str) -> PaymentOrder:
    if order.request_fingerprint != fingerprint:
        raise IdempotencyConflict(
            gettext("This idempotency key was already used for a different payment request."),
            idempotency_key=order.idempotency_key,
            order_id=order.pk,
        )
    return order


def _crash_point(name: str) -> None:
    """Die on the spot when PAYMENTS_CRASH_POINT names this point: how the crash-recovery test kills a worker."""
    if conf.crash_point() == name:
        logger.warning("PAYMENTS_CRASH_POINT=%s: killing process %s", name, os.getpid())
        os.kill(os.getpid(), signal.SIGKILL)


def order_submit(*, order_id: int) -> PaymentOrder:
    """Send a CREATED order to its channel (entry point for the submit task; outside any transaction).

    An order that is already SUBMITTED or PROCESSING — the task ran before and the process died — is
    queried instead: the channel may already have moved the money.
    """
    order, recorded_now = _submission_record(order_id=order_id)
    if not recorded_now:
        if order.state in State.in_flight():
            return order_query(order_id=order_id)
        return order
    _crash_point("after_record_before_submit")
    answer = gateway_for(order.channel).submit(_channel_request(order))
    _crash_point("after_submit_before_record")
    return _answer_settle(order_id=order_id, answer=answer, source=Source.SUBMIT, attempt=order.query_attempts)


def order_query(*, order_id: int, attempt: int | None = None) -> PaymentOrder:
    """Ask the channel where an in-flight order stands and record the answer (query task, recovery sweep).

    `attempt` is the query number this task was scheduled for; a task overtaken by a newer schedule (or a
    final state) does nothing.
    """
    order = PaymentOrder.objects.get(pk=order_id)
    if order.is_final or (attempt is not None and attempt != order.query_attempts):
        return order
    if order.state == State.CREATED:
        return order_submit(order_id=order_id)
    gateway = gateway_for(order.channel)
    answer = gateway.query(order.channel_serial)
    source = Source.QUERY
    if answer.not_found:
        # The channel never received this serial (lost on the way, or we died before sending): the one
        # case in which the same serial may go again. The channel keys on the serial, so this cannot pay twice.
        answer = gateway.submit(_channel_request(order))
        source = Source.RECOVERY
    return _answer_settle(order_id=order_id, answer=answer, source=source, attempt=order.query_attempts)


def _channel_request(order: PaymentOrder) -> ChannelRequest:
    return ChannelRequest(
        serial=order.channel_serial,
        kind=order.kind,
        amount=order.amount,
        account=order.counterparty_account,
        notify_url=f"{conf.callback_base_url()}/api/v1/payments/callbacks/{order.channel}/",
    )


def _new_serial(order: PaymentOrder) -> str:
    # Our id for tracing, plus randomness so that serials stay unique at the channel across databases.
    prefix = "P" if order.kind == PaymentOrder.Kind.PAYOUT else "C"
    return f"{prefix}{order.pk:010d}{secrets.token_hex(6).upper()}"


@transaction.atomic(durable=True)
def _submission_record(*, order_id: int) -> tuple[PaymentOrder, bool]:
    """CREATED → SUBMITTED with its serial fixed, and the payout's money on its way: committed before the call."""
    order = locks.order_for_update(order_id)
    if order.state != State.CREATED:
        return order, False
    now = timezone.now()
    if order.kind == PaymentOrder.Kind.PAYOUT:
        _post(
            lines=postings.payout_submitted(channel=order.channel, amount=order.amount),
            kind="PAYOUT_SUBMITTED",
            order=order,
            key="submitted",
        )
    _transition(order, to=State.SUBMITTED, source=Source.SUBMIT, channel_serial=_new_serial(order), submitted_at=now)
    return order, True


def _answer_settle(*, order_id: int, answer: ChannelAnswer, source: str, attempt: int) -> PaymentOrder:
    """Record the answer; if it made the order final, this worker delivers the outbox row right away.

    The delivery runs after the recording transaction committed, as any delivery does; a crash in between
    leaves the row to the outbox sweep.
    """
    order, outbox_id = _answer_record(order_id=order_id, answer=answer, source=source, attempt=attempt)
    if outbox_id is not None:
        outbox_deliver(outbox_id=outbox_id)
    return order


@transaction.atomic(durable=True)
def _answer_record(
    *, order_id: int, answer: ChannelAnswer, source: str, attempt: int
) -> tuple[PaymentOrder, int | None]:
    """Apply the answer under the order's lock; returns the order and the outbox row it made final, if any."""
    order = locks.order_for_update(order_id)
    result, outbox_id = outcome_apply(
        order,
        outcome=answer.outcome,
        code=answer.code,
        message=answer.message,
        settled_at=answer.settled_at,
        source=source,
        deliver_by_task=False,
    )
    if result == PENDING and order.query_attempts == attempt:
        _query_schedule(order)
    return order, outbox_id


def outcome_apply(order: PaymentOrder, *, outcome: Outcome, code: str, message: str, settled_at: datetime | None,
                  source: str, deliver_by_task: bool = True) -> tuple[str, int | None]:  # fmt: skip
    """Apply what the channel says to a locked order (inside the caller's transaction).

    Returns what happened and, when the order became final, its outbox row. `deliver_by_task=False` when
    the caller is a worker that delivers that row itself once the transaction has committed.
    """
    if order.is_final:
        return _final_order_told(order, outcome=outcome, code=code, settled_at=settled_at, source=source), None
    if outcome in (Outcome.SUCCESS, Outcome.FAILURE):
        to = State.SUCCEEDED if outcome == Outcome.SUCCESS else State.FAILED
        _finalize(order, to=to, source=source, code=code, message=message, settled_at=settled_at)
        return APPLIED, _outbox_add(order, state=to, enqueue=deliver_by_task)
    if order.state == State.SUBMITTED:
        _transition(order, to=State.PROCESSING, source=source, channel_code=code, note=message)
    return PENDING, None


def _final_order_told(order: PaymentOrder, *, outcome: Outcome, code: str, settled_at, source: str) -> str:
    """A word about an order that is already final: agreeing → duplicate; older → stale; contrary → a case."""
    if outcome == Outcome.UNKNOWN:
        return STALE
    agrees = (outcome == Outcome.SUCCESS) == (order.state in (State.SUCCEEDED, State.REVERSED))
    if agrees:
        if outcome == Outcome.SUCCESS and settled_at and order.channel_settled_at is None:
            # Not a state change: the channel's booking time, which statements are dated by.
            PaymentOrder.objects.filter(pk=order.pk, channel_settled_at__isnull=True).update(
                channel_settled_at=settled_at
            )
            order.channel_settled_at = settled_at
        return DUPLICATE
    reported = "SUCCESS" if outcome == Outcome.SUCCESS else "FAILED"
    case_open(
        case_key=f"CONFLICT:{order.pk}:{reported}",
        kind=PaymentCase.Kind.CALLBACK_CONFLICT,
        order=order,
        description=gettext(
            "The channel now says %(reported)s (code %(code)s, via %(source)s) for an order we hold as "
            "%(state)s. Nothing was changed; check with the channel and resolve."
        )
        % {"reported": reported, "code": code or "-", "source": source, "state": order.state},
    )
    return CONFLICT


def _finalize(order: PaymentOrder, *, to: str, source: str, code: str, message: str, settled_at) -> None:
    """The final state and its journal (the caller adds the outbox row): one transaction, the caller's."""
    now = timezone.now()
    if to == State.FAILED and order.kind == PaymentOrder.Kind.PAYOUT:
        _post(
            lines=postings.payout_returned(channel=order.channel, amount=order.amount),
            kind="PAYOUT_FAILED",
            order=order,
            key="failed",
        )
    _transition(
        order,
        to=to,
        source=source,
        channel_code=code,
        note=message,
        channel_message=message,
        finalized_at=now,
        channel_settled_at=settled_at,
        next_query_at=None,
    )


def _outbox_add(order: PaymentOrder, *, state: str, enqueue: bool = True) -> int:
    row = SettlementOutbox.objects.create(order=order, state=state)
    if enqueue:
        transaction.on_commit(lambda: enqueue_delivery(row.pk), robust=True)
    return row.pk


def _transition(order: PaymentOrder, *, to: str, source: str, channel_code: str = "", note: str = "",
                **fields) -> None:  # fmt: skip
    """Lock held by the caller; re-check, then UPDATE … WHERE state = expected, then the event row."""
    current = order.state
    if not states.may_move(current, to):
        raise OrderStateConflict(
            gettext("Payment order %(id)s cannot go from %(state)s to %(to)s.")
            % {"id": order.pk, "state": current, "to": to},
            order_id=order.pk,
            state=current,
            to=to,
        )
    if channel_code:
        fields.setdefault("channel_code", channel_code)
    updated = PaymentOrder.objects.filter(pk=order.pk, state=current).update(
        state=to, updated_at=timezone.now(), **fields
    )
    if updated != 1:
        raise OrderStateConflict(
            gettext("Payment order %(id)s is no longer %(state)s.") % {"id": order.pk, "state": current},
            order_id=order.pk,
            state=current,
        )
    PaymentOrderEvent.objects.create(
        order_id=order.pk, from_state=current, to_state=to, source=source, channel_code=channel_code, note=note[:255]
    )
    order.state = to
    for name, value in fields.items():
        setattr(order, name, value)


def _query_schedule(order: PaymentOrder) -> None:
    """Schedule the next query with back-off; the attempt number makes duplicate schedules harmless."""
    backoff = conf.query_backoff()
    attempt = order.query_attempts + 1
    delay = backoff[min(attempt - 1, len(backoff) - 1)]
    next_query_at = timezone.now() + timedelta(seconds=delay)
    PaymentOrder.objects.filter(pk=order.pk, query_attempts=order.query_attempts).update(
        query_attempts=attempt, next_query_at=next_query_at
    )
    order.query_attempts, order.next_query_at = attempt, next_query_at
    transaction.on_commit(lambda: enqueue_query(order.pk, attempt=attempt, delay=delay), robust=True)


def _post(*, lines, kind: str, order: PaymentOrder, key: str) -> int:
    journal = journal_post(
        lines=lines,
        kind=kind,
        reference=f"payment-order:{order.pk}",
        posted_on=timezone.localdate(),
        idempotency_key=f"payments:order:{order.pk}:{key}",
    )
    return journal.pk


@transaction.atomic(durable=True)
def order_reverse(*, order_id: int, reason: str) -> PaymentOrder:
    """A success undone by the channel afterwards (a returned payout, a charged-back collection).

    Payout: the money comes back, Dr 1002 / Cr 1012. Collection: the channel takes it back, Dr 1012 /
    Cr 1002. The settlement handler hears REVERSED and undoes the loan side.
    """
    order = locks.order_for_update(order_id)
    if order.state != State.SUCCEEDED:
        raise OrderStateConflict(
            gettext("Only a succeeded order can be reversed; order %(id)s is %(state)s.")
            % {"id": order.pk, "state": order.state},
            order_id=order.pk,
            state=order.state,
        )
    if not reason.strip():
        raise PaymentsError(gettext("A reversal needs a reason."), code="REVERSAL_REASON_REQUIRED")
    lines = (
        postings.payout_returned(channel=order.channel, amount=order.amount)
        if order.kind == PaymentOrder.Kind.PAYOUT
        else postings.collection_clawed_back(channel=order.channel, amount=order.amount)
    )
    _post(lines=lines, kind=f"{order.kind}_REVERSED", order=order, key="reversed")
    _transition(order, to=State.REVERSED, source=Source.OPERATOR, note=reason, reversed_at=timezone.now())
    _outbox_add(order, state=State.REVERSED)
    return order
