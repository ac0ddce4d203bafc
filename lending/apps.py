from django.apps import AppConfig


class LendingConfig(AppConfig):
    """Origination."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "lending"
