from django.apps import AppConfig


class LedgerConfig(AppConfig):
    """Double-entry books."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "ledger"
