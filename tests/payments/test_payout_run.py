"""A thousand payouts through a faulty channel with a real worker: every order final, nothing paid twice."""

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.db import connection

from ledger.selectors import account_balance, balance_mismatches, trial_balance
from payments.models import ChannelCallback, PaymentOrder, PaymentOrderEvent, SettlementOutbox
from tests.payments.conftest import payments_worker
from tests.payments.factories import new_payout
from tests.payments.recording import deliveries
from tests.support.processes import wait_until

PAYOUTS = 1000
FINAL = ("SUCCEEDED", "FAILED")


CALLERS = 8


def amount_of(number: int) -> Decimal:
    return Decimal(100 + number % 900) + Decimal(number % 100) / 100


def create_payouts(caller: int) -> None:
    """One of several concurrent callers (as the API's request threads would be)."""
    try:
        for number in range(caller, PAYOUTS, CALLERS):
            new_payout(f"run-{number}", str(amount_of(number)), counterparty_account=f"62220000{number:08d}")
    finally:
        connection.close()


@pytest.mark.worker
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_thousand_payouts_through_a_faulty_channel_end_final_and_paid_exactly_once(
    start_simulator, channel_settings, redis_client
):
    simulator = start_simulator(
        "--seed", "20240301",
        "--fail-rate", "0.1",
        "--unknown-rate", "0.1",
        "--timeout-rate", "0.1",
        "--duplicate-callback-rate", "0.2",
        "--late-callback-rate", "0.1",
        "--timeout-delay", "0.6",
        "--processing-delay", "0.3",
        "--late-callback-delay", "0.8",
    )  # fmt: skip
    channel_env = channel_settings(simulator)

    with payments_worker(channel_env, concurrency=8):
        with ThreadPoolExecutor(max_workers=CALLERS) as pool:
            list(pool.map(create_payouts, range(CALLERS)))
        wait_until(
            lambda: PaymentOrder.objects.filter(state__in=FINAL).count() == PAYOUTS,
            timeout=120,
            interval=0.25,
            message="every order final",
        )
        wait_until(
            lambda: not SettlementOutbox.objects.filter(delivered_at__isnull=True).exists(),
            timeout=60,
            interval=0.25,
            message="every settlement delivered",
        )

    ours = dict(PaymentOrder.objects.values_list("channel_serial", "state"))
    theirs = {o["serial"]: o["status"] for o in simulator.orders()}
    paid = [m["serial"] for m in simulator.movements() if m["kind"] == "PAYOUT"]
    succeeded = {serial for serial, state in ours.items() if state == "SUCCEEDED"}
    # every order final, and the bank agrees with each one
    assert len(ours) == PAYOUTS
    assert set(ours.values()) <= set(FINAL)
    assert {serial: "SUCCESS" if state == "SUCCEEDED" else "FAILED" for serial, state in ours.items()} == theirs
    # the simulator's paid serials are our SUCCEEDED orders one for one, and nothing was paid twice
    assert set(paid) == succeeded
    assert len(paid) == len(set(paid))
    # the books: balanced, every balance the sum of its entries, clearing holds exactly what was paid out
    assert trial_balance().balanced
    assert balance_mismatches() == []
    paid_out = sum(PaymentOrder.objects.filter(state="SUCCEEDED").values_list("amount", flat=True), Decimal("0"))
    assert account_balance(account="1012.BANK_SIM") == paid_out
    assert account_balance(account="1002") == -paid_out
    # each final state reached its settlement handler exactly once
    delivered = deliveries(redis_client)
    assert len(delivered) == PAYOUTS
    assert set(delivered.values()) == {1}
    # and the faults really happened
    callbacks = Counter(ChannelCallback.objects.values_list("outcome", flat=True))
    assert callbacks["DUPLICATE"] > 0
    assert callbacks["STALE"] > 0
    assert PaymentOrderEvent.objects.filter(to_state="PROCESSING").exists()
    assert 50 < len(ours) - len(succeeded) < 200
