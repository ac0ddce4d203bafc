"""Journals servicing posts (DOMAIN.md §8), built as netted legs so that no line is zero or two-sided."""

from collections import defaultdict
from datetime import date
from decimal import Decimal

from ledger.journals import JournalLine, JournalSpec
from ledger.services import journal_post, journals_post_batch

ZERO = Decimal("0.00")


class Legs:
    """Debits and credits gathered per account, netted when read: one line per account that moves."""

    def __init__(self) -> None:
        self._net: dict[str, Decimal] = defaultdict(lambda: ZERO)

    def debit(self, account: str, amount: Decimal) -> "Legs":
        self._net[account] += amount
        return self

    def credit(self, account: str, amount: Decimal) -> "Legs":
        self._net[account] -= amount
        return self

    def move(self, *, debit: str, credit: str, amount: Decimal) -> "Legs":
        """Dr ``debit`` / Cr ``credit`` by ``amount`` (a negative amount reverses the direction)."""
        return self.debit(debit, amount).credit(credit, amount)

    def lines(self) -> list[JournalLine]:
        lines = []
        for account, net in sorted(self._net.items()):
            if net > 0:
                lines.append(JournalLine(account=account, debit=net))
            elif net < 0:
                lines.append(JournalLine(account=account, credit=-net))
        return lines

    def __bool__(self) -> bool:
        return any(net != 0 for net in self._net.values())


def post(legs: Legs, *, kind: str, reference: str, posted_on: date, idempotency_key: str, memo: str = "") -> int | None:
    """Post the legs as one journal in the caller's transaction; nothing when every account nets to zero."""
    if not legs:
        return None
    journal = journal_post(
        lines=legs.lines(),
        kind=kind,
        reference=reference,
        posted_on=posted_on,
        idempotency_key=idempotency_key,
        memo=memo,
    )
    return journal.pk


def post_batch(entries: list[tuple[Legs, dict]]) -> list[int]:
    """Post several journals in one round-trip set (`journals_post_batch`), skipping those that net to zero.

    Close-of-business posts through here: one journal per (date, step, partition), whatever the partition size.
    """
    specs = [JournalSpec(lines=legs.lines(), **header) for legs, header in entries if legs]
    return journals_post_batch(journals=specs) if specs else []
