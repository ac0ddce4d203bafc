"""Daily reconciliation of a channel's statement against our orders (the matching itself is `payments.reconciliation`).

Every unmatched line is parked in suspense (1901 / 2902) with a case; the day's collections settlement
(Dr 1002 / Cr 1012) and the channel's fees (Dr 6421 / Cr 1002) are posted here, when the statement tells
us what the channel actually moved. A re-run of a reconciled day with the same statement writes nothing
and reports the same figures; another statement for that day is refused (StatementChanged).
"""

import hashlib
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils.translation import gettext

from ledger.services import journal_post

from .. import conf, locks, postings, reconciliation
from ..channels import gateway_for
from ..exceptions import StatementChanged
from ..models import PaymentCase, PaymentOrder, ReconciliationRun
from .cases import case_open

CASE_KIND = {
    reconciliation.LONG: PaymentCase.Kind.LONG,
    reconciliation.SHORT: PaymentCase.Kind.SHORT,
    reconciliation.AMOUNT_MISMATCH: PaymentCase.Kind.AMOUNT_MISMATCH,
    reconciliation.STATUS_MISMATCH: PaymentCase.Kind.STATUS_MISMATCH,
}


@dataclass(frozen=True)
class ReconciliationReport:
    matched: int
    long: int
    short: int
    amount_mismatch: int
    status_mismatch: int
    cases_opened: int

    def as_dict(self) -> dict:
        return asdict(self)


def reconciliation_run(
    *, channel: str, statement_date: date, statement_text: str | None = None
) -> ReconciliationReport:
    """Reconcile one channel's day (command and daily task). Fetches the statement when none is given."""
    if statement_text is None:
        statement_text = gateway_for(channel).statement(statement_date)  # network first, outside the transaction
    lines = reconciliation.parse_statement(statement_text)  # a broken row refuses everything before any write
    checksum = hashlib.sha256(statement_text.encode()).hexdigest()
    return _reconcile(channel=channel, statement_date=statement_date, lines=lines, checksum=checksum)


@transaction.atomic(durable=True)
def _reconcile(*, channel: str, statement_date: date, lines, checksum: str) -> ReconciliationReport:
    locks.reconciliation_day_lock(channel=channel, on=statement_date)
    done = ReconciliationRun.objects.filter(channel=channel, statement_date=statement_date).first()
    if done is not None:
        if done.statement_sha256 != checksum:
            raise StatementChanged(
                gettext("%(channel)s %(date)s was reconciled against another statement.")
                % {"channel": channel, "date": statement_date.isoformat()},
                channel=channel,
                statement_date=statement_date,
            )
        return ReconciliationReport(
            matched=done.matched,
            long=done.long,
            short=done.short,
            amount_mismatch=done.amount_mismatch,
            status_mismatch=done.status_mismatch,
            cases_opened=0,
        )
    orders = locks.orders_by_serial_for_update(channel=channel, serials=[line.serial for line in lines])
    shorts = _successes_not_reconciled(channel=channel, on=statement_date, exclude=set(orders))
    findings = reconciliation.classify(
        lines=lines,
        orders={serial: _view(order) for serial, order in orders.items()},
        unmatched_successes=[_view(order) for order in shorts],
    )
    by_serial = {**orders, **{order.channel_serial: order for order in shorts}}
    opened = sum(
        _case_for(finding, channel=channel, on=statement_date, order=by_serial.get(finding.serial))
        for finding in findings
        if finding.klass != reconciliation.MATCHED
    )
    reconciled = [by_serial[f.serial].pk for f in findings if f.serial in by_serial]
    PaymentOrder.objects.filter(pk__in=reconciled, reconciled_on__isnull=True).update(reconciled_on=statement_date)
    settled = reconciliation.collections_settled(findings)
    fees = sum(
        (
            conf.channel_fee(channel=channel, kind=kind) * count
            for kind, count in reconciliation.orders_charged(findings).items()
        ),
        Decimal("0.00"),
    )
    day_reference = f"reconciliation:{channel}:{statement_date.isoformat()}"
    if settled:
        journal_post(
            lines=postings.collections_settled(channel=channel, amount=settled),
            kind="COLLECTIONS_SETTLED",
            reference=day_reference,
            posted_on=statement_date,
            idempotency_key=f"payments:collections-settled:{channel}:{statement_date.isoformat()}",
        )
    if fees:
        journal_post(
            lines=postings.channel_fees(amount=fees),
            kind="CHANNEL_FEES",
            reference=day_reference,
            posted_on=statement_date,
            idempotency_key=f"payments:channel-fees:{channel}:{statement_date.isoformat()}",
        )
    tally = reconciliation.counts(findings)
    report = ReconciliationReport(
        matched=tally[reconciliation.MATCHED],
        long=tally[reconciliation.LONG],
        short=tally[reconciliation.SHORT],
        amount_mismatch=tally[reconciliation.AMOUNT_MISMATCH],
        status_mismatch=tally[reconciliation.STATUS_MISMATCH],
        cases_opened=opened,
    )
    ReconciliationRun.objects.create(
        channel=channel,
        statement_date=statement_date,
        statement_sha256=checksum,
        lines=len(lines),
        collections_settled=settled,
        channel_fees=fees,
        **report.as_dict(),
    )
    return report


