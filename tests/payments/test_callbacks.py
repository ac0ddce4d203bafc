"""Signed channel callbacks at POST /api/v1/payments/callbacks/{channel}/."""

import hashlib
import hmac
import json
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import httpx
import pytest

from ledger.selectors import account_balance
from payments.models import ChannelCallback, PaymentCase, PaymentOrder, PaymentOrderEvent, SettlementOutbox
from payments.services import orders as order_services
from tests.payments.conftest import CALLBACK_SECRET
from tests.payments.factories import new_payout

URL = "/api/v1/payments/callbacks/BANK_SIM/"


def signed(payload: dict, secret: str = CALLBACK_SECRET) -> tuple[bytes, str]:
    body = json.dumps(payload).encode()
    return body, hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def in_flight_payout(key: str = "cb-1", amount: str = "500.00") -> PaymentOrder:
    order = new_payout(key, amount)
    order_services._submission_record(order_id=order.pk)
    order.refresh_from_db()
    return order


def callback(order_or_serial, status="SUCCESS", code="0000", amount="500.00") -> dict:
    serial = order_or_serial if isinstance(order_or_serial, str) else order_or_serial.channel_serial
    settled_at = "2024-03-01T08:00:00+00:00" if status != "PROCESSING" else None
    return {"serial": serial, "status": status, "code": code, "amount": amount, "settled_at": settled_at}


def post(client, payload: dict, *, secret: str = CALLBACK_SECRET, signature: str | None = None):
    body, good_signature = signed(payload, secret)
    headers = {} if signature == "" else {"HTTP_X_SIGNATURE": signature or good_signature}
    return client.post(URL, data=body, content_type="application/json", **headers)


@pytest.mark.django_db
@pytest.mark.parametrize("signature", ["", "deadbeef"], ids=["missing", "wrong"])
def test_a_callback_without_the_right_signature_is_refused_and_changes_nothing(client, captured_tasks, signature):
    order = in_flight_payout()
    events_before = PaymentOrderEvent.objects.count()

    response = post(client, callback(order), signature=signature)

    assert response.status_code == 401
    assert response.json()["code"] == "INVALID_SIGNATURE"
    order.refresh_from_db()
    assert order.state == "SUBMITTED"
    assert PaymentOrderEvent.objects.count() == events_before
    assert not ChannelCallback.objects.exists()
    assert not SettlementOutbox.objects.exists()


@pytest.mark.django_db
def test_a_callback_signed_with_another_secret_is_refused(client, captured_tasks):
    order = in_flight_payout()

    response = post(client, callback(order), secret="someone-else")

    assert response.status_code == 401
    order.refresh_from_db()
    assert order.state == "SUBMITTED"


@pytest.mark.django_db
def test_a_success_callback_finalizes_the_order_with_the_channels_booking_time(client, captured_tasks):
    order = in_flight_payout()

    response = post(client, callback(order))

    assert response.status_code == 200
    assert response.json() == {"code": "OK", "outcome": "APPLIED"}
    order.refresh_from_db()
    assert order.state == "SUCCEEDED"
    assert order.channel_settled_at.isoformat() == "2024-03-01T08:00:00+00:00"
    assert SettlementOutbox.objects.get(order=order).state == "SUCCEEDED"


@pytest.mark.django_db
def test_a_duplicate_callback_is_acknowledged_and_ignored(client, captured_tasks):
    order = in_flight_payout()
    post(client, callback(order))

    response = post(client, callback(order))

    assert response.status_code == 200
    assert response.json()["outcome"] == "DUPLICATE"
    assert PaymentOrderEvent.objects.filter(order=order, to_state="SUCCEEDED").count() == 1
    assert SettlementOutbox.objects.filter(order=order).count() == 1


@pytest.mark.django_db
def test_a_late_processing_callback_after_the_final_one_is_stale(client, captured_tasks):
    order = in_flight_payout()
    post(client, callback(order, status="FAILED", code="1003"))

    response = post(client, callback(order, status="PROCESSING", code="2001"))

    assert response.json()["outcome"] == "STALE"
    order.refresh_from_db()
    assert order.state == "FAILED"


@pytest.mark.django_db
def test_a_failure_callback_returns_the_payout_money(client, captured_tasks):
    order = in_flight_payout(amount="500.00")

    post(client, callback(order, status="FAILED", code="1001"))

    order.refresh_from_db()
    assert (order.state, order.channel_code) == ("FAILED", "1001")
    assert account_balance(account="1012.BANK_SIM") == Decimal("0.00")


@pytest.mark.django_db
def test_a_contrary_callback_for_a_final_order_opens_one_alert_case(client, captured_tasks):
    order = in_flight_payout()
    post(client, callback(order))

    first = post(client, callback(order, status="FAILED", code="1002"))
    second = post(client, callback(order, status="FAILED", code="1002"))

    assert first.json()["outcome"] == second.json()["outcome"] == "CONFLICT"
    order.refresh_from_db()
    assert order.state == "SUCCEEDED"
    case = PaymentCase.objects.get()
    assert (case.kind, case.status, case.order_id) == ("CALLBACK_CONFLICT", "OPEN", order.pk)


@pytest.mark.django_db
def test_a_callback_for_a_serial_we_never_sent_opens_a_case(client):
    response = post(client, callback("NOT-OURS-1"))

    assert response.status_code == 200
    assert response.json()["outcome"] == "UNKNOWN_ORDER"
    assert PaymentCase.objects.get().channel_serial == "NOT-OURS-1"


@pytest.mark.django_db
def test_an_unreadable_callback_with_a_good_signature_is_a_bad_request(client):
    body = b"{not json"
    signature = hmac.new(CALLBACK_SECRET.encode(), body, hashlib.sha256).hexdigest()

    response = client.post(URL, data=body, content_type="application/json", HTTP_X_SIGNATURE=signature)

    assert response.status_code == 400
    assert response.json()["code"] == "MALFORMED_CALLBACK"


@pytest.mark.django_db
def test_a_callback_for_an_unknown_channel_is_not_found(client):
    body, signature = signed(callback("X"))

    response = client.post(
        "/api/v1/payments/callbacks/NO_SUCH_BANK/",
        data=body,
        content_type="application/json",
        HTTP_X_SIGNATURE=signature,
    )

    assert response.status_code == 404


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_copies_of_a_callback_apply_once(live_server, captured_tasks):
    order = in_flight_payout()
    body, signature = signed(callback(order))

    def send(_):
        return httpx.post(
            live_server.url + URL,
            content=body,
            headers={"Content-Type": "application/json", "X-Signature": signature},
            timeout=30,
        )

    with ThreadPoolExecutor(max_workers=20) as pool:
        responses = list(pool.map(send, range(20)))

    assert {r.status_code for r in responses} == {200}
    assert sorted(r.json()["outcome"] for r in responses) == ["APPLIED"] + ["DUPLICATE"] * 19
    assert PaymentOrderEvent.objects.filter(order=order, to_state="SUCCEEDED").count() == 1
    assert SettlementOutbox.objects.filter(order=order).count() == 1
