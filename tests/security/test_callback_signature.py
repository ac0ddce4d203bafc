"""The bank's callbacks are authenticated by an HMAC over the raw body, compared in constant time: the
comparison goes through `hmac.compare_digest`, and no signature anywhere in the payment core is compared
with `==` (which returns at the first differing byte and leaks, by timing, how much of a guess was right)."""

import ast
from pathlib import Path

import pytest

from payments.channels import bank_simulator
from tests.payments.test_callbacks import callback, in_flight_payout, post

ROOT = Path(__file__).resolve().parents[2]
SIGNATURE_WORDS = ("signature", "digest", "hmac", "sign(")


def _equality_on_signatures(source: str) -> list[int]:
    lines = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Compare) and any(isinstance(op, ast.Eq | ast.NotEq) for op in node.ops):
            text = ast.unparse(node).lower()
            if any(word in text for word in SIGNATURE_WORDS):
                lines.append(node.lineno)
    return lines


def test_no_signature_is_compared_with_equality_in_the_payment_core():
    offenders = {
        str(path.relative_to(ROOT)): lines
        for path in (ROOT / "payments").rglob("*.py")
        if (lines := _equality_on_signatures(path.read_text()))
    }

    assert offenders == {}


def test_the_scan_would_catch_an_equality_comparison():
    assert _equality_on_signatures("ok = sign(secret=s, body=b) == provided") == [1]


@pytest.mark.django_db
def test_a_callback_signature_is_checked_with_compare_digest(client, monkeypatch, captured_tasks):
    compared = []
    real = bank_simulator.hmac.compare_digest

    def spy(expected, provided):
        compared.append(provided)
        return real(expected, provided)

    monkeypatch.setattr(bank_simulator.hmac, "compare_digest", spy)
    order = in_flight_payout()

    refused = post(client, callback(order), signature="0" * 64)
    accepted = post(client, callback(order))

    assert refused.status_code in (401, 403)
    assert accepted.status_code == 200
    assert compared[0] == "0" * 64
    assert len(compared) == 2
