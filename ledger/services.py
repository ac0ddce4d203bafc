"""The books: post, batch-post and reverse journals; checkpoint hot balances.

Sign conventions
- A journal line puts a positive amount on exactly one side, debit or credit, of one account; a journal
  posts only if its debits equal its credits (checked here, and again by PostgreSQL at commit).
- Every account has a normal side (ledger.chart). Debit-normal accounts increase with a debit and decrease
  with a credit: the assets 1002 bank deposits, 1012 clearing, 1132 / 1134 interest and penalty
  receivable, 1303 loans receivable, 1901 suspense-short, and the expenses 6421 channel fees, 6701
  impairment. Credit-normal accounts increase with a credit and decrease with a debit: the liabilities 2202
  borrower overpayments, 2241 partner payables, 2902 suspense-long, the contra-asset 1304 loan-loss
  allowance, and the income accounts 6011 interest, 6021 fees, 6051 penalty.
- A balance is reported on the account's normal side: positive is the usual state (an asset held, a
  liability owed, income earned); negative means the account runs against its nature, which only an
  account that may go negative can do. Example: a payout submitted, Dr 1012 / Cr 1002 100.00, raises
  clearing by 100.00 and lowers own-funds deposits by 100.00.

Accounts are keyed "CODE" or "CODE.SUB"; a sub-account is created on first use with its chart code's
rules. Postings join the caller's transaction: nothing here opens a durable transaction except the
checkpoint, which is a job of its own.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

import psycopg
from django.db import connection, transaction
from django.utils.translation import gettext as _

from . import locks
from .chart import account_spec
from .exceptions import (
    InsufficientBalance,
    InvalidJournal,
    JournalIdempotencyConflict,
    JournalNotFound,
    JournalNotReversible,
)
from .journals import CheckedJournal, JournalLine, JournalSpec, journal_check
from .models import Entry, Journal

__all__ = [
    "REVERSAL_KIND",
    "JournalLine",
    "JournalSpec",
    "hot_balances_checkpoint",
    "journal_post",
    "journal_reverse",
    "journals_post_batch",
]

REVERSAL_KIND = "REVERSAL"

_POST_SQL = """
SELECT ordinal, journal_id, outcome, fingerprint, created_at, account, balance, change
FROM ledger_post_journals(
    %s::text[], %s::text[], %s::date[], %s::text[], %s::text[], %s::text[], %s::bigint[],
    %s::int[], %s::int[], %s::numeric[], %s::numeric[],
    %s::text[], %s::text[], %s::text[], %s::text[], %s::text[], %s::boolean[], %s::boolean[]
)
"""

# Fold into each hot account's checkpoint the entries of every transaction that has finished: all
# transaction ids below the snapshot's xmin are committed or rolled back, so the sum below them can never
# change again, and no lock on the postings in flight is needed.
_CHECKPOINT_SQL = """
WITH horizon AS MATERIALIZED (SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint AS xid)
UPDATE ledger_account AS a
SET balance = a.balance + coalesce((
        SELECT sum(CASE WHEN a.normal_side = 'DEBIT' THEN e.debit - e.credit ELSE e.credit - e.debit END)
        FROM ledger_entry AS e
        WHERE e.account_id = a.id AND e.transaction_id >= a.checkpoint_xid AND e.transaction_id < h.xid
    ), 0),
    checkpoint_xid = h.xid,
    version = a.version + 1
FROM horizon AS h
WHERE a.is_hot AND a.checkpoint_xid < h.xid
  AND EXISTS (
    SELECT 1 FROM ledger_entry AS e
    WHERE e.account_id = a.id AND e.transaction_id >= a.checkpoint_xid AND e.transaction_id < h.xid
  )
