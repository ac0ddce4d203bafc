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


@shared_task(name="risk_models.indicators_nightly", acks_late=True)
def indicators_nightly(on: str | None = None) -> dict:
    """Nightly after close-of-business: every indicator as of the date the books were last closed for (the
    newest snapshot; risk_models cannot read servicing's business date). A night without a new close
    recomputes the same date, which changes nothing."""
    day = date.fromisoformat(on) if on else services.indicators_latest_date()
    if day is None:
        return {"date": None, "rows": 0}
    run = services.indicators_compute(as_of=day)
    return {"date": day.isoformat(), "rows": run.rows, "seconds": run.seconds}
