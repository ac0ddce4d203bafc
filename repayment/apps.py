from django.apps import AppConfig


class RepaymentConfig(AppConfig):
    """Loan servicing."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "repayment"
