"""Beat sweeps: pick up what the normal path lost track of (a broker outage, a killed worker, a lost timer)."""

from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from .. import conf
from ..models import PaymentOrder, SettlementOutbox
from ._queue import enqueue_delivery, enqueue_query, enqueue_submit

SWEEP_BATCH = 500


def orders_recover() -> dict[str, int]:
    """Submit orders stuck CREATED; query orders stuck SUBMITTED (a crash after recording) or overdue PROCESSING.

    Only enqueues: the tasks re-check everything under a lock, so a sweep racing the normal path is harmless.
    """
    now = timezone.now()
    stale = now - timedelta(seconds=conf.stale_after())
    created = list(
        PaymentOrder.objects.filter(state=PaymentOrder.State.CREATED, created_at__lt=stale)
        .order_by("pk")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    in_flight = list(
        PaymentOrder.objects.filter(
            Q(state=PaymentOrder.State.SUBMITTED, submitted_at__lt=stale)
            | Q(state=PaymentOrder.State.PROCESSING, next_query_at__lt=stale)
            | Q(state=PaymentOrder.State.PROCESSING, next_query_at__isnull=True, updated_at__lt=stale)
        )
        .order_by("pk")
        .values_list("pk", "query_attempts")[:SWEEP_BATCH]
    )
    for order_id in created:
        enqueue_submit(order_id)
    for order_id, attempt in in_flight:
        enqueue_query(order_id, attempt=attempt, delay=0)
    return {"submitted": len(created), "queried": len(in_flight)}


def outbox_redeliver() -> int:
    """Enqueue delivery of outbox rows whose first delivery did not happen or failed and is due again."""
    now = timezone.now()
    grace = now - timedelta(seconds=min(conf.outbox_retry_after(), 30))
    due = list(
        SettlementOutbox.objects.filter(delivered_at__isnull=True, created_at__lt=grace)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .order_by("pk")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    for outbox_id in due:
        enqueue_delivery(outbox_id)
    return len(due)


def orders_query_enqueue(*, order_ids: list[int]) -> int:
    """An operator asks for an immediate query of in-flight orders (admin); final ones are left alone."""
    in_flight = PaymentOrder.objects.filter(pk__in=order_ids, state__in=PaymentOrder.State.in_flight())
    rows = list(in_flight.order_by("pk").values_list("pk", "query_attempts"))
    for order_id, attempt in rows:
        enqueue_query(order_id, attempt=attempt, delay=0)
    return len(rows)


def outbox_deliver_enqueue(*, outbox_ids: list[int]) -> int:
    """An operator retries settlement deliveries now (admin), e.g. after a handler bug was fixed."""
    pending = list(
        SettlementOutbox.objects.filter(pk__in=outbox_ids, delivered_at__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    SettlementOutbox.objects.filter(pk__in=pending).update(next_attempt_at=None)
    for outbox_id in pending:
        enqueue_delivery(outbox_id)
    return len(pending)
