from django.apps import AppConfig


class CommonConfig(AppConfig):
    """Cross-cutting infrastructure: domain errors, money parsing, the API error handler, idempotent requests."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "common"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the system checks)
