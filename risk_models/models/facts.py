"""Fact tables that the apps above push into through risk_models.services (never directly)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class DecisionFact(models.Model):
    """One row per application decision: what dashboards count and what monitoring compares.

    The latest decision of an application replaces the earlier one (a manual review's final answer
    replaces MANUAL_REVIEW), so counts by outcome are never double.
    """

    class Outcome(models.TextChoices):
        APPROVED = "APPROVED", _("Approved")
        REJECTED = "REJECTED", _("Rejected")
        MANUAL_REVIEW = "MANUAL_REVIEW", _("Manual review")

    application_reference = models.CharField(max_length=64, unique=True)
    decided_at = models.DateTimeField()
    decided_on = models.DateField()
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    product_code = models.CharField(max_length=32)
    channel = models.CharField(max_length=32, blank=True)
    amount = models.DecimalField(max_digits=18, decimal_places=2)  # requested
    approved_amount = models.DecimalField(max_digits=18, decimal_places=2, null=True, blank=True)
    term = models.PositiveSmallIntegerField()
    # Not scored when a hard rule rejected the application first.
    score = models.IntegerField(null=True, blank=True)
    pd = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    grade = models.CharField(max_length=1, blank=True)
    scorecard_version = models.CharField(max_length=32, blank=True)
    variant = models.CharField(max_length=16, blank=True)
    reason_codes = models.JSONField(default=list)
    characteristics = models.JSONField(default=dict)
    # The matured outcome (bad = 1) once known; monitoring's KS and AUC read it.
    matured_bad = models.BooleanField(null=True, blank=True)
    outcome_observed_on = models.DateField(null=True, blank=True)
    recorded_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-decided_at", "-id"]
        indexes = [
            models.Index(fields=["decided_on", "product_code"], name="risk_models_fact_day_product"),
            models.Index(fields=["scorecard_version", "decided_on"], name="risk_models_fact_version_day"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(pd__isnull=True) | models.Q(pd__gte=0, pd__lte=1), name="risk_models_fact_pd_0_1"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.application_reference} {self.outcome}"
