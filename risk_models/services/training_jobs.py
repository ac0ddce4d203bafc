"""Training a card from an analyst's upload, on a worker, with progress the page can poll."""

import time
import uuid

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from common.errors import DomainError

from ..exceptions import ScorecardPermissionDenied
from ..models import ScorecardTrainingJob
from ..scorecard.binning import BinningPolicy
from ..scorecard.scaling import Scaling
from ..scorecard.training import TrainingParameters
from .registry import scorecard_train
from .scoring import read_csv

VIEW_PERMISSION = "risk_models.view_analytics"
PROGRESS_INTERVAL = 0.25  # seconds between progress writes: enough for a live bar, few enough writes
Job = ScorecardTrainingJob


def training_parameters(options: dict) -> TrainingParameters:
    """TrainingParameters from plain options (a form, a job row, command flags)."""
    defaults = TrainingParameters()
    return TrainingParameters(
        target=options.get("target") or defaults.target,
        scaling=Scaling(
            pdo=float(options.get("pdo") or defaults.scaling.pdo),
            base_score=float(options.get("base_score") or defaults.scaling.base_score),
            base_odds=float(options.get("base_odds") or defaults.scaling.base_odds),
        ),
        policy=BinningPolicy(),
        seed=int(options["seed"]) if options.get("seed") not in (None, "") else defaults.seed,
        test_size=float(options.get("test_size") or defaults.test_size),
        exclude=tuple(options.get("exclude") or ()),
        categorical=tuple(options.get("categorical") or ()),
    )


def scorecard_training_job_submit(
    *, upload, source_name: str, product_code: str, options: dict, language: str, actor
) -> ScorecardTrainingJob:
    """Store the upload and queue its training; the worker picks it up once this commits."""
    if not actor.has_perm(VIEW_PERMISSION):
        raise ScorecardPermissionDenied(_("You may not train scorecards."))
    training_parameters(options)  # refuse bad options now, not on the worker
    stored = default_storage.save(f"risk_models/uploads/{uuid.uuid4().hex}.csv", upload)
    try:
        with transaction.atomic(durable=True):
            job = Job.objects.create(
                upload=stored,
                source_name=source_name[:255],
                target=options.get("target") or "bad",
                product_code=product_code,
                parameters=options,
                language=language,
                requested_by=actor,
                created_at=timezone.now(),
            )
            transaction.on_commit(lambda: _enqueue(job.pk))
    except BaseException:
        default_storage.delete(stored)
        raise
    return job


def _enqueue(job_id: int) -> None:
    from ..tasks import scorecard_training_job_run_task

    scorecard_training_job_run_task.delay(job_id)


def scorecard_training_job_run(*, job_id: int) -> ScorecardTrainingJob:
    """Train the job's upload. A redelivered job that already finished is left as it is."""
    job = Job.objects.select_related("requested_by").get(pk=job_id)
    if job.status in (Job.Status.SUCCEEDED, Job.Status.FAILED):
        return job
    Job.objects.filter(pk=job_id).update(
        status=Job.Status.RUNNING, started_at=timezone.now(), progress=0.02, error_code="", error_message=""
    )
    with translation.override(job.language or settings.LANGUAGE_CODE):
        reporter = _ProgressReporter(job_id)
        reporter.stage(_("Reading the data"), 0.03)
        try:
            parameters = training_parameters({**job.parameters, "target": job.target})
            frame = read_csv(job.upload.name, text_columns=list(parameters.categorical))
            scorecard_train(
                frame=frame,
                parameters=parameters,
                product_code=job.product_code,
                source_name=job.source_name,
                trained_by=job.requested_by,
                progress=reporter,
                training_job_id=job_id,
            )
        except DomainError as exc:
            Job.objects.filter(pk=job_id).update(
                status=Job.Status.FAILED,
                error_code=exc.code,
                error_message=exc.message,
                stage="",
                finished_at=timezone.now(),
            )
        except ValueError as exc:  # options that passed the form but not the pipeline (e.g. a test share of 2)
            Job.objects.filter(pk=job_id).update(
                status=Job.Status.FAILED,
                error_code="TRAINING_OPTIONS_INVALID",
                error_message=str(exc),
                stage="",
                finished_at=timezone.now(),
            )
    return Job.objects.get(pk=job_id)


class _ProgressReporter:
    """The training pipeline's progress callback: writes the job's bar at most every PROGRESS_INTERVAL."""

    def __init__(self, job_id: int) -> None:
        self.job_id = job_id
        self.written_at = 0.0

    def __call__(self, stage: str, done: int, total: int) -> None:
        fraction = 0.05 + 0.9 * done / max(total, 1)
        now = time.monotonic()
        if now - self.written_at >= PROGRESS_INTERVAL or done >= total:
            self.stage(_stage_label(stage), min(fraction, 0.99))

    def stage(self, label: str, fraction: float) -> None:
        Job.objects.filter(pk=self.job_id, status=Job.Status.RUNNING).update(progress=fraction, stage=label[:200])
        self.written_at = time.monotonic()


def _stage_label(stage: str) -> str:
    step, _space, subject = stage.partition(" ")
    labels = {
        "checking": _("Checking the data"),
        "binning": _("Binning %(characteristic)s") % {"characteristic": subject},
        "selection": _("Selecting characteristics"),
        "regression": _("Fitting the regression"),
        "evaluation": _("Measuring the card"),
        "report": _("Writing the report"),
        "saved": _("Saving the card"),
    }
    return labels.get(step, stage)
