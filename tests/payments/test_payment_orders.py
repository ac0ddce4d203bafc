"""Payment orders against a scripted channel: idempotent creation, record-before-call, S/F/U, query, recovery."""

from decimal import Decimal

import pytest
from django.db import transaction

from ledger.selectors import account_balance, journals_for_reference, trial_balance
from payments import services
from payments.exceptions import IdempotencyConflict, OrderStateConflict
from payments.models import PaymentOrder, PaymentOrderEvent, SettlementOutbox
from payments.services import orders as order_services
from tests.payments.factories import new_collection, new_payout
from tests.payments.fakes import FAILURE, NOT_FOUND, PROCESSING, SUCCESS, TIMEOUT

pytestmark = pytest.mark.django_db


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run the on-commit hooks the code registers, as a real commit would (these tests share one transaction)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def states_of(order: PaymentOrder) -> list[tuple[str, str]]:
    return list(PaymentOrderEvent.objects.filter(order=order).values_list("from_state", "to_state"))


def test_the_same_key_and_payload_returns_the_first_order(captured_tasks, committed):
    with committed():
        first = new_payout()

    with committed():
        again = new_payout()

    assert again.pk == first.pk
    assert PaymentOrder.objects.count() == 1
    assert captured_tasks["submit"] == [first.pk]


def test_the_same_key_with_another_amount_is_a_conflict(captured_tasks):
    new_payout(amount="1000.00")

    with pytest.raises(IdempotencyConflict) as caught:
        new_payout(amount="1000.01")

    assert caught.value.code == "IDEMPOTENCY_KEY_REUSED"
    assert caught.value.http_status == 409
    assert PaymentOrder.objects.count() == 1


def test_submission_is_enqueued_only_when_the_callers_transaction_commits(captured_tasks, committed):
    with committed():
        with transaction.atomic():
            new_payout(key="rolled-back")
            assert captured_tasks["submit"] == []
            transaction.set_rollback(True)
        with transaction.atomic():
            kept = new_payout(key="kept")

    assert captured_tasks["submit"] == [kept.pk]
    assert not PaymentOrder.objects.filter(idempotency_key="rolled-back").exists()


@pytest.mark.django_db(transaction=True)
def test_the_submission_and_its_journal_are_committed_before_the_channel_is_called(captured_tasks, channel):
    order = new_payout(amount="250.00")
    seen = {}

    def look_at_the_database(request):
        # Runs where the HTTP call would be: another transaction must already see the recorded submission.
        row = PaymentOrder.objects.get(pk=order.pk)
        seen.update(state=row.state, serial=row.channel_serial, clearing=account_balance(account="1012.BANK_SIM"))

    channel.before_answer = look_at_the_database

    services.order_submit(order_id=order.pk)

    assert seen == {"state": "SUBMITTED", "serial": channel.submitted[0].serial, "clearing": Decimal("250.00")}
    assert channel.submitted[0].notify_url.endswith("/api/v1/payments/callbacks/BANK_SIM/")


def test_a_success_answer_finalizes_the_order_and_the_worker_delivers_it(captured_tasks, channel, settled_here):
    order = new_payout()

    services.order_submit(order_id=order.pk)

    order.refresh_from_db()
    assert order.state == "SUCCEEDED"
    assert states_of(order) == [("", "CREATED"), ("CREATED", "SUBMITTED"), ("SUBMITTED", "SUCCEEDED")]
    outbox = SettlementOutbox.objects.get(order=order)
    assert (outbox.state, outbox.delivered_at is not None) == ("SUCCEEDED", True)
    assert [(s.order_id, s.state, s.amount) for s in settled_here] == [(order.pk, "SUCCEEDED", Decimal("1000.00"))]
    assert captured_tasks["deliver"] == []


def test_a_failed_payout_returns_the_money_to_our_account(captured_tasks, channel):
    order = new_payout(amount="300.00")
    channel.submit_answers.append(FAILURE)

    services.order_submit(order_id=order.pk)

    order.refresh_from_db()
    assert (order.state, order.channel_code) == ("FAILED", "1002")
    assert account_balance(account="1012.BANK_SIM") == Decimal("0.00")
    assert account_balance(account="1002") == Decimal("0.00")
    kinds = sorted(journals_for_reference(reference=f"payment-order:{order.pk}").values_list("kind", flat=True))
    assert kinds == ["PAYOUT_FAILED", "PAYOUT_SUBMITTED"]
    assert trial_balance().balanced


