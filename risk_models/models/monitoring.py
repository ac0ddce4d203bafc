"""Daily model-monitoring figures per scorecard version (DOMAIN.md §9), read by the dashboards."""

from django.db import models

from .scorecards import ScorecardVersion


class ScorecardMonitoringSnapshot(models.Model):
    version = models.ForeignKey(ScorecardVersion, on_delete=models.CASCADE, related_name="monitoring")
    computed_on = models.DateField()
    window_start = models.DateField()
    window_end = models.DateField()
    applications = models.PositiveIntegerField()  # scored decisions in the window
    score_psi = models.FloatField(null=True, blank=True)
    psi_status = models.CharField(max_length=8)  # STABLE | WATCH | ACT | UNKNOWN
    csi = models.JSONField(default=dict)  # {characteristic: CSI}
    max_csi = models.FloatField(null=True, blank=True)
    matured = models.PositiveIntegerField(default=0)  # decisions with a known outcome
    matured_bads = models.PositiveIntegerField(default=0)
    ks = models.FloatField(null=True, blank=True)
    auc = models.FloatField(null=True, blank=True)
    computed_at = models.DateTimeField()

    class Meta:
        ordering = ["-computed_on", "version"]
        constraints = [
            models.UniqueConstraint(fields=["version", "computed_on"], name="risk_models_monitoring_once_per_day"),
        ]

    def __str__(self) -> str:
        return f"{self.version.version} {self.computed_on} PSI {self.score_psi}"
