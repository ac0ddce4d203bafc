from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RiskModelsConfig(AppConfig):
    """Scorecards, fact tables and risk indicators."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "risk_models"
    verbose_name = _("Risk models")
