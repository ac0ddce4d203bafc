"""Payment orders for tests, created through the service (as a caller would)."""

from decimal import Decimal

from payments import services
from payments.models import PaymentOrder

ACCOUNT = "6222000011112222"


def new_payout(key: str = "payout-1", amount: str = "1000.00", **overrides) -> PaymentOrder:
    defaults = {"purpose": "TEST_PAYOUT", "reference": f"contract-{key}"}
    return services.payout_create(**_request(key, amount, {**defaults, **overrides}))


def new_collection(key: str = "collection-1", amount: str = "100.00", **overrides) -> PaymentOrder:
    defaults = {"purpose": "TEST_COLLECTION", "reference": f"installment-{key}"}
    return services.collection_create(**_request(key, amount, {**defaults, **overrides}))


def _request(key: str, amount: str, fields: dict) -> dict:
    return {"idempotency_key": key, "amount": Decimal(amount), "counterparty_account": ACCOUNT, **fields}
