"""/healthz: what operations poll — the database, the broker, the business date and the last beat."""

from django.db import connection
from django.http import JsonResponse
from django.views.decorators.http import require_GET

from common.models import Heartbeat
from repayment.selectors import business_date_current

from .celery import app as celery_app


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:
        return False


def _broker_ok() -> bool:
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return True
    except Exception:
        return False


@require_GET
def healthz(request):
    database = _database_ok()
    broker = _broker_ok()
    business_date = business_date_current() if database else None
    beat = Heartbeat.objects.filter(name="beat").values_list("seen_at", flat=True).first() if database else None
    body = {
        "status": "ok" if database and broker else "degraded",
        "database": "ok" if database else "down",
        "broker": "ok" if broker else "down",
        "business_date": business_date.isoformat() if business_date else None,
        "beat_seen_at": beat.isoformat() if beat else None,
    }
    return JsonResponse(body, status=200 if database and broker else 503)
