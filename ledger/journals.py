"""Journals as values: the lines a caller posts, checked before they reach the database — pure, no ORM.

The database checks again (a deferred trigger refuses any unbalanced journal at commit); this module
refuses early, with a domain error the caller can show, and computes the request fingerprint that makes
an idempotency key safe to replay.
"""

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from common.money import InvalidAmount, money

from .chart import MAX_KEY_LENGTH, account_spec
from .exceptions import InvalidJournal, UnbalancedJournal

ZERO = Decimal("0.00")
MAX_KIND_LENGTH = 40
MAX_REFERENCE_LENGTH = 128
MAX_IDEMPOTENCY_KEY_LENGTH = 128


@dataclass(frozen=True, slots=True)
class JournalLine:
    """One leg: an amount on exactly one side of one account (key "CODE" or "CODE.SUB")."""

    account: str
    debit: Decimal = ZERO
    credit: Decimal = ZERO


@dataclass(frozen=True, slots=True)
class JournalSpec:
    """A journal to post, as `journals_post_batch` takes them."""

    lines: Sequence[JournalLine]
    kind: str
    reference: str
    posted_on: date
    idempotency_key: str | None = None
    memo: str = ""


@dataclass(frozen=True, slots=True)
class CheckedJournal:
    """A journal that passed every check that needs no database; amounts are exact to the fen."""

    kind: str
    reference: str
    posted_on: date
    idempotency_key: str | None
    memo: str
    lines: tuple[tuple[str, Decimal, Decimal], ...]
    fingerprint: str
    total: Decimal


def journal_check(spec: JournalSpec) -> CheckedJournal:
    """Refuse a journal that could never post: fewer than two legs, a bad amount, an unknown account, Σdr ≠ Σcr."""
    _check_header(spec)
    if isinstance(spec.lines, str | bytes):
        raise InvalidJournal("lines must be JournalLine values", reference=spec.reference)
    lines = tuple(_line_check(line, position=i) for i, line in enumerate(spec.lines))
    if len(lines) < 2:
        raise InvalidJournal("a journal needs at least two lines", reference=spec.reference)
    debits = sum((debit for _, debit, _ in lines), ZERO)
    credits = sum((credit for _, _, credit in lines), ZERO)
    if debits != credits:
        raise UnbalancedJournal(debits=debits, credits=credits, reference=spec.reference)
    return CheckedJournal(
        kind=spec.kind,
        reference=spec.reference,
        posted_on=spec.posted_on,
        idempotency_key=spec.idempotency_key,
        memo=spec.memo,
        lines=lines,
        fingerprint=_fingerprint(spec, lines),
        total=debits,
    )


def _check_header(spec: JournalSpec) -> None:
    if not isinstance(spec.kind, str) or not spec.kind or len(spec.kind) > MAX_KIND_LENGTH:
        raise InvalidJournal(f"kind must be 1–{MAX_KIND_LENGTH} characters", kind=spec.kind)
    if not isinstance(spec.reference, str) or len(spec.reference) > MAX_REFERENCE_LENGTH:
        raise InvalidJournal(f"reference must be at most {MAX_REFERENCE_LENGTH} characters", kind=spec.kind)
    # A datetime is a date too; a journal's day must not depend on a time zone.
    if not isinstance(spec.posted_on, date) or isinstance(spec.posted_on, datetime):
        raise InvalidJournal("posted_on must be a date", posted_on=str(spec.posted_on))
    key = spec.idempotency_key
    if key is not None and (not isinstance(key, str) or not key or len(key) > MAX_IDEMPOTENCY_KEY_LENGTH):
        raise InvalidJournal(f"idempotency_key must be 1–{MAX_IDEMPOTENCY_KEY_LENGTH} characters or None")
    if not isinstance(spec.memo, str):
        raise InvalidJournal("memo must be text")


def _line_check(line: JournalLine, *, position: int) -> tuple[str, Decimal, Decimal]:
    if not isinstance(line, JournalLine):
        raise InvalidJournal("journal lines must be JournalLine values", line=position)
    if not isinstance(line.account, str) or len(line.account) > MAX_KEY_LENGTH:
        raise InvalidJournal("account must be an account key", line=position)
    account_spec(line.account)
    try:
        debit = money(line.debit, field="debit", allow_zero=True)
        credit = money(line.credit, field="credit", allow_zero=True)
    except InvalidAmount as exc:
        raise InvalidJournal(exc.message, line=position, account=line.account) from exc
    if (debit > 0) == (credit > 0):
        raise InvalidJournal("a line carries an amount on exactly one side", line=position, account=line.account)
    return line.account, debit, credit


def _fingerprint(spec: JournalSpec, lines: tuple[tuple[str, Decimal, Decimal], ...]) -> str:
    """What a replay under the same idempotency key must repeat (the memo is free text and may differ)."""
    legs = ";".join(f"{account}:{debit}:{credit}" for account, debit, credit in sorted(lines))
    text = f"{spec.kind}|{spec.reference}|{spec.posted_on.isoformat()}|{legs}"
    return hashlib.sha256(text.encode()).hexdigest()