@pytest.mark.parametrize("answer", [PROCESSING, TIMEOUT], ids=["processing", "timeout"])
def test_an_unknown_answer_leaves_the_order_processing_and_schedules_a_query(
    captured_tasks, channel, answer, settings, committed
):
    settings.PAYMENTS_QUERY_BACKOFF = "0.05,0.1"
    order = new_payout()
    channel.submit_answers.append(answer)

    with committed():
        services.order_submit(order_id=order.pk)

    order.refresh_from_db()
    assert order.state == "PROCESSING"
    assert order.query_attempts == 1
    assert captured_tasks["query"] == [(order.pk, 1, 0.05)]
    assert not SettlementOutbox.objects.exists()


def test_a_query_that_is_still_unknown_backs_off_and_never_fails_the_order(
    captured_tasks, channel, settings, committed
):
    settings.PAYMENTS_QUERY_BACKOFF = "1,2,4"
    order = new_payout()
    channel.submit_answers.append(TIMEOUT)
    channel.query_answers.extend([PROCESSING, TIMEOUT, PROCESSING])

    with committed():
        services.order_submit(order_id=order.pk)
        for attempt in (1, 2, 3):
            services.order_query(order_id=order.pk, attempt=attempt)

    order.refresh_from_db()
    assert order.state == "PROCESSING"
    assert [delay for _, _, delay in captured_tasks["query"]] == [1.0, 2.0, 4.0, 4.0]
    assert channel.submitted == channel.submitted[:1]


def test_an_overtaken_query_task_does_nothing(captured_tasks, channel):
    order = new_payout()
    channel.submit_answers.append(TIMEOUT)
    services.order_submit(order_id=order.pk)

    services.order_query(order_id=order.pk, attempt=0)

    assert channel.queried == []


def test_a_query_success_finalizes_a_processing_order(captured_tasks, channel):
    order = new_payout()
    channel.submit_answers.append(TIMEOUT)
    services.order_submit(order_id=order.pk)
    channel.query_answers.append(SUCCESS)

    services.order_query(order_id=order.pk, attempt=1)

    order.refresh_from_db()
    assert order.state == "SUCCEEDED"
    assert len(channel.submitted) == 1


def test_an_order_found_submitted_after_a_crash_is_queried_not_resubmitted(captured_tasks, channel):
    order = new_payout()
    order_services._submission_record(order_id=order.pk)  # the worker recorded the submission, then died
    channel.query_answers.append(SUCCESS)

    services.order_submit(order_id=order.pk)  # the task runs again

    order.refresh_from_db()
    assert order.state == "SUCCEEDED"
    assert channel.submitted == []
    assert channel.queried == [order.channel_serial]


def test_only_order_not_found_sends_the_same_serial_again(captured_tasks, channel):
    order = new_payout()
    order_services._submission_record(order_id=order.pk)
    order.refresh_from_db()
    channel.query_answers.append(NOT_FOUND)

    services.order_query(order_id=order.pk)

    order.refresh_from_db()
    assert [request.serial for request in channel.submitted] == [order.channel_serial]
    assert order.state == "SUCCEEDED"
    assert states_of(order)[-1] == ("SUBMITTED", "SUCCEEDED")


def test_a_final_order_is_not_queried_again(captured_tasks, channel):
    order = new_payout()
    services.order_submit(order_id=order.pk)

    services.order_query(order_id=order.pk)

    assert channel.queried == []


def test_a_reversed_payout_brings_the_money_back_and_tells_the_handler(captured_tasks, channel):
    order = new_payout(amount="80.00")
    services.order_submit(order_id=order.pk)

    services.order_reverse(order_id=order.pk, reason="returned by the bank: account closed")

    order.refresh_from_db()
    assert order.state == "REVERSED"
    assert list(SettlementOutbox.objects.filter(order=order).values_list("state", flat=True).order_by("pk")) == [
        "SUCCEEDED",
        "REVERSED",
    ]
    assert account_balance(account="1002") == Decimal("0.00")


def test_only_a_succeeded_order_can_be_reversed(captured_tasks, channel):
    order = new_payout()
    channel.submit_answers.append(FAILURE)
    services.order_submit(order_id=order.pk)

    with pytest.raises(OrderStateConflict):
        services.order_reverse(order_id=order.pk, reason="returned")


def test_a_collection_posts_nothing_on_submission(captured_tasks, channel):
    order = new_collection("collect-1", "120.00")

    services.order_submit(order_id=order.pk)

    order.refresh_from_db()
    assert order.state == "SUCCEEDED"
    assert channel.submitted[0].kind == "COLLECTION"
    assert not journals_for_reference(reference=f"payment-order:{order.pk}").exists()
