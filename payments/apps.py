from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    """Payment core."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "payments"