"""

_JOURNAL_FIELDS = [field.attname for field in Journal._meta.concrete_fields]


@dataclass(frozen=True, slots=True)
class _Outcome:
    journal_id: int
    created: bool
    fingerprint: str
    created_at: datetime


def journal_post(
    *,
    lines: Sequence[JournalLine],
    kind: str,
    reference: str,
    posted_on: date,
    idempotency_key: str | None = None,
    memo: str = "",
) -> Journal:
    """Post one balanced journal in the caller's transaction; a known idempotency key returns its journal.

    Raises InvalidJournal / UnbalancedJournal / UnknownAccount before touching the database,
    InsufficientBalance when an account that may not go negative would (nothing is written and the
    caller's transaction stays usable), JournalIdempotencyConflict when the key was used for other lines.
    """
    checked = journal_check(
        JournalSpec(
            lines=lines,
            kind=kind,
            reference=reference,
            posted_on=posted_on,
            idempotency_key=idempotency_key,
            memo=memo,
        )
    )
    [outcome] = _post([checked])
    if outcome.created:
        return _journal_as_posted(checked, outcome, reverses_id=None)
    _same_journal_or_conflict(checked, outcome)
    return Journal.objects.get(pk=outcome.journal_id)


def journals_post_batch(*, journals: Sequence[JournalSpec]) -> list[int]:
    """Post many journals in one round trip (close-of-business, settlement); ids in the order given.

    All or nothing: one refused journal refuses the batch. Journals whose idempotency key is already
    posted return their first id, as journal_post does.
    """
    checked = [journal_check(spec) for spec in journals]
    if not checked:
        return []
    keys = [journal.idempotency_key for journal in checked if journal.idempotency_key is not None]
    if len(keys) != len(set(keys)):
        raise InvalidJournal(_("An idempotency key appears twice in one batch."))
    outcomes = _post(checked)
    for journal, outcome in zip(checked, outcomes, strict=True):
        if not outcome.created:
            _same_journal_or_conflict(journal, outcome)
    return [outcome.journal_id for outcome in outcomes]


def journal_reverse(*, journal_id: int, posted_on: date, reason: str) -> Journal:
    """Post the mirror image of a journal, pointing at it; reversing it again returns the same reversal.

    Entries are never changed: the original stays, and the reversal undoes its effect on every balance.
    A reversal is not itself reversible (post the correction as a new journal).
    """
    if not isinstance(reason, str) or not reason.strip():
        raise InvalidJournal(_("A reversal needs a reason."), journal_id=journal_id)
    original = Journal.objects.filter(pk=journal_id).first()
    if original is None:
        raise JournalNotFound(_("No such journal."), journal_id=journal_id)
    if original.reverses_id is not None:
        raise JournalNotReversible(_("A reversing journal cannot be reversed."), journal_id=journal_id)
    existing = Journal.objects.filter(reverses_id=journal_id).first()
    if existing is not None:
        return existing
    if posted_on < original.posted_on:
        raise InvalidJournal(
            _("A reversal cannot be dated before the journal it reverses."),
            journal_id=journal_id,
            posted_on=original.posted_on,
        )
    legs = Entry.objects.filter(journal_id=journal_id).order_by("id").values_list("account__key", "debit", "credit")
    checked = journal_check(
        JournalSpec(
            lines=[JournalLine(account=key, debit=credit, credit=debit) for key, debit, credit in legs],
            kind=REVERSAL_KIND,
            reference=original.reference,
            posted_on=posted_on,
            idempotency_key=f"ledger:reversal-of:{journal_id}",
            memo=reason,
        )
    )
    [outcome] = _post([checked], reverses=[journal_id])
    if outcome.created:
        return _journal_as_posted(checked, outcome, reverses_id=journal_id)
    return Journal.objects.get(pk=outcome.journal_id)  # a concurrent reversal of the same journal won


@transaction.atomic(durable=True)
def hot_balances_checkpoint() -> int:
    """Move each hot account's checkpoint forward; returns how many accounts moved.

    Reads stay cheap (checkpoint + the entries since) and postings are never blocked: the checkpoint
    locks only the hot account rows, which postings never lock. The horizon is the oldest transaction
    still running on the server, so a transaction left open anywhere holds it back — the balance stays
    right, only less of it is folded until that transaction ends.
    """
    locks.hot_accounts_for_checkpoint()
    with connection.cursor() as cursor:
        cursor.execute(_CHECKPOINT_SQL)
        return cursor.rowcount


def _post(journals: Sequence[CheckedJournal], *, reverses: Sequence[int | None] | None = None) -> list[_Outcome]:
    account_index: dict[str, int] = {}
    line_journal: list[int] = []
    line_account: list[int] = []
    line_debit: list = []
    line_credit: list = []
    for ordinal, journal in enumerate(journals, start=1):
        for account, debit, credit in journal.lines:
            line_journal.append(ordinal)
            line_account.append(account_index.setdefault(account, len(account_index) + 1))
            line_debit.append(debit)
            line_credit.append(credit)
    specs = [account_spec(account) for account in account_index]
    params = [
        _text_array([journal.kind for journal in journals]),
        _text_array([journal.reference for journal in journals]),
        _plain_array([journal.posted_on for journal in journals]),
        _text_array([journal.idempotency_key for journal in journals]),
        _text_array([journal.memo for journal in journals]),
        _plain_array([journal.fingerprint for journal in journals]),
        _plain_array(reverses if reverses is not None else [None] * len(journals)),
        _plain_array(line_journal),
        _plain_array(line_account),
        _plain_array(line_debit),
        _plain_array(line_credit),
        _text_array([spec.key for spec in specs]),
        _plain_array([spec.code for spec in specs]),
        _text_array([spec.sub for spec in specs]),
        _text_array([spec.name for spec in specs]),
        _plain_array([spec.normal_side.value for spec in specs]),
        _plain_array([spec.may_go_negative for spec in specs]),
        _plain_array([spec.is_hot for spec in specs]),
    ]
    rows = _execute_bound(_POST_SQL, params)
    if rows and rows[0][2] == "REFUSED":
        ordinal, _id, _outcome, _fingerprint, _at, account, balance, change = rows[0]
        raise InsufficientBalance(
            account=account, balance=balance, change=change, reference=journals[ordinal - 1].reference
        )
    return [
        _Outcome(journal_id=journal_id, created=outcome == "POSTED", fingerprint=fingerprint, created_at=created_at)
        for _ordinal, journal_id, outcome, fingerprint, created_at, *_refusal in rows
    ]


def _text_array(values: Sequence[str | None]) -> str:
    """A PostgreSQL array literal of text, every element quoted (references and memos are free text)."""
    return "{" + ",".join("NULL" if value is None else _quoted(value) for value in values) + "}"


def _quoted(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def _plain_array(values: Sequence) -> str:
    """A PostgreSQL array literal of values whose text form needs no quoting: numbers, dates, booleans, hex."""
    return "{" + ",".join("NULL" if value is None else str(value) for value in values) + "}"


def _execute_bound(sql: str, params: list) -> list[tuple]:
    """Run one statement with server-side parameter binding on Django's connection, in its transaction.

    The arrays travel as array literals in text parameters: adapting Python lists element by element
    (Django's client-side binding, or psycopg's list dumpers) costs more CPU than the posting itself.
    psycopg's own cursor binds them server-side, and the statement is prepared once per connection
    (Django leaves automatic preparation off). The cursor is kept with the connection it belongs to:
    opening one per posting cost ~20 µs of the ~200 µs a posting spends in Python.
    """
    connection.ensure_connection()
    connection.validate_no_broken_transaction()
    with connection.wrap_database_errors:
        cursor = _bound_cursor()
        cursor.execute(sql, params, prepare=True)
        return cursor.fetchall()


def _bound_cursor() -> psycopg.Cursor:
    """The posting cursor of this thread's connection (a reconnect gets a new one)."""
    raw = connection.connection
    kept = getattr(connection, "_ledger_bound_cursor", None)
    if kept is None or kept.connection is not raw or kept.closed:
        kept = connection._ledger_bound_cursor = psycopg.Cursor(raw)
    return kept


def _same_journal_or_conflict(journal: CheckedJournal, outcome: _Outcome) -> None:
    if outcome.fingerprint != journal.fingerprint:
        raise JournalIdempotencyConflict(idempotency_key=journal.idempotency_key, journal_id=outcome.journal_id)


def _journal_as_posted(journal: CheckedJournal, outcome: _Outcome, *, reverses_id: int | None) -> Journal:
    """The row just written, built from what was sent rather than read back (one round trip less)."""
    values = {
        "id": outcome.journal_id,
        "kind": journal.kind,
        "reference": journal.reference,
        "posted_on": journal.posted_on,
        "idempotency_key": journal.idempotency_key,
        "fingerprint": journal.fingerprint,
        "memo": journal.memo,
        "reverses_id": reverses_id,
        "created_at": outcome.created_at,
    }
    return Journal.from_db(connection.alias, _JOURNAL_FIELDS, [values[name] for name in _JOURNAL_FIELDS])
