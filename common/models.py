from django.db import models


class Heartbeat(models.Model):
    """Last time a named process proved it was alive (beat → worker round trip), shown by /healthz."""

    name = models.CharField(max_length=64, unique=True)
    seen_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} @ {self.seen_at:%Y-%m-%d %H:%M:%S}"


class IdempotentRequest(models.Model):
    """One money-moving HTTP request, keyed per user and endpoint (CONTRACT.md §5).

    The unique constraint is what makes a key take effect once: the first request inserts the row IN_PROGRESS,
    every duplicate finds it and either replays the stored response, waits for it, or is refused (other body).
    """

    class State(models.TextChoices):
        IN_PROGRESS = "IN_PROGRESS", "in progress"
        COMPLETED = "COMPLETED", "completed"

    user_id = models.BigIntegerField()
    scope = models.CharField(max_length=100)
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    state = models.CharField(max_length=16, choices=State.choices, default=State.IN_PROGRESS)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    # The JSON text as first sent: text, not jsonb, so that any body (even one with \u0000) replays byte for byte.
    response_body = models.TextField(null=True, blank=True)
    started_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user_id", "scope", "key"], name="idempotent_request_key_per_user_scope"),
            models.CheckConstraint(
                condition=models.Q(state="IN_PROGRESS") | models.Q(response_status__isnull=False),
                name="idempotent_request_completed_has_response",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.scope} {self.key} ({self.state})"