def _successes_not_reconciled(*, channel: str, on: date, exclude: set[str]) -> list[PaymentOrder]:
    """Our successes booked on `on` (UTC, as statements are) that no statement has carried yet."""
    start = datetime.combine(on, time.min, tzinfo=UTC)
    return list(
        PaymentOrder.objects.select_for_update(of=("self",))
        .annotate(booked_at=Coalesce("channel_settled_at", "finalized_at"))
        .filter(
            Q(state=PaymentOrder.State.SUCCEEDED),
            channel=channel,
            reconciled_on__isnull=True,
            booked_at__gte=start,
            booked_at__lt=start + timedelta(days=1),
        )
        .exclude(channel_serial__in=exclude)
        .order_by("pk")
    )


def _view(order: PaymentOrder) -> reconciliation.OrderView:
    return reconciliation.OrderView(
        serial=order.channel_serial, kind=order.kind, state=order.state, amount=order.amount
    )


def _case_for(finding: reconciliation.Finding, *, channel: str, on: date, order: PaymentOrder | None) -> bool:
    """One case per (channel, day, serial); its suspense journal is posted once, with the case."""
    line = finding.statement
    case, created = case_open(
        case_key=f"RECON:{channel}:{on.isoformat()}:{finding.serial}",
        kind=CASE_KIND[finding.klass],
        channel=channel,
        order=order,
        channel_serial=finding.serial,
        statement_date=on,
        statement_status=line.status if line else "",
        statement_amount=line.amount if line else None,
        suspense_side=finding.suspense_side,
        suspense_amount=finding.suspense_amount,
        description=_describe(finding),
    )
    if created and finding.suspense_amount:
        journal = journal_post(
            lines=postings.suspense_opened(channel=channel, side=finding.suspense_side, amount=finding.suspense_amount),
            kind="SUSPENSE_OPENED",
            reference=f"payment-case:{case.pk}",
            posted_on=on,
            idempotency_key=f"payments:suspense:{case.case_key}",
        )
        PaymentCase.objects.filter(pk=case.pk).update(suspense_journal_id=journal.pk)
    return created


def _describe(finding: reconciliation.Finding) -> str:
    line, order = finding.statement, finding.order
    if line:
        theirs = gettext("statement %(status)s %(amount)s (row %(row)s)") % {
            "status": line.status,
            "amount": line.amount,
            "row": line.row,
        }
    else:
        theirs = gettext("not on the statement")
    if order:
        ours = gettext("our order %(state)s %(amount)s") % {"state": order.state, "amount": order.amount}
    else:
        ours = gettext("no order of ours")
    return f"{theirs}; {ours}"
