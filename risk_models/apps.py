from django.apps import AppConfig


class RiskModelsConfig(AppConfig):
    """Scorecards, fact tables and risk indicators."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "risk_models"
