"""The only place payment rows are locked. Lock, then re-read and re-check the state before writing."""

from .exceptions import PaymentOrderNotFound
from .models import PaymentCase, PaymentOrder


def order_for_update(order_id: int) -> PaymentOrder:
    try:
        return PaymentOrder.objects.select_for_update(of=("self",)).get(pk=order_id)
    except PaymentOrder.DoesNotExist as exc:
        raise PaymentOrderNotFound(f"no payment order {order_id}", order_id=order_id) from exc


def order_by_serial_for_update(*, channel: str, serial: str) -> PaymentOrder | None:
    return PaymentOrder.objects.select_for_update(of=("self",)).filter(channel=channel, channel_serial=serial).first()


def orders_by_serial_for_update(*, channel: str, serials: list[str]) -> dict[str, PaymentOrder]:
    """Lock in id order (the fixed order every multi-order lock takes, so two runs cannot deadlock)."""
    orders = PaymentOrder.objects.select_for_update(of=("self",)).filter(channel=channel, channel_serial__in=serials)
    return {order.channel_serial: order for order in orders.order_by("pk")}


def case_for_update(case_id: int) -> PaymentCase:
    return PaymentCase.objects.select_for_update(of=("self",)).get(pk=case_id)


def reconciliation_day_lock(*, channel: str, on) -> None:
    """One reconciliation of a (channel, day) at a time: a transaction-scoped advisory lock."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"payments:reconcile:{channel}:{on.isoformat()}"])
