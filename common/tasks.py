from celery import shared_task
from django.utils import timezone

from .models import Heartbeat


@shared_task(name="common.tasks.beat_heartbeat", ignore_result=True)
def beat_heartbeat() -> None:
    """Sent by beat every minute and run by a worker: /healthz shows that both are alive."""
    Heartbeat.objects.update_or_create(name="beat", defaults={"seen_at": timezone.now()})


@shared_task(name="common.tasks.echo")
def echo(value: str) -> dict:
    """Round trip through the broker and the database, for health checks and the worker test."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT current_database()")
        (database,) = cursor.fetchone()
    return {"echo": value, "database": database}
