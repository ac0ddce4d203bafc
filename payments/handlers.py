"""Settlement handlers: how apps above learn that a payment order reached a final state.

An app registers one handler per purpose in its `AppConfig.ready()`:

    register_settlement_handler("LOAN_DISBURSEMENT", loan_disbursement_settled)

The final state and a `SettlementOutbox` row commit together; a worker then claims the row (a lease),
calls the handler **outside** any payments transaction and marks the row delivered. A crash between the
handler's commit and that mark delivers again, so a handler must be idempotent, keyed by
(`order_id`, `state`) — a payout that SUCCEEDED and is later REVERSED is delivered twice, once per state.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.db.models import F, Q
from django.utils import timezone

from . import conf
from .exceptions import DuplicateSettlementHandler
from .models import PaymentOrder, SettlementOutbox

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SettledOrder:
    """What a settlement handler receives: the order as it was when it reached `state`."""

    order_id: int
    kind: str
    purpose: str
    reference: str
    amount: Decimal
    state: str
    channel: str
    channel_serial: str | None
    settled_at: datetime | None
    idempotency_key: str


SettlementHandler = Callable[[SettledOrder], object]
_handlers: dict[str, SettlementHandler] = {}


def register_settlement_handler(purpose: str, handler: SettlementHandler) -> None:
    """Register the handler of a purpose (once; registering the same function again is harmless)."""
    current = _handlers.get(purpose)
    if current is not None and current is not handler:
        raise DuplicateSettlementHandler(
            f"purpose {purpose} already has the settlement handler {current.__module__}.{current.__qualname__}",
            purpose=purpose,
        )
    _handlers[purpose] = handler


def settlement_handler_for(purpose: str) -> SettlementHandler | None:
    return _handlers.get(purpose)


def settled_order_of(row: SettlementOutbox) -> SettledOrder:
    order: PaymentOrder = row.order
    if row.state == PaymentOrder.State.REVERSED:
        settled_at = order.reversed_at
    else:
        settled_at = order.channel_settled_at or order.finalized_at
    return SettledOrder(
        order_id=order.pk,
        kind=order.kind,
        purpose=order.purpose,
        reference=order.reference,
        amount=order.amount,
        state=row.state,
        channel=order.channel,
        channel_serial=order.channel_serial,
        settled_at=settled_at,
        idempotency_key=order.idempotency_key,
    )


def outbox_deliver(*, outbox_id: int) -> bool:
    """Deliver one outbox row to its handler; True if it was delivered by this call.

    Three short steps, deliberately not one transaction: claim (a lease, so that two workers never run
    the handler at once), call the handler in its own transaction, mark delivered. A handler error
    releases the claim and leaves the row for a later attempt. Called by the delivery task, never from
    inside a transaction (handlers open their own durable ones).
    """
    now = timezone.now()
    retry_after = timedelta(seconds=conf.outbox_retry_after())
    claimed = (
        SettlementOutbox.objects.filter(pk=outbox_id, delivered_at__isnull=True)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .update(claimed_until=now + retry_after, attempts=F("attempts") + 1)
    )
    if not claimed:
        return False
    row = SettlementOutbox.objects.select_related("order").get(pk=outbox_id)
    earlier_pending = (
        row.state == PaymentOrder.State.REVERSED
        and SettlementOutbox.objects.filter(order_id=row.order_id, pk__lt=row.pk, delivered_at__isnull=True).exists()
    )
    if earlier_pending:
        # A reversal must not overtake the success it reverses: wait for the earlier row.
        _release(outbox_id, error="", retry_at=now)
        return False
    handler = settlement_handler_for(row.order.purpose)
    if handler is None:
        logger.error("no settlement handler for purpose %s (outbox %s)", row.order.purpose, outbox_id)
        _release(outbox_id, error=f"no settlement handler registered for {row.order.purpose}", retry_at=None)
        return False
    try:
        handler(settled_order_of(row))
    except Exception as exc:
        logger.exception("settlement handler for order %s (%s) failed", row.order_id, row.state)
        _release(outbox_id, error=f"{type(exc).__name__}: {exc}"[:2000], retry_at=None)
        return False
    SettlementOutbox.objects.filter(pk=outbox_id).update(delivered_at=timezone.now(), claimed_until=None, last_error="")
    if row.order.state == PaymentOrder.State.REVERSED and row.state != PaymentOrder.State.REVERSED:
        _deliver_waiting_reversal(order_id=row.order_id, after=row.pk)
    return True


def _deliver_waiting_reversal(*, order_id: int, after: int) -> None:
    """The success is delivered: the reversal that waited for it may go now."""
    from .services._queue import enqueue_delivery

    waiting = SettlementOutbox.objects.filter(order_id=order_id, pk__gt=after, delivered_at__isnull=True)
    for outbox_id in waiting.values_list("pk", flat=True):
        enqueue_delivery(outbox_id)


def _release(outbox_id: int, *, error: str, retry_at: datetime | None) -> None:
    retry_at = retry_at or timezone.now() + timedelta(seconds=conf.outbox_retry_after())
    SettlementOutbox.objects.filter(pk=outbox_id).update(claimed_until=None, next_attempt_at=retry_at, last_error=error)
