"""A test-only app for the worker the payments tests start: settlement handlers that count their deliveries."""

from django.apps import AppConfig

TEST_PURPOSES = ("TEST_PAYOUT", "TEST_COLLECTION")


class RecordingHandlersConfig(AppConfig):
    name = "tests.payments"
    label = "payments_test_recording"

    def ready(self) -> None:
        from payments.handlers import register_settlement_handler

        from .recording import record_delivery

        for purpose in TEST_PURPOSES:
            register_settlement_handler(purpose, record_delivery)
