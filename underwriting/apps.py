from django.apps import AppConfig


class UnderwritingConfig(AppConfig):
    """Decision engine."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "underwriting"
