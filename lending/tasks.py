from celery import shared_task
from django.utils import timezone

from .services import offers_expire


@shared_task(name="lending.tasks.offers_expire", ignore_result=True)
def offers_expire_task() -> int:
    """Approved offers not accepted in time lapse (hourly from beat; see CELERY_BEAT_SCHEDULE)."""
    return offers_expire(now=timezone.now())
