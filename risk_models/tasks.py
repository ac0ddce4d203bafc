"""Celery tasks: each loads its arguments and calls one service."""

from datetime import date

from celery import shared_task
from django.utils import timezone

from . import services


@shared_task(name="risk_models.train_scorecard_job", acks_late=True)
def scorecard_training_job_run_task(job_id: int) -> dict:
    job = services.scorecard_training_job_run(job_id=job_id)
    return {"job": job.pk, "status": job.status, "version": job.version.version if job.version else None}


@shared_task(name="risk_models.scorecard_monitoring_daily")
def scorecard_monitoring_daily(on: str | None = None) -> dict:
    """Nightly. `on` defaults to today's local date: risk_models cannot read servicing's business date
    (it imports nothing of ours), and monitoring windows are calendar days of decisions."""
    day = date.fromisoformat(on) if on else timezone.localdate()
    snapshots = services.scorecard_monitoring_compute(on=day)
    return {"date": day.isoformat(), "versions": [s.version.version for s in snapshots]}
