"""The scorecard registry: versions, their binning and points tables as rows, the audit trail, training jobs."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class ScorecardVersion(models.Model):
    """One trained card. At most one ACTIVE per product; CHALLENGERs take a share of traffic."""

    class Status(models.TextChoices):
        CANDIDATE = "CANDIDATE", _("Candidate")
        ACTIVE = "ACTIVE", _("Active")
        CHALLENGER = "CHALLENGER", _("Challenger")
        RETIRED = "RETIRED", _("Retired")

    version = models.CharField(max_length=32, unique=True)
    # "" = the card for every product that has no card of its own (the platform's default A-card).
    product_code = models.CharField(max_length=32, blank=True, default="")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.CANDIDATE)
    traffic_share = models.DecimalField(max_digits=5, decimal_places=4, default=0)

    target = models.CharField(max_length=128)
    source_name = models.CharField(max_length=255, blank=True)
    seed = models.IntegerField()
    training_sha256 = models.CharField(max_length=64)
    library_versions = models.JSONField(default=dict)
    parameters = models.JSONField(default=dict)

    # Scaling and regression: with the bins below they are the whole card.
    pdo = models.FloatField()
    base_score = models.FloatField()
    base_odds = models.FloatField()
    intercept = models.FloatField()
    grade_pd_bounds = models.JSONField(default=list)

    train_auc = models.FloatField()
    train_ks = models.FloatField()
    test_auc = models.FloatField(null=True, blank=True)
    test_ks = models.FloatField(null=True, blank=True)
    gini = models.FloatField()
    psi_vs_active = models.FloatField(null=True, blank=True)
    psi_vs_active_version = models.CharField(max_length=32, blank=True)
    metrics = models.JSONField(default=dict)
    baseline = models.JSONField(default=dict)  # training score deciles and bin shares, for monitoring
    training_seconds = models.FloatField(default=0)

    artefact = models.FileField(max_length=255, blank=True)  # skops file: the card and its estimator
    report = models.FileField(max_length=255, blank=True)  # self-contained HTML

    trained_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    trained_at = models.DateTimeField()
    activated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    activated_at = models.DateTimeField(null=True, blank=True)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-trained_at", "-id"]
        permissions = [
            ("activate_scorecard", "Can activate a scorecard"),
            ("view_analytics", "Can view the analytics pages"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["product_code"],
                condition=Q(status="ACTIVE"),
                name="risk_models_one_active_scorecard_per_product",
            ),
            models.CheckConstraint(
                condition=Q(traffic_share__gte=0, traffic_share__lte=1),
                name="risk_models_traffic_share_is_a_fraction",
            ),
            models.CheckConstraint(
                condition=(
                    Q(status="CHALLENGER", traffic_share__gt=0) | (~Q(status="CHALLENGER") & Q(traffic_share=0))
                ),
                name="risk_models_only_challengers_take_traffic",
            ),
        ]
        indexes = [models.Index(fields=["status", "product_code"], name="risk_models_scorecard_routing")]

    def __str__(self) -> str:
        return f"{self.version} ({self.get_status_display()})"


class ScorecardCharacteristic(models.Model):
    """A characteristic considered in training: on the card (SELECTED) or dropped, with the reason."""

    class Status(models.TextChoices):
        SELECTED = "SELECTED", _("On the card")
        DROPPED_LOW_IV = "DROPPED_LOW_IV", _("Dropped: IV below threshold")
        DROPPED_CORRELATED = "DROPPED_CORRELATED", _("Dropped: correlated")
        DROPPED_NEGATIVE_COEFFICIENT = "DROPPED_NEGATIVE_COEFFICIENT", _("Dropped: negative coefficient")

    version = models.ForeignKey(ScorecardVersion, on_delete=models.CASCADE, related_name="characteristics")
    position = models.PositiveSmallIntegerField()  # order on the card (selected first), then by IV
    name = models.CharField(max_length=128)
    kind = models.CharField(max_length=16)  # numeric | categorical
    status = models.CharField(max_length=32, choices=Status.choices)
    flag = models.CharField(max_length=32, blank=True)  # SUSPECT_LEAKAGE when IV > 0.5
    iv = models.FloatField()
    missing_share = models.FloatField()
    coefficient = models.FloatField(null=True, blank=True)
    correlated_with = models.CharField(max_length=128, blank=True)
    correlation = models.FloatField(null=True, blank=True)
    trend = models.CharField(max_length=16)
    trend_iv = models.JSONField(default=dict)
    cuts = models.JSONField(default=list)  # numeric: inner edges between consecutive bins
    reason_code = models.CharField(max_length=140)

    class Meta:
        ordering = ["version", "position"]
        constraints = [
            models.UniqueConstraint(fields=["version", "name"], name="risk_models_characteristic_once_per_version"),
        ]

    def __str__(self) -> str:
        return f"{self.version.version}: {self.name}"


class ScorecardBin(models.Model):
    """One row of the binning and points table."""

    characteristic = models.ForeignKey(ScorecardCharacteristic, on_delete=models.CASCADE, related_name="bins")
    position = models.PositiveSmallIntegerField()
    label = models.CharField(max_length=1000)
    lower = models.FloatField(null=True, blank=True)
    upper = models.FloatField(null=True, blank=True)
    categories = models.JSONField(default=list)
    is_missing = models.BooleanField(default=False)
    neutral = models.BooleanField(default=False)
    count = models.PositiveIntegerField()
    bads = models.PositiveIntegerField()
    woe = models.FloatField()
    iv = models.FloatField()
    points = models.IntegerField(null=True, blank=True)  # null for a characteristic not on the card

    class Meta:
        ordering = ["characteristic", "position"]
        constraints = [
            models.UniqueConstraint(fields=["characteristic", "position"], name="risk_models_bin_position_unique"),
        ]

    def __str__(self) -> str:
        return self.label


class ScorecardEvent(models.Model):
    """Append-only audit of the registry: who trained, activated, challenged or retired what, and when."""

    class Action(models.TextChoices):
        TRAINED = "TRAINED", _("Trained")
        ACTIVATED = "ACTIVATED", _("Activated")
        RETIRED = "RETIRED", _("Retired")
        CHALLENGER_SET = "CHALLENGER_SET", _("Set as challenger")

    version = models.ForeignKey(ScorecardVersion, on_delete=models.PROTECT, related_name="events")
    action = models.CharField(max_length=16, choices=Action.choices)
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16)
    traffic_share = models.DecimalField(max_digits=5, decimal_places=4, default=0)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    at = models.DateTimeField()
    details = models.JSONField(default=dict)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.version.version} {self.action} @ {self.at:%Y-%m-%d %H:%M:%S}"


class ScorecardTrainingJob(models.Model):
    """An analyst's upload being trained by a worker; the page polls its progress."""

    class Status(models.TextChoices):
        QUEUED = "QUEUED", _("Queued")
        RUNNING = "RUNNING", _("Running")
        SUCCEEDED = "SUCCEEDED", _("Succeeded")
        FAILED = "FAILED", _("Failed")

    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    progress = models.FloatField(default=0)
    stage = models.CharField(max_length=200, blank=True)
    upload = models.FileField(max_length=255)
    source_name = models.CharField(max_length=255)
    target = models.CharField(max_length=128)
    product_code = models.CharField(max_length=32, blank=True, default="")
    parameters = models.JSONField(default=dict)
    language = models.CharField(max_length=16, blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error_code = models.CharField(max_length=64, blank=True)
    error_message = models.TextField(blank=True)
    version = models.ForeignKey(ScorecardVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(progress__gte=0, progress__lte=1), name="risk_models_job_progress_0_1"),
        ]

    def __str__(self) -> str:
        return f"training job {self.pk} ({self.status})"
