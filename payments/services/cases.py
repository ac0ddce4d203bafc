"""Operators resolve cases: a case with money in suspense is cleared by a journal against the account they choose."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from ledger.services import journal_post

from .. import locks, postings
from ..exceptions import CaseAlreadyResolved, InvalidCaseResolution
from ..models import PaymentCase, PaymentOrder


def case_open(*, case_key: str, kind: str, channel: str | None = None, order: PaymentOrder | None = None,
              **fields) -> tuple[PaymentCase, bool]:  # fmt: skip
    """Open a case once per key, in the caller's transaction: finding the same thing again is not a new case."""
    defaults = {
        "kind": kind,
        "channel": channel or (order.channel if order else ""),
        "order": order,
        "channel_serial": order.channel_serial if order is not None and order.channel_serial else "",
        "order_state": order.state if order is not None else "",
        "order_amount": order.amount if order is not None else None,
        **fields,
    }
    return PaymentCase.objects.get_or_create(case_key=case_key, defaults=defaults)


def case_resolution_accounts(case: PaymentCase) -> list[str]:
    """Where a case's suspense may be cleared to: the channel's clearing account, our bank account, channel fees."""
    if not case.suspense_amount:
        return []
    return [postings.clearing_account(case.channel), postings.BANK_DEPOSITS, postings.CHANNEL_FEES]


@transaction.atomic(durable=True)
def case_resolve(*, case_id: int, note: str, counter_account: str = "", actor=None) -> PaymentCase:
    """Close a case with the operator's explanation; clear its suspense (if any) against `counter_account`.

    LONG suspense (2902) is debited and the counter account credited; SHORT suspense (1901) is credited
    and the counter account debited — the amount the case parked, never more.
    """
    case = locks.case_for_update(case_id)
    if case.status == PaymentCase.Status.RESOLVED:
        raise CaseAlreadyResolved(gettext("Case %(id)s is already resolved.") % {"id": case.pk}, case_id=case.pk)
    if not note.strip():
        raise InvalidCaseResolution(gettext("A resolution needs a note saying what was found."), case_id=case.pk)
    journal_id = None
    if case.suspense_amount:
        allowed = case_resolution_accounts(case)
        if counter_account not in allowed:
            raise InvalidCaseResolution(
                gettext("Clear the suspense against one of %(accounts)s.") % {"accounts": ", ".join(allowed)},
                case_id=case.pk,
                account=counter_account,
            )
        journal = journal_post(
            lines=postings.suspense_cleared(
                channel=case.channel,
                side=case.suspense_side,
                amount=case.suspense_amount,
                counter_account=counter_account,
            ),
            kind="SUSPENSE_CLEARED",
            reference=f"payment-case:{case.pk}",
            posted_on=timezone.localdate(),
            idempotency_key=f"payments:case:{case.pk}:resolved",
            memo=note[:500],
        )
        journal_id = journal.pk
    elif counter_account:
        raise InvalidCaseResolution(gettext("This case parked no money; there is nothing to clear."), case_id=case.pk)
    case.status = PaymentCase.Status.RESOLVED
    case.resolved_at = timezone.now()
    case.resolved_by = actor
    case.resolution_account = counter_account
    case.resolution_note = note
    case.resolution_journal_id = journal_id
    case.save(
        update_fields=[
            "status",
            "resolved_at",
            "resolved_by",
            "resolution_account",
            "resolution_note",
            "resolution_journal_id",
        ]
    )
    return case
