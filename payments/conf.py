"""The payment core's tunables: a Django setting when the project defines one, else the environment, else a default.

The timeouts and back-off are short in tests (hundreds of milliseconds) and long in production; an
operator sets them as environment variables (docs/operations.md) without touching the settings files.
"""

import os
from decimal import Decimal

from django.conf import settings

DEFAULT_QUERY_BACKOFF = (2.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0)
# What each channel charges per settled order (DOMAIN.md §8: channel fee Dr 6421 / Cr 1002).
DEFAULT_CHANNEL_FEES = {"BANK_SIM": {"PAYOUT": "0.50", "COLLECTION": "0.30"}}


def _value(name: str, default: str) -> str:
    configured = getattr(settings, name, None)
    if configured is not None:
        return str(configured) if not isinstance(configured, list | tuple) else ",".join(map(str, configured))
    return os.environ.get(name, default)


def channel_timeout() -> float:
    """Seconds we wait for a channel's answer; after that the outcome is Unknown and we query."""
    return float(_value("PAYMENTS_CHANNEL_TIMEOUT", "10"))


def query_backoff() -> tuple[float, ...]:
    """Seconds before the n-th query of an order whose outcome is Unknown; the last step repeats."""
    raw = _value("PAYMENTS_QUERY_BACKOFF", "")
    if not raw:
        return DEFAULT_QUERY_BACKOFF
    return tuple(float(step) for step in raw.split(",") if step.strip())


def stale_after() -> float:
    """An order CREATED or SUBMITTED for this long without progress is picked up by the recovery sweep."""
    return float(_value("PAYMENTS_STALE_AFTER", "120"))


def outbox_retry_after() -> float:
    """Seconds before a failed settlement delivery is tried again; also the lease of a claimed outbox row."""
    return float(_value("PAYMENTS_OUTBOX_RETRY_AFTER", "60"))


def callback_base_url() -> str:
    """Where channels reach our callback endpoint (the public URL of the web tier)."""
    return _value("PAYMENTS_CALLBACK_BASE_URL", "http://127.0.0.1:8000").rstrip("/")


def bank_channel_url() -> str:
    return str(getattr(settings, "BANK_CHANNEL_URL", "") or os.environ.get("BANK_CHANNEL_URL", "http://127.0.0.1:8100"))


def callback_secret() -> str:
    return str(getattr(settings, "BANK_CALLBACK_SECRET", "") or os.environ.get("BANK_CALLBACK_SECRET", ""))


def channel_fee(*, channel: str, kind: str) -> Decimal:
    fees = getattr(settings, "PAYMENTS_CHANNEL_FEES", None) or DEFAULT_CHANNEL_FEES
    return Decimal(str(fees.get(channel, {}).get(kind, "0.00")))


def crash_point() -> str:
    """Test hook for crash recovery: the named point kills the process (PAYMENTS_CRASH_POINT)."""
    return os.environ.get("PAYMENTS_CRASH_POINT", "")
