"""Many collections in one call (close-of-business auto-debit): collection_create's rules, key by key."""

import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.db import connection, transaction

from payments import services
from payments.exceptions import IdempotencyConflict
from payments.models import PaymentOrder, PaymentOrderEvent
from payments.services import CollectionRequest
from tests.payments.factories import ACCOUNT, new_collection

pytestmark = pytest.mark.django_db


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


def request(key: str, amount: str = "100.00", **overrides) -> CollectionRequest:
    fields = {
        "idempotency_key": key,
        "amount": Decimal(amount),
        "counterparty_account": ACCOUNT,
        "purpose": "TEST_COLLECTION",
        "reference": f"installment-{key}",
        **overrides,
    }
    return CollectionRequest(**fields)


def test_each_request_becomes_one_created_collection_in_the_order_given(captured_tasks, committed):
    with committed():
        orders = services.collections_create(requests=[request("c-3", "30.00"), request("c-1", "10.00")])

    assert [(o.idempotency_key, o.amount, o.kind, o.state) for o in orders] == [
        ("c-3", Decimal("30.00"), "COLLECTION", "CREATED"),
        ("c-1", Decimal("10.00"), "COLLECTION", "CREATED"),
    ]
    assert PaymentOrder.objects.count() == 2
    stored = PaymentOrder.objects.get(idempotency_key="c-3")
    assert (stored.counterparty_account, stored.purpose, stored.reference, stored.channel) == (
        ACCOUNT,
        "TEST_COLLECTION",
        "installment-c-3",
        "BANK_SIM",
    )
    assert sorted(PaymentOrderEvent.objects.values_list("order_id", "to_state", "source")) == sorted(
        (o.pk, "CREATED", "CREATE") for o in orders
    )
    assert sorted(captured_tasks["submit"]) == sorted(o.pk for o in orders)


def test_the_fingerprint_is_the_one_collection_create_stores(captured_tasks):
    [batched] = services.collections_create(requests=[request("same-rules")])
    single = new_collection("single-rules", reference="installment-same-rules")

    assert batched.request_fingerprint == single.request_fingerprint


def test_keys_already_used_return_their_orders_and_nothing_is_created_or_enqueued_again(captured_tasks, committed):
    with committed():
        first = new_collection("c-1", "10.00", reference="installment-c-1")
    captured_tasks["submit"].clear()

    with committed():
        orders = services.collections_create(requests=[request("c-1", "10.00"), request("c-2", "20.00")])

    assert orders[0].pk == first.pk
    assert PaymentOrder.objects.count() == 2
    assert PaymentOrderEvent.objects.filter(order=first).count() == 1
    assert captured_tasks["submit"] == [orders[1].pk]
    with committed():
        again = services.collections_create(requests=[request("c-1", "10.00"), request("c-2", "20.00")])
    assert [o.pk for o in again] == [o.pk for o in orders]
    assert captured_tasks["submit"] == [orders[1].pk]


def test_a_used_key_with_another_payload_refuses_the_whole_batch(captured_tasks):
    new_collection("c-1", "10.00", reference="installment-c-1")

    with pytest.raises(IdempotencyConflict) as caught, transaction.atomic():
        services.collections_create(requests=[request("c-2", "20.00"), request("c-1", "10.01")])

    assert caught.value.http_status == 409
    assert list(PaymentOrder.objects.values_list("idempotency_key", flat=True)) == ["c-1"]


def test_a_key_used_by_a_payout_is_a_conflict_for_a_collection(captured_tasks):
    services.payout_create(
        idempotency_key="k",
        amount=Decimal("100.00"),
        counterparty_account=ACCOUNT,
        purpose="TEST_PAYOUT",
        reference="r",
    )

    with pytest.raises(IdempotencyConflict):
        services.collections_create(requests=[request("k", "100.00", purpose="TEST_PAYOUT", reference="r")])


def test_one_key_twice_in_a_batch_is_one_order_or_a_conflict(captured_tasks):
    orders = services.collections_create(requests=[request("twice"), request("twice")])

    assert orders[0].pk == orders[1].pk
    assert PaymentOrder.objects.count() == 1
    with pytest.raises(IdempotencyConflict):
        services.collections_create(requests=[request("other"), request("other", "100.01")])
    assert PaymentOrder.objects.count() == 1


def test_an_empty_batch_creates_nothing(captured_tasks):
    assert services.collections_create(requests=[]) == []
    assert PaymentOrder.objects.count() == 0


def test_nothing_is_enqueued_when_the_callers_transaction_rolls_back(captured_tasks, committed):
    with committed(), transaction.atomic():
        services.collections_create(requests=[request("rolled-back")])
        transaction.set_rollback(True)

    assert captured_tasks["submit"] == []
    assert PaymentOrder.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_concurrent_batches_and_single_calls_with_overlapping_keys_make_one_order_per_key(captured_tasks):
    keys = [f"overlap-{n}" for n in range(20)]
    callers = 8
    start = threading.Barrier(callers)

    def call(caller: int) -> list[int]:
        start.wait()
        try:
            if caller % 4 == 3:  # one call, one transaction, as a borrower's own repayment does
                return [new_collection(key, reference=f"installment-{key}").pk for key in keys[caller::4]]
            # every batch names the keys in another order: inserts in key order cannot deadlock
            shuffled = keys[caller:] + keys[:caller]
            with transaction.atomic():
                return [o.pk for o in services.collections_create(requests=[request(key) for key in shuffled])]
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=callers) as pool:
        answers = list(pool.map(call, range(callers)))

    by_key = dict(PaymentOrder.objects.values_list("idempotency_key", "pk"))
    assert sorted(by_key) == sorted(keys)
    for caller, ids in enumerate(answers):
        named = keys[caller::4] if caller % 4 == 3 else keys[caller:] + keys[:caller]
        assert ids == [by_key[key] for key in named]
    assert PaymentOrderEvent.objects.count() == len(keys)
    assert sorted(captured_tasks["submit"]) == sorted(by_key.values())
