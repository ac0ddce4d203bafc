"""Celery jobs of the books. The schedule lives in settings (CELERY_BEAT_SCHEDULE)."""

from celery import shared_task

from .services import hot_balances_checkpoint


@shared_task(name="ledger.hot_balances_checkpoint")
def hot_balances_checkpoint_task() -> int:
    """Keep hot-account reads short: fold finished transactions' entries into each checkpoint."""
    return hot_balances_checkpoint()
