"""Reads of the payment core."""

from django.db.models import Count, QuerySet

from .exceptions import PaymentOrderNotFound
from .models import PaymentCase, PaymentOrder, SettlementOutbox


def order_get(*, order_id: int) -> PaymentOrder:
    try:
        return PaymentOrder.objects.get(pk=order_id)
    except PaymentOrder.DoesNotExist as exc:
        raise PaymentOrderNotFound(f"no payment order {order_id}", order_id=order_id) from exc


def order_by_idempotency_key(*, idempotency_key: str) -> PaymentOrder | None:
    return PaymentOrder.objects.filter(idempotency_key=idempotency_key).first()


def orders_by_reference(*, purpose: str, reference: str) -> QuerySet[PaymentOrder]:
    return PaymentOrder.objects.filter(purpose=purpose, reference=reference).order_by("pk")


def orders_in_flight() -> QuerySet[PaymentOrder]:
    return PaymentOrder.objects.filter(state__in=PaymentOrder.State.in_flight()).order_by("pk")


def order_state_counts(*, channel: str | None = None) -> dict[str, int]:
    orders = PaymentOrder.objects.all() if channel is None else PaymentOrder.objects.filter(channel=channel)
    return {row["state"]: row["n"] for row in orders.values("state").annotate(n=Count("pk")).order_by("state")}


def cases_open(*, channel: str | None = None) -> QuerySet[PaymentCase]:
    cases = PaymentCase.objects.filter(status=PaymentCase.Status.OPEN)
    return (cases if channel is None else cases.filter(channel=channel)).order_by("opened_at", "pk")


def outbox_undelivered() -> QuerySet[SettlementOutbox]:
    return SettlementOutbox.objects.filter(delivered_at__isnull=True).order_by("pk")
