"""The bank-channel simulator as a real process: the frozen protocol of CONTRACT.md §5 and its fault flags."""

import hashlib
import hmac
import json
import threading
from contextlib import contextmanager
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from tests.payments.conftest import CALLBACK_SECRET, bank_simulator
from tests.support.processes import wait_until

SETTLEMENT_DAY = date(2024, 3, 1)


@contextmanager
def callback_sink():
    """A tiny HTTP server that keeps every callback it receives (headers and raw body)."""
    received: list[tuple[dict, bytes]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((dict(self.headers), body))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/notify", received
    finally:
        server.shutdown()
        server.server_close()


def payout(simulator, serial, notify_url="http://127.0.0.1:9/notify", amount="100.00", timeout=10.0):
    return simulator.client.post(
        "/payouts",
        json={"serial": serial, "amount": amount, "account": "6222000011112222", "notify_url": notify_url},
        timeout=timeout,
    )


def test_a_serial_sent_twice_moves_money_once(start_simulator):
    simulator = start_simulator()

    first = payout(simulator, "S-1").json()
    second = payout(simulator, "S-1").json()

    assert first == second == {"serial": "S-1", "status": "SUCCESS", "code": "0000", "message": "success"}
    assert [m["serial"] for m in simulator.movements()] == ["S-1"]
    assert simulator.orders()[0]["received_count"] == 2


def test_a_serial_the_bank_never_received_is_order_not_found(start_simulator):
    simulator = start_simulator()

    response = simulator.client.get("/orders/NEVER-SENT")

    assert response.status_code == 404
    assert response.json()["code"] == "ORDER_NOT_FOUND"


def test_a_query_answers_in_the_shape_of_the_submission_answer(start_simulator):
    simulator = start_simulator("--fail-rate", "1", "--seed", "3")
    submitted = payout(simulator, "S-2").json()

    queried = simulator.client.get("/orders/S-2").json()

    assert queried == submitted
    assert queried["status"] == "FAILED"
    assert queried["code"] in {"1001", "1002", "1003"}
    assert simulator.movements() == []


def test_a_malformed_request_is_refused_and_moves_nothing(start_simulator):
    simulator = start_simulator()

    response = payout(simulator, "S-3", amount="12.345")

    assert response.status_code == 400
    assert response.json()["code"] == "INVALID_REQUEST"
    assert simulator.orders() == []


def test_callbacks_are_signed_over_the_raw_body_with_the_shared_secret(start_simulator):
    simulator = start_simulator()
    with callback_sink() as (notify_url, received):
        payout(simulator, "S-4", notify_url=notify_url)
        wait_until(lambda: received, timeout=10, message="callback")

    headers, body = received[0]
    assert headers["X-Signature"] == hmac.new(CALLBACK_SECRET.encode(), body, hashlib.sha256).hexdigest()
    payload = json.loads(body)
    assert payload["serial"] == "S-4"
    assert payload["status"] == "SUCCESS"
    assert payload["code"] == "0000"
    assert payload["amount"] == "100.00"
    assert payload["settled_at"]


def test_duplicate_and_late_callbacks_arrive_twice_and_out_of_order(start_simulator):
    simulator = start_simulator(
        "--duplicate-callback-rate", "1", "--late-callback-rate", "1", "--late-callback-delay", "0.2"
    )
    with callback_sink() as (notify_url, received):
        payout(simulator, "S-5", notify_url=notify_url)
        wait_until(lambda: len(received) >= 3, timeout=10, message="three callbacks")

    statuses = [json.loads(body)["status"] for _, body in received]
    assert statuses == ["SUCCESS", "SUCCESS", "PROCESSING"]


def test_a_timed_out_answer_still_moves_the_money(start_simulator):
    simulator = start_simulator("--timeout-rate", "1", "--timeout-delay", "0.6")

    with pytest.raises(httpx.ReadTimeout):
        payout(simulator, "S-6", timeout=0.2)

    assert simulator.client.get("/orders/S-6").json()["status"] == "SUCCESS"
    assert [m["serial"] for m in simulator.movements()] == ["S-6"]


def test_an_unknown_answer_settles_later(start_simulator):
    simulator = start_simulator("--unknown-rate", "1", "--processing-delay", "0.1", "--seed", "11")

    answer = payout(simulator, "S-7")

    assert answer.status_code == 500 or answer.json()["status"] == "PROCESSING"
    wait_until(
        lambda: simulator.client.get("/orders/S-7").json()["status"] != "PROCESSING", timeout=10, message="settled"
    )


def test_a_lost_request_is_not_found_and_may_be_sent_again_with_the_same_serial(start_simulator):
    simulator = start_simulator("--lost-rate", "1", "--timeout-delay", "0.4")

    with pytest.raises(httpx.TransportError):
        payout(simulator, "S-8", timeout=0.2)
    not_found = simulator.client.get("/orders/S-8")
    resent = payout(simulator, "S-8")

    assert not_found.status_code == 404
    assert resent.json()["status"] == "SUCCESS"
    assert [m["serial"] for m in simulator.movements()] == ["S-8"]


def test_the_statement_lists_the_days_settlements_with_injected_faults(start_simulator):
    simulator = start_simulator("--settlement-date", SETTLEMENT_DAY.isoformat())
    for serial in ("A", "B", "C", "D"):
        payout(simulator, serial)
    simulator.inject_statement_fault(on=SETTLEMENT_DAY, fault="drop", serial="A")
    simulator.inject_statement_fault(on=SETTLEMENT_DAY, fault="amount", serial="B", amount="99.00")
    simulator.inject_statement_fault(on=SETTLEMENT_DAY, fault="status", serial="C", status="FAILED")
    simulator.inject_statement_fault(on=SETTLEMENT_DAY, fault="extra", serial="X", amount="5.00")

    rows = [line.split(",")[:3] for line in simulator.statement(SETTLEMENT_DAY).splitlines()]

    assert rows[0] == ["serial", "amount", "status"]
    assert sorted(rows[1:]) == [
        ["B", "99.00", "SUCCESS"],
        ["C", "100.00", "FAILED"],
        ["D", "100.00", "SUCCESS"],
        ["X", "5.00", "SUCCESS"],
    ]
    assert simulator.statement(date(2024, 3, 2)) == "serial,amount,status,settled_at\n"


@pytest.mark.slow
def test_the_management_command_serves_the_same_protocol(tmp_path):
    with bank_simulator(tmp_path, "--seed", "5", via_manage_py=True) as simulator:
        answer = payout(simulator, "S-10").json()

    assert answer["status"] == "SUCCESS"


def test_the_simulator_keeps_its_books_across_a_restart(tmp_path):
    with bank_simulator(tmp_path) as simulator:
        payout(simulator, "S-9")

    with bank_simulator(tmp_path) as restarted:
        again = payout(restarted, "S-9").json()
        movements = restarted.movements()

    assert again["status"] == "SUCCESS"
    assert [m["serial"] for m in movements] == ["S-9"]
