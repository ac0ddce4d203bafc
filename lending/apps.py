from django.apps import AppConfig


class LendingConfig(AppConfig):
    """Origination."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "lending"

    def ready(self) -> None:
        from payments.handlers import register_settlement_handler

        from .handlers import loan_disbursement_settled

        register_settlement_handler("LOAN_DISBURSEMENT", loan_disbursement_settled)
