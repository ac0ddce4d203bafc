"""Reads of the books: balances (cached or derived), the trial balance, and the invariant checks."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import connection
from django.db.models import QuerySet

from .chart import Side, account_spec
from .models import Journal

ZERO = Decimal("0.00")

# Normal-side balance: a cold account's cached balance; a hot account's checkpoint plus the entries of
# transactions at or after its checkpoint horizon (one statement, so one snapshot).
_BALANCE_SQL = """
SELECT coalesce(sum(a.balance + CASE WHEN a.is_hot THEN coalesce((
           SELECT sum(CASE WHEN a.normal_side = 'DEBIT' THEN e.debit - e.credit ELSE e.credit - e.debit END)
           FROM ledger_entry AS e
           WHERE e.account_id = a.id AND e.transaction_id >= a.checkpoint_xid), 0) ELSE 0 END), 0)
FROM ledger_account AS a
WHERE {where}
"""


@dataclass(frozen=True, slots=True)
class AccountTotals:
    account: str
    normal_side: str
    debits: Decimal
    credits: Decimal

    @property
    def balance(self) -> Decimal:
        return self.debits - self.credits if self.normal_side == Side.DEBIT else self.credits - self.debits


@dataclass(frozen=True, slots=True)
class TrialBalance:
    as_of: date | None
    debits: Decimal
    credits: Decimal
    accounts: tuple[AccountTotals, ...]

    @property
    def balanced(self) -> bool:
        return self.debits == self.credits

    def as_dict(self) -> dict:
        """The `trial_balance` command's JSON (CONTRACT.md §4): amounts as strings."""
        return {
            "debits": str(self.debits),
            "credits": str(self.credits),
            "balanced": self.balanced,
            "accounts": {
                totals.account: {
                    "normal_side": totals.normal_side,
                    "debits": str(totals.debits),
                    "credits": str(totals.credits),
                    "balance": str(totals.balance),
                }
                for totals in self.accounts
            },
        }


@dataclass(frozen=True, slots=True)
class BalanceMismatch:
    """An account whose recorded balance is not the sum of its entries (must never exist)."""

    account: str
    is_hot: bool
    recorded: Decimal
    entries_total: Decimal
    checkpoint_balance: Decimal
    entries_before_checkpoint: Decimal


def account_balance(*, account: str, include_sub_accounts: bool = False) -> Decimal:
    """Normal-side balance of one account key; with include_sub_accounts, a chart code with all its subs."""
    spec = account_spec(account)
    if include_sub_accounts and not spec.sub:
        where, params = "a.code = %s", [spec.code]
    else:
        where, params = "a.key = %s", [account]
    with connection.cursor() as cursor:
        cursor.execute(_BALANCE_SQL.format(where=where), params)
        return cursor.fetchone()[0].quantize(ZERO)


def trial_balance(*, as_of: date | None = None) -> TrialBalance:
    """Σ debits and Σ credits of every entry (of journals posted on or before `as_of`), per account."""
    sql = """
        SELECT a.key, a.normal_side, sum(e.debit), sum(e.credit)
        FROM ledger_entry AS e JOIN ledger_account AS a ON a.id = e.account_id
        {join}
        GROUP BY a.key, a.normal_side
        ORDER BY a.key
    """
    join, params = ("JOIN ledger_journal AS j ON j.id = e.journal_id WHERE j.posted_on <= %s", [as_of])
    if as_of is None:
        join, params = "", []
    with connection.cursor() as cursor:
        cursor.execute(sql.format(join=join), params)
        accounts = tuple(
            AccountTotals(account=key, normal_side=side, debits=debits, credits=credits)
            for key, side, debits, credits in cursor.fetchall()
        )
    return TrialBalance(
        as_of=as_of,
        debits=sum((totals.debits for totals in accounts), ZERO),
        credits=sum((totals.credits for totals in accounts), ZERO),
        accounts=accounts,
    )


def balance_mismatches() -> list[BalanceMismatch]:
    """Invariant 3 (DOMAIN.md §10) for both kinds of account: every cached balance, and every hot
    account's checkpoint and derived balance, equals the sum of its entries. Empty when the books hold."""
    sql = """
        SELECT a.key, a.is_hot, a.normal_side, a.balance,
               coalesce(sum(e.debit - e.credit), 0),
               coalesce(sum(e.debit - e.credit) FILTER (WHERE e.transaction_id >= a.checkpoint_xid), 0)
        FROM ledger_account AS a LEFT JOIN ledger_entry AS e ON e.account_id = a.id
        GROUP BY a.id
        ORDER BY a.key
    """
    with connection.cursor() as cursor:
        cursor.execute(sql)
        rows = cursor.fetchall()
    mismatches = []
    for key, is_hot, side, balance, net_all, net_since_checkpoint in rows:
        sign = 1 if side == Side.DEBIT else -1
        entries_total = sign * net_all
        before_checkpoint = entries_total - sign * net_since_checkpoint if is_hot else entries_total
        recorded = balance + sign * net_since_checkpoint if is_hot else balance
        if recorded != entries_total or balance != before_checkpoint:
            mismatches.append(
                BalanceMismatch(
                    account=key,
                    is_hot=is_hot,
                    recorded=recorded,
                    entries_total=entries_total,
                    checkpoint_balance=balance,
                    entries_before_checkpoint=before_checkpoint,
                )
            )
    return mismatches


def unbalanced_journals() -> list[int]:
    """Journals whose debits differ from their credits or that have fewer than two entries (must be none)."""
    sql = """
        SELECT j.id FROM ledger_journal AS j LEFT JOIN ledger_entry AS e ON e.journal_id = j.id
        GROUP BY j.id
        HAVING count(e.id) < 2 OR coalesce(sum(e.debit), 0) <> coalesce(sum(e.credit), 0)
        ORDER BY j.id
    """
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return [journal_id for (journal_id,) in cursor.fetchall()]


def journals_for_reference(*, reference: str) -> QuerySet[Journal]:
    """Every journal posted under an opaque reference (a payment order, a loan event), oldest first."""
    return Journal.objects.filter(reference=reference).order_by("id").prefetch_related("entries__account")
