"""The HTTP adapter against the real simulator: codes to S / F / U, timeouts, not-found, signatures."""

import socket
from datetime import date
from decimal import Decimal

import pytest

from payments.channels import ChannelRequest, Outcome
from payments.channels.bank_simulator import BankSimulatorGateway, sign
from payments.exceptions import ChannelUnavailable, MalformedCallback
from tests.payments.conftest import CALLBACK_SECRET


def gateway(simulator=None, *, url=None, timeout=0.3) -> BankSimulatorGateway:
    return BankSimulatorGateway(base_url=url or simulator.url, secret=CALLBACK_SECRET, timeout=timeout)


def request(serial, account="6222000011112222", kind="PAYOUT") -> ChannelRequest:
    return ChannelRequest(
        serial=serial, kind=kind, amount=Decimal("10.00"), account=account, notify_url="http://127.0.0.1:9/cb/"
    )


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_success_and_definite_failure(start_simulator):
    simulator = start_simulator()
    channel = gateway(simulator)

    paid = channel.submit(request("A-1"))
    refused = channel.submit(request("A-2", account="SIM:FAIL:1003"))

    assert (paid.outcome, paid.code) == (Outcome.SUCCESS, "0000")
    assert (refused.outcome, refused.code, refused.message) == (Outcome.FAILURE, "1003", "account frozen")


def test_processing_busy_and_server_errors_are_unknown(start_simulator):
    simulator = start_simulator("--unknown-rate", "1", "--processing-delay", "5")
    channel = gateway(simulator)

    answers = [channel.submit(request(f"A-3-{n}")) for n in range(12)]

    assert {a.outcome for a in answers} == {Outcome.UNKNOWN}
    assert {a.code for a in answers} <= {"2001", "9999", "SYSTEM_ERROR"}


def test_a_timeout_is_unknown_not_a_failure(start_simulator):
    simulator = start_simulator("--timeout-rate", "1", "--timeout-delay", "0.6")
    channel = gateway(simulator)

    answer = channel.submit(request("A-4"))

    assert (answer.outcome, answer.message) == (Outcome.UNKNOWN, "timeout")
    assert channel.query("A-4").outcome == Outcome.SUCCESS


def test_a_serial_the_channel_never_received_is_flagged_not_found(start_simulator):
    simulator = start_simulator()

    answer = gateway(simulator).query("NEVER-SENT")

    assert (answer.outcome, answer.not_found, answer.code) == (Outcome.UNKNOWN, True, "ORDER_NOT_FOUND")


def test_an_unreachable_channel_is_unknown():
    answer = gateway(url=f"http://127.0.0.1:{closed_port()}").submit(request("A-5"))

    assert answer.outcome == Outcome.UNKNOWN
    assert not answer.not_found


def test_a_statement_from_an_unreachable_channel_is_an_error():
    with pytest.raises(ChannelUnavailable):
        gateway(url=f"http://127.0.0.1:{closed_port()}").statement(date(2024, 3, 1))


def test_callbacks_are_verified_over_the_raw_body():
    channel = gateway(url="http://127.0.0.1:9")
    body = b'{"serial":"A-6","status":"SUCCESS","code":"0000","amount":"10.00","settled_at":null}'

    assert channel.verify_callback(body=body, headers={"X-Signature": sign(secret=CALLBACK_SECRET, body=body)})
    assert not channel.verify_callback(
        body=body + b" ", headers={"X-Signature": sign(secret=CALLBACK_SECRET, body=body)}
    )
    assert not channel.verify_callback(body=body, headers={})
    assert channel.parse_callback(body).outcome == Outcome.SUCCESS


def test_an_unsigned_channel_accepts_no_callback():
    channel = BankSimulatorGateway(base_url="http://127.0.0.1:9", secret="", timeout=1)

    assert not channel.verify_callback(body=b"{}", headers={"X-Signature": sign(secret="", body=b"{}")})


@pytest.mark.parametrize(
    "body",
    [b"[]", b'{"status":"SUCCESS"}', b'{"serial":"A","status":"SUCCESS","amount":1.5}', b'{"serial":"A","status":1}'],
)
def test_an_unreadable_callback_is_malformed(body):
    with pytest.raises(MalformedCallback):
        gateway(url="http://127.0.0.1:9").parse_callback(body)
