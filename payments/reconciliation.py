"""Reconciliation (对账) as pure functions: read a channel statement, classify every line against our orders.

The decision table of DOMAIN.md §7:

| statement line        | our order                       | class                 |
|-----------------------|---------------------------------|-----------------------|
| success, amount A     | SUCCEEDED, amount A             | matched               |
| success               | none, or FAILED                 | 长款 LONG              |
| none                  | SUCCEEDED                       | 短款 SHORT             |
| success, amount A     | SUCCEEDED, amount B ≠ A         | amount mismatch       |
| failed                | SUCCEEDED                       | status mismatch       |
| success               | still SUBMITTED / PROCESSING    | status mismatch       |

plus the quiet cases: failed / FAILED is matched; a failed line for an order still in flight, or for a
serial we do not know, moved no money on either side — a case, but nothing to suspense.

The suspense amount of a finding is the money the channel moved minus the money we recorded as moved:
positive goes to the long suspense (2902), negative to the short suspense (1901) (DOMAIN.md §8).
"""

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.utils.translation import gettext

from common.errors import DomainError
from common.money import money

from .exceptions import StatementRowInvalid

HEADER = ["serial", "amount", "status", "settled_at"]
LINE_SUCCESS = "SUCCESS"
LINE_FAILED = "FAILED"
ZERO = Decimal("0.00")

MATCHED = "MATCHED"
LONG = "LONG"
SHORT = "SHORT"
AMOUNT_MISMATCH = "AMOUNT_MISMATCH"
STATUS_MISMATCH = "STATUS_MISMATCH"
CLASSES = (MATCHED, LONG, SHORT, AMOUNT_MISMATCH, STATUS_MISMATCH)

MONEY_MOVED_STATES = frozenset({"SUCCEEDED", "REVERSED"})  # a reversal came later; that day the money moved
IN_FLIGHT_STATES = frozenset({"CREATED", "SUBMITTED", "PROCESSING"})


@dataclass(frozen=True)
class StatementLine:
    row: int  # 1-based line number in the file (the header is row 1)
    serial: str
    amount: Decimal
    status: str
    settled_at: datetime


@dataclass(frozen=True)
class OrderView:
    """Our side of one order, as reconciliation needs it."""

    serial: str
    kind: str
    state: str
    amount: Decimal


@dataclass(frozen=True)
class Finding:
    klass: str
    serial: str
    statement: StatementLine | None
    order: OrderView | None
    suspense_side: str  # "LONG", "SHORT" or "" (nothing moved on either side)
    suspense_amount: Decimal


def parse_statement(text: str) -> list[StatementLine]:
    """Every row or nothing: a row that cannot be read refuses the whole statement, naming the row."""
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if [cell.strip() for cell in header or []] != HEADER:
        raise _row_error(1, gettext("the header must be %(header)s") % {"header": ",".join(HEADER)})
    lines: list[StatementLine] = []
    seen: dict[str, int] = {}
    for row_number, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue
        line = _line(row_number, row)
        if line.serial in seen:
            reason = gettext("serial %(serial)s already on row %(first)s")
            raise _row_error(row_number, reason % {"serial": line.serial, "first": seen[line.serial]})
        seen[line.serial] = row_number
        lines.append(line)
    return lines


def _row_error(row_number: int, reason: str, content: str = "") -> StatementRowInvalid:
    message = gettext("row %(row)s: %(reason)s") % {"row": row_number, "reason": reason}
    return StatementRowInvalid(message, row=row_number, content=content[:200])


def _line(row_number: int, row: list[str]) -> StatementLine:
    def refuse(reason: str) -> StatementRowInvalid:
        return _row_error(row_number, reason, ",".join(row))

    if len(row) != len(HEADER):
        raise refuse(
            gettext("expected %(expected)s fields, found %(found)s") % {"expected": len(HEADER), "found": len(row)}
        )
    serial, amount_text, status, settled_text = (cell.strip() for cell in row)
    if not serial or len(serial) > 64:
        raise refuse(gettext("serial must be 1 to 64 characters"))
    try:
        amount = money(amount_text)
    except DomainError as exc:
        raise refuse(exc.message) from exc
    if status not in (LINE_SUCCESS, LINE_FAILED):
        raise refuse(
            gettext("status must be %(success)s or %(failed)s, not %(status)s")
            % {"success": LINE_SUCCESS, "failed": LINE_FAILED, "status": repr(status)}
        )
    try:
        settled_at = datetime.fromisoformat(settled_text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise refuse(gettext("settled_at is not an ISO date-time: %(value)s") % {"value": repr(settled_text)}) from exc
    if settled_at.tzinfo is None:
        raise refuse(gettext("settled_at has no time zone"))
    return StatementLine(row=row_number, serial=serial, amount=amount, status=status, settled_at=settled_at)


def classify(
    *, lines: Sequence[StatementLine], orders: Mapping[str, OrderView], unmatched_successes: Iterable[OrderView]
) -> list[Finding]:
    """Classify every statement line, then every success of ours the statement does not carry (短款).

    `orders` holds our orders for the statement's serials; `unmatched_successes` our successes of the day
    (the caller leaves out those on the statement).
    """
    findings = [_line_finding(line, orders.get(line.serial)) for line in lines]
    on_statement = {line.serial for line in lines}
    for order in unmatched_successes:
        if order.serial not in on_statement:
            findings.append(_finding(SHORT, order.serial, None, order))
    return findings


def _line_finding(line: StatementLine, order: OrderView | None) -> Finding:
    if order is None:
        return _finding(LONG, line.serial, line, None)
    if line.status == LINE_SUCCESS:
        if order.state in MONEY_MOVED_STATES:
            klass = MATCHED if order.amount == line.amount else AMOUNT_MISMATCH
        elif order.state == "FAILED":
            klass = LONG
        else:
            klass = STATUS_MISMATCH
    else:
        klass = MATCHED if order.state == "FAILED" else STATUS_MISMATCH
    return _finding(klass, line.serial, line, order)


def _finding(klass: str, serial: str, line: StatementLine | None, order: OrderView | None) -> Finding:
    channel_moved = line.amount if line is not None and line.status == LINE_SUCCESS else ZERO
    we_moved = order.amount if order is not None and order.state in MONEY_MOVED_STATES else ZERO
    difference = channel_moved - we_moved
    side = "LONG" if difference > 0 else "SHORT" if difference < 0 else ""
    return Finding(
        klass=klass, serial=serial, statement=line, order=order, suspense_side=side, suspense_amount=abs(difference)
    )


def counts(findings: Iterable[Finding]) -> dict[str, int]:
    tally = dict.fromkeys(CLASSES, 0)
    for finding in findings:
        tally[finding.klass] += 1
    return tally


def collections_settled(findings: Iterable[Finding]) -> Decimal:
    """What the channel paid us for the day's collections: every success line of a collection of ours."""
    return sum(
        (
            f.statement.amount
            for f in findings
            if f.statement is not None
            and f.statement.status == LINE_SUCCESS
            and f.order is not None
            and f.order.kind == "COLLECTION"
        ),
        ZERO,
    )


def orders_charged(findings: Iterable[Finding]) -> dict[str, int]:
    """How many settled orders of each kind the channel charges a fee for (success lines of known orders)."""
    charged: dict[str, int] = {}
    for f in findings:
        if f.statement is not None and f.statement.status == LINE_SUCCESS and f.order is not None:
            charged[f.order.kind] = charged.get(f.order.kind, 0) + 1
    return charged
