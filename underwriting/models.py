from django.db import models


class DecisionRecord(models.Model):
    """One decision of the engine with everything it was made from: explainable and replayable from this row alone.

    Append-only: an officer's later verdict on a referred application is lending's business (an audit event),
    never an edit of what the engine said.
    """

    class Outcome(models.TextChoices):
        APPROVED = "APPROVED", "approved"
        REJECTED = "REJECTED", "rejected"
        MANUAL_REVIEW = "MANUAL_REVIEW", "manual review"

    application_reference = models.CharField(max_length=32, db_index=True)
    applicant_key = models.CharField(max_length=64)
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    reasons = models.JSONField(default=list)
    facts = models.JSONField()
    score = models.JSONField()
    grade = models.CharField(max_length=1)
    approved_amount = models.DecimalField(max_digits=18, decimal_places=2, null=True, blank=True)
    annual_rate = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    apr = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    debt_to_income = models.DecimalField(max_digits=9, decimal_places=4, null=True, blank=True)
    terms = models.JSONField(null=True, blank=True)
    variant = models.CharField(max_length=16)
    experiment = models.CharField(max_length=64)
    policy_version = models.CharField(max_length=64)
    rule_set = models.CharField(max_length=64)
    scorecard_version = models.CharField(max_length=64)
    engine_version = models.CharField(max_length=32)
    decided_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["decided_at"], name="decision_decided_at_idx")]

    def __str__(self) -> str:
        return f"{self.application_reference}: {self.outcome}"


class BlacklistEntry(models.Model):
    """A person we will not lend to (fraud, court order). Matched on the ID number."""

    id_number = models.CharField(max_length=18, unique=True)
    reason = models.CharField(max_length=200)
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "blacklist entries"

    def __str__(self) -> str:
        return f"{self.id_number[:6]}… ({self.reason})"
