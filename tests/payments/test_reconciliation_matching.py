"""Reconciliation's pure half: reading a statement and the decision table of DOMAIN.md §7."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from payments import reconciliation as rec
from payments.exceptions import StatementRowInvalid

AT = datetime(2024, 3, 1, 8, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def in_english():
    """The messages asserted below are the English originals (the CLI shows them untranslated)."""
    with translation.override("en"):
        yield


def line(serial, amount="100.00", status="SUCCESS", row=2):
    return rec.StatementLine(row=row, serial=serial, amount=Decimal(amount), status=status, settled_at=AT)


def order(serial, state="SUCCEEDED", amount="100.00", kind="PAYOUT"):
    return rec.OrderView(serial=serial, kind=kind, state=state, amount=Decimal(amount))


@pytest.mark.parametrize(
    ("statement", "ours", "klass", "side", "suspense"),
    [
        (line("A"), order("A"), rec.MATCHED, "", "0.00"),
        (line("A", status="FAILED"), order("A", state="FAILED"), rec.MATCHED, "", "0.00"),
        (line("A"), None, rec.LONG, "LONG", "100.00"),
        (line("A"), order("A", state="FAILED"), rec.LONG, "LONG", "100.00"),
        (line("A", amount="120.00"), order("A"), rec.AMOUNT_MISMATCH, "LONG", "20.00"),
        (line("A", amount="90.00"), order("A"), rec.AMOUNT_MISMATCH, "SHORT", "10.00"),
        (line("A", status="FAILED"), order("A"), rec.STATUS_MISMATCH, "SHORT", "100.00"),
        (line("A"), order("A", state="PROCESSING"), rec.STATUS_MISMATCH, "LONG", "100.00"),
        (line("A"), order("A", state="SUBMITTED"), rec.STATUS_MISMATCH, "LONG", "100.00"),
        (line("A", status="FAILED"), order("A", state="PROCESSING"), rec.STATUS_MISMATCH, "", "0.00"),
        (line("A", status="FAILED"), None, rec.LONG, "", "0.00"),
        (line("A"), order("A", state="REVERSED"), rec.MATCHED, "", "0.00"),
    ],
)
def test_the_decision_table(statement, ours, klass, side, suspense):
    [finding] = rec.classify(lines=[statement], orders={"A": ours} if ours else {}, unmatched_successes=[])

    assert (finding.klass, finding.suspense_side, finding.suspense_amount) == (klass, side, Decimal(suspense))


def test_a_success_of_ours_missing_from_the_statement_is_short():
    findings = rec.classify(
        lines=[line("A")], orders={"A": order("A")}, unmatched_successes=[order("B", amount="7.50")]
    )

    assert [(f.serial, f.klass, f.suspense_side, f.suspense_amount) for f in findings] == [
        ("A", rec.MATCHED, "", Decimal("0.00")),
        ("B", rec.SHORT, "SHORT", Decimal("7.50")),
    ]


def test_collections_settled_count_every_success_line_of_a_collection_of_ours():
    findings = rec.classify(
        lines=[line("C1", "30.00"), line("C2", "45.00", status="FAILED"), line("P1", "10.00"), line("X", "5.00")],
        orders={"C1": order("C1", kind="COLLECTION"), "C2": order("C2", kind="COLLECTION", state="FAILED"),
                "P1": order("P1", amount="10.00")},
        unmatched_successes=[],
    )  # fmt: skip

    assert rec.collections_settled(findings) == Decimal("30.00")
    assert rec.orders_charged(findings) == {"COLLECTION": 1, "PAYOUT": 1}


def test_a_statement_is_read_row_by_row():
    text = (
        "serial,amount,status,settled_at\n"
        "A,100.00,SUCCESS,2024-03-01T08:00:00+00:00\n"
        "\n"
        "B,5.5,FAILED,2024-03-01T09:00:00Z\n"
    )

    lines = rec.parse_statement(text)

    assert [(x.row, x.serial, x.amount, x.status) for x in lines] == [
        (2, "A", Decimal("100.00"), "SUCCESS"),
        (4, "B", Decimal("5.50"), "FAILED"),
    ]


@pytest.mark.parametrize(
    ("bad_row", "reason"),
    [
        ("C,abc,SUCCESS,2024-03-01T08:00:00+00:00", "not a number"),
        ("C,1.001,SUCCESS,2024-03-01T08:00:00+00:00", "more than two decimal places"),
        ("C,-1.00,SUCCESS,2024-03-01T08:00:00+00:00", "must not be negative"),
        ("C,1.00,PAID,2024-03-01T08:00:00+00:00", "status must be"),
        ("C,1.00,SUCCESS,yesterday", "not an ISO date-time"),
        ("C,1.00,SUCCESS,2024-03-01T08:00:00", "no time zone"),
        ("C,1.00,SUCCESS", "expected 4 fields"),
        ("A,1.00,SUCCESS,2024-03-01T08:00:00+00:00", "already on row 2"),
    ],
)
def test_a_broken_row_refuses_the_statement_and_names_the_row(bad_row, reason):
    text = f"serial,amount,status,settled_at\nA,100.00,SUCCESS,2024-03-01T08:00:00+00:00\n{bad_row}\n"

    with pytest.raises(StatementRowInvalid) as caught:
        rec.parse_statement(text)

    assert caught.value.message.startswith("row 3: ")
    assert reason in caught.value.message
    assert caught.value.details["row"] == 3


def test_a_statement_without_its_header_is_refused():
    with pytest.raises(StatementRowInvalid, match="row 1"):
        rec.parse_statement("A,100.00,SUCCESS,2024-03-01T08:00:00+00:00\n")


STATES = ["SUCCEEDED", "FAILED", "PROCESSING", "SUBMITTED", "REVERSED"]
amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999.99"), places=2)


@given(
    st.dictionaries(
        st.text(alphabet="ABCDEFG", min_size=1, max_size=3),
        st.tuples(st.one_of(st.none(), st.tuples(amounts, st.sampled_from(["SUCCESS", "FAILED"]))),
                  st.one_of(st.none(), st.tuples(amounts, st.sampled_from(STATES)))),
        max_size=12,
    )
)  # fmt: skip
def test_every_line_is_classified_and_suspense_is_the_money_difference(cases):
    lines = [line(s, str(a), status) for s, (theirs, _) in cases.items() if theirs for a, status in [theirs]]
    orders = {s: order(s, state, str(a)) for s, (_, ours) in cases.items() if ours for a, state in [ours]}
    on_statement = {x.serial for x in lines}
    shorts = [o for s, o in orders.items() if s not in on_statement and o.state == "SUCCEEDED"]

    findings = rec.classify(lines=lines, orders=orders, unmatched_successes=shorts)

    assert {f.serial for f in findings} == on_statement | {o.serial for o in shorts}
    for f in findings:
        channel_moved = f.statement.amount if f.statement and f.statement.status == "SUCCESS" else Decimal(0)
        we_moved = f.order.amount if f.order and f.order.state in ("SUCCEEDED", "REVERSED") else Decimal(0)
        assert f.suspense_amount == abs(channel_moved - we_moved)
        assert (f.klass == rec.MATCHED) <= (f.suspense_amount == 0)
