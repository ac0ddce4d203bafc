"""The payment core's write side. Durable entry points are called from tasks, views, admin and commands."""

from .callbacks import callback_receive
from .cases import case_resolution_accounts, case_resolve
from .orders import (
    CollectionRequest,
    collection_create,
    collections_create,
    order_query,
    order_reverse,
    order_submit,
    payout_create,
    request_fingerprint,
)
from .reconciliation import ReconciliationReport, reconciliation_run
from .sweeps import orders_query_enqueue, orders_recover, outbox_deliver_enqueue, outbox_redeliver

__all__ = [
    "CollectionRequest",
    "ReconciliationReport",
    "callback_receive",
    "case_resolution_accounts",
    "case_resolve",
    "collection_create",
    "collections_create",
    "order_query",
    "order_reverse",
    "order_submit",
    "orders_query_enqueue",
    "orders_recover",
    "outbox_deliver_enqueue",
    "outbox_redeliver",
    "payout_create",
    "reconciliation_run",
    "request_fingerprint",
]
