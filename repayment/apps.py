from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RepaymentConfig(AppConfig):
    """Loan servicing."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "repayment"
    verbose_name = _("Loan servicing")

    def ready(self) -> None:
        from payments.handlers import register_settlement_handler

        from .handlers import HANDLERS

        for purpose, handler in HANDLERS.items():
            register_settlement_handler(purpose, handler)
