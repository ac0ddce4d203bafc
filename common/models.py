from django.db import models


class Heartbeat(models.Model):
    """Last time a named process proved it was alive (beat → worker round trip), shown by /healthz."""

    name = models.CharField(max_length=64, unique=True)
    seen_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} @ {self.seen_at:%Y-%m-%d %H:%M:%S}"
