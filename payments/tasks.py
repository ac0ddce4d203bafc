"""Celery tasks of the payment core: each loads ids and calls one service.

The per-order tasks run on the `payments` queue (payments.services._queue enqueues them there); the beat
tasks (sweeps, daily reconciliation) run wherever beat sends them and only enqueue that work.
"""

from datetime import UTC, date, timedelta

from celery import shared_task
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from . import handlers, services
from .channels import channel_names
from .exceptions import ChannelUnavailable

TRANSIENT = (OperationalError, InterfaceError)
RETRY = {"autoretry_for": TRANSIENT, "retry_backoff": True, "max_retries": 5}


@shared_task(name="payments.order_submit", ignore_result=True, **RETRY)
def order_submit_task(*, order_id: int) -> None:
    services.order_submit(order_id=order_id)


@shared_task(name="payments.order_query", ignore_result=True, **RETRY)
def order_query_task(*, order_id: int, attempt: int | None = None) -> None:
    services.order_query(order_id=order_id, attempt=attempt)


@shared_task(name="payments.outbox_deliver", ignore_result=True, **RETRY)
def outbox_deliver_task(*, outbox_id: int) -> None:
    # A handler error leaves the row pending with a due time; the outbox sweep tries it again.
    handlers.outbox_deliver(outbox_id=outbox_id)


@shared_task(name="payments.recovery_sweep", ignore_result=True)
def recovery_sweep_task() -> dict:
    return services.orders_recover()


@shared_task(name="payments.outbox_sweep", ignore_result=True)
def outbox_sweep_task() -> int:
    return services.outbox_redeliver()


@shared_task(
    name="payments.reconcile_channel",
    # The statement may not be ready yet: try again later rather than reconcile half a day.
    autoretry_for=(*TRANSIENT, ChannelUnavailable),
    retry_backoff=300,
    max_retries=6,
)
def reconcile_channel_task(*, channel: str, statement_date: str) -> dict:
    report = services.reconciliation_run(channel=channel, statement_date=date.fromisoformat(statement_date))
    return report.as_dict()


@shared_task(name="payments.reconcile_daily", ignore_result=True)
def reconcile_daily_task() -> None:
    """Yesterday's statements (dated in UTC, as channels date them), one task per channel."""
    yesterday = (timezone.now().astimezone(UTC) - timedelta(days=1)).date()
    for channel in channel_names():
        reconcile_channel_task.apply_async(
            kwargs={"channel": channel, "statement_date": yesterday.isoformat()}, queue="payments"
        )
