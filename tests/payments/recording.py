"""The recording settlement handler: how many times each (order, state) was delivered, counted in Redis."""

import redis
from django.conf import settings

from payments.handlers import SettledOrder

RECORDING_KEY = "payments-tests:deliveries"


def record_delivery(order: SettledOrder) -> None:
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    client.hincrby(RECORDING_KEY, f"{order.order_id}:{order.state}", 1)


def deliveries(client: redis.Redis) -> dict[str, int]:
    return {key.decode(): int(value) for key, value in client.hgetall(RECORDING_KEY).items()}


SETTLED_HERE: list[SettledOrder] = []


def remember(order: SettledOrder) -> None:
    """The in-process handler of the unit tests: keeps what it was given."""
    SETTLED_HERE.append(order)
