"""Repayments: a borrower's request, the collection's result, and the one allocation path every payment takes.

Borrower payments, auto-debit results and held overpayments all end in `_payment_apply`, under the loan's
lock, after the loan was caught up to the business date:

1. penalty is settled up to and including the value date (DOMAIN.md §4);
2. what is owed (installments due on or before the value date; for a prepayment also the running period's
   interest to that date and the principal prepaid) is allocated by the product's strategy
   (`repayment.allocation`);
3. each allocated part is split per funder — the cumulative paid split by the installment's funder parts,
   minus what was split before — so partial payments never drift a fen from a funder's part;
4. one journal: Dr 1012.<channel> (or 2202 for a held overpayment) / Cr 1303, 1132, 1134 for our parts,
   2241.<partner> for the partners', 2202 for anything beyond what is owed — kept, never lost.
"""

from collections import defaultdict
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.utils import timezone

from .. import colending, conf, locks, selectors
from ..allocation import Due, allocate
from ..exceptions import (
    LoanNotRepayable,
    NoDebitAccount,
    PayoffAmountTooLow,
    PrepaymentTooLarge,
    RepaymentNotFound,
    UnknownRepaymentKind,
    _,
)
from ..models import (
    Installment,
    InstallmentShare,
    InterestAccrual,
    Loan,
    LoanEvent,
    LoanFunding,
    Repayment,
    RepaymentAllocation,
)
from ..rebuild import rebuild_schedule
from ..servicing_math import bucket_for, cumulative_parts, segment_penalty
from . import posting
from .cob import loan_catch_up
from .loans import allocation_strategy_of, installments_lay, prepayment_mode_of

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
ONE_DAY = timedelta(days=1)
OPEN = (Installment.Status.PENDING, Installment.Status.DUE)
OWN_ACCOUNTS = {"PRINCIPAL": "1303", "INTEREST": "1132", "PENALTY": "1134"}
PAYMENT_PURPOSE = "LOAN_REPAYMENT"


def open_day(loan: Loan) -> date:
    """The value date of a payment made now: the day after the last business date closed."""
    from ..selectors import business_date_current

    current = business_date_current()
    return (current or loan.cob_date) + ONE_DAY


# --- borrower's request --------------------------------------------------------------------------------


@transaction.atomic(durable=True)
def repayment_request(
    *, loan_id: int, amount: Decimal, kind: str, idempotency_key: str, requested_by_id: int | None = None
) -> Repayment:
    """A borrower asks to pay: a PENDING repayment and its collection order through the payment core (CONTRACT.md §5).

    The amount is allocated when the collection succeeds (`repayment_collection_settled`). A full prepayment
    must cover the payoff quote of today; a partial one must not (that would be a full one).
    """
    existing = Repayment.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return existing
    if kind not in Repayment.Kind.values:
        raise UnknownRepaymentKind(_("Unknown repayment kind: %(kind)s") % {"kind": kind}, field="kind")
    loan = locks.loan_for_update(loan_id)
    if not loan.is_active:
        raise LoanNotRepayable(loan_id=loan.pk, status=loan.status)
    if not loan.debit_account:
        raise NoDebitAccount(_("This loan has no account to collect from."), loan_id=loan.pk)
    loan_catch_up(loan=loan)
    if kind != Repayment.Kind.REGULAR:
        from ..selectors import loan_payoff_quote

        quote = loan_payoff_quote(loan=loan, on=open_day(loan))
        if kind == Repayment.Kind.PREPAYMENT_FULL and amount < quote.total:
            raise PayoffAmountTooLow(
                _("Paying off the loan today takes %(total)s.") % {"total": quote.total},
                limit=quote.total,
                actual=amount,
            )
        if kind == Repayment.Kind.PREPAYMENT_PARTIAL and amount >= quote.total:
            raise PrepaymentTooLarge(
                _("%(amount)s pays off the whole loan: ask for a full prepayment.") % {"amount": amount},
                limit=quote.total,
                actual=amount,
            )
    repayment = Repayment.objects.create(
        loan=loan,
        kind=kind,
        source=Repayment.Source.BORROWER,
        amount=amount,
        idempotency_key=idempotency_key,
        requested_on=open_day(loan),
        requested_by_id=requested_by_id,
    )
    _collection_create(repayment)
    return repayment


def _collection_create(repayment: Repayment) -> None:
    from payments.services import collection_create

    account = repayment.loan.debit_account
    if repayment.source == Repayment.Source.AUTO_DEBIT:
        account = repayment.loan.debit_agreement.account
    order = collection_create(
        idempotency_key=f"repayment:{repayment.pk}",
        amount=repayment.amount,
        counterparty_account=account,
        purpose=PAYMENT_PURPOSE,
        reference=str(repayment.pk),
    )
    repayment.payment_order_id = order.pk
    repayment.channel = order.channel
    repayment.save(update_fields=["payment_order_id", "channel"])


# --- the collection's result (settlement handler) ------------------------------------------------------


@transaction.atomic(durable=True)
def repayment_collection_settled(*, payment_order_id: int, reference: str, state: str, channel: str) -> Repayment:
    """Apply a LOAN_REPAYMENT collection that reached a final state; idempotent per order and state."""
    repayment = Repayment.objects.filter(payment_order_id=payment_order_id).first()
    if repayment is None and reference.isdigit():
        repayment = Repayment.objects.filter(pk=int(reference)).first()
    if repayment is None:
        raise RepaymentNotFound(payment_order_id=payment_order_id)
    loan = locks.loan_for_update(repayment.loan_id)
    repayment = Repayment.objects.select_for_update().get(pk=repayment.pk)  # lock, then re-check
    if repayment.status != Repayment.Status.PENDING:
        return repayment
    if state == "FAILED":
        repayment.status = Repayment.Status.FAILED
        repayment.settled_at = timezone.now()
        repayment.save(update_fields=["status", "settled_at"])
        LoanEvent.objects.create(
            loan=loan,
            kind=LoanEvent.Kind.COLLECTION_FAILED,
            business_date=open_day(loan),
            repayment=repayment,
            details={"payment_order_id": payment_order_id},
        )
        return repayment
    if state != "SUCCEEDED":
        return repayment
    repayment.channel = channel or repayment.channel
    loan_catch_up(loan=loan)
    _payment_apply(loan=loan, repayment=repayment, value_date=open_day(loan), debit_account=f"1012.{repayment.channel}")
    return repayment


def overpayment_apply(*, loan_id: int, business_date: date) -> Repayment | None:
    """Use a held overpayment (2202) on what has fallen due (close-of-business, inside its step)."""
    loan = locks.loan_for_update(loan_id)
    if not loan.is_active or loan.overpayment_balance <= 0:
        return None
    owed = sum((due.principal + due.interest + due.penalty for due in _dues(loan, on=business_date)), ZERO)
    amount = min(owed, loan.overpayment_balance)
    if amount <= 0:
        return None
    repayment = Repayment.objects.create(
        loan=loan,
        kind=Repayment.Kind.REGULAR,
        source=Repayment.Source.OVERPAYMENT,
        amount=amount,
        idempotency_key=f"overpayment:{loan.pk}:{business_date.isoformat()}",
        requested_on=business_date,
    )
    loan.overpayment_balance -= amount
    Loan.objects.filter(pk=loan.pk).update(overpayment_balance=loan.overpayment_balance)
    _payment_apply(loan=loan, repayment=repayment, value_date=business_date, debit_account="2202")
    return repayment


# --- the one allocation path -------------------------------------------------------------------------


def _payment_apply(*, loan: Loan, repayment: Repayment, value_date: date, debit_account: str) -> None:
    fundings = list(loan.fundings.order_by("position"))
    legs = posting.Legs().debit(debit_account, repayment.amount)
    if not loan.is_active:
        overpayment = repayment.amount  # nothing is owed any more: all of it is held for the borrower
        allocation_parts: list = []
        settled_installments: dict[int, Installment] = {}
    else:
        _penalties_settle(loan, on=value_date, key=f"repayment:{repayment.pk}")
        dues = _dues(loan, on=value_date)
        kind = repayment.kind
        if kind != Repayment.Kind.REGULAR:
            kind = _prepayment_prepare(loan, repayment=repayment, on=value_date, dues=dues, fundings=fundings)
            dues = _dues(loan, on=value_date)
        allocation = allocate(amount=repayment.amount, dues=dues, strategy=allocation_strategy_of(loan))
        allocation_parts = list(allocation.parts)
        overpayment = allocation.overpayment
        settled_installments = _parts_apply(
            loan, repayment=repayment, parts=allocation_parts, fundings=fundings, legs=legs, on=value_date
        )
    if overpayment > 0:
        legs.credit("2202", overpayment)
        LoanEvent.objects.create(
            loan=loan,
            kind=LoanEvent.Kind.OVERPAYMENT_HELD,
            business_date=value_date,
            repayment=repayment,
            details={"amount": str(overpayment)},
        )
        RepaymentAllocation.objects.create(
            repayment=repayment, component=RepaymentAllocation.Component.OVERPAYMENT, amount=overpayment
        )
        loan.overpayment_balance += overpayment
        Loan.objects.filter(pk=loan.pk).update(overpayment_balance=loan.overpayment_balance)
    posting.post(
        legs,
        kind="LOAN_REPAYMENT",
        reference=f"loan:{loan.pk}",
        posted_on=value_date,
        idempotency_key=f"repayment:{repayment.pk}",
        memo=f"{repayment.source} {repayment.kind}",
    )
    interest_recognize(loan, installments=settled_installments.values(), on=value_date, key=f"repayment:{repayment.pk}")
    repayment.status = Repayment.Status.SUCCEEDED
    repayment.value_date = value_date
    repayment.overpayment = overpayment
    repayment.settled_at = timezone.now()
    repayment.save(update_fields=["status", "value_date", "overpayment", "settled_at", "channel"])
    if loan.is_active:
        # Repaid to the last fen, the allowance is released here too (Dr 1304 / Cr 6701).
        loan_figures_refresh(loan, on=value_date, key=f"repayment:{repayment.pk}")
    LoanEvent.objects.create(
        loan=loan,
        kind=LoanEvent.Kind.PREPAID if repayment.kind != Repayment.Kind.REGULAR else LoanEvent.Kind.REPAID,
        business_date=value_date,
        repayment=repayment,
        details={"amount": str(repayment.amount), "overpayment": str(overpayment), "source": repayment.source},
    )
    if loan.is_active:
        _close_if_repaid(loan, on=value_date)
    elif overpayment > 0:
        from .refunds import overpayment_refund_start

        overpayment_refund_start(loan=loan, on=value_date)


def _dues(loan: Loan, *, on: date) -> list[Due]:
    """What is owed on ``on``: every installment due on or before it, by component."""
    return [
        Due(
            number=row.number,
            due_date=row.due_date,
            principal=row.principal_unpaid,
            interest=row.interest_unpaid,
            penalty=row.penalty_unpaid,
        )
        for row in loan.installments.filter(status__in=OPEN, due_date__lte=on).order_by("due_date", "number")
        if row.principal_unpaid + row.interest_unpaid + row.penalty_unpaid > 0
    ]


def _penalties_settle(loan: Loan, *, on: date, key: str) -> None:
    """Bring each overdue installment's penalty up to and including ``on`` (a payment settles it to its date)."""
    shares = [Decimal(share) for share in loan.shares]
    own_delta = ZERO
    for row in loan.installments.filter(status__in=OPEN, due_date__lt=on):
        after = selectors.penalty_settled_to(loan=loan, installment=row, on=on)
        if after > row.penalty_accrued:
            own_after = colending.split_amount(amount=after, shares=shares)[0]
            own_delta += own_after - row.own_penalty_accrued
            Installment.objects.filter(pk=row.pk).update(penalty_accrued=after, own_penalty_accrued=own_after)
    posting.post(
        posting.Legs().move(debit="1134", credit="6051", amount=own_delta),
        kind="PENALTY_ACCRUAL",
        reference=f"loan:{loan.pk}",
        posted_on=on,
        idempotency_key=f"penalty:{key}",
    )


def _parts_apply(
    loan: Loan, *, repayment: Repayment, parts: list, fundings: list[LoanFunding], legs: posting.Legs, on: date
) -> dict[int, Installment]:
    """Write the allocation per installment, component and funder; credit each funder's account."""
    by_number = {
        row.number: row for row in loan.installments.filter(status__in=OPEN, number__in={part.number for part in parts})
    }
    shares_of = defaultdict(dict)
    for share in InstallmentShare.objects.filter(installment__in=by_number.values()):
        shares_of[share.installment_id][share.funding_id] = share
    loan_shares = [funding.share for funding in fundings]
    principal_paid_before = {row.pk: row.principal_paid for row in by_number.values()}
    principal_by_funder = defaultdict(lambda: ZERO)
    rows = []
    for part in parts:
        installment = by_number[part.number]
        funder_shares = [shares_of[installment.pk][funding.pk] for funding in fundings]
        if part.component == "PRINCIPAL":
            weights = [share.principal for share in funder_shares]
            before = installment.principal_paid
            installment.principal_paid += part.amount
        elif part.component == "INTEREST":
            weights = [share.interest for share in funder_shares]
            before = installment.interest_paid
            installment.interest_paid += part.amount
        else:
            weights = None
            before = installment.penalty_paid
            installment.penalty_paid += part.amount
        if weights is None:

            def split(amount, shares=loan_shares):
                return colending.split_amount(amount=amount, shares=shares)
        else:

            def split(amount, weights=weights):
                return colending.split_principal(amount=amount, remaining=weights)

        funder_parts = cumulative_parts(split, paid_before=before, paid_now=part.amount)
        field = f"{part.component.lower()}_paid"
        for funding, share, amount in zip(fundings, funder_shares, funder_parts, strict=True):
            if amount == 0:
                continue
            setattr(share, field, getattr(share, field) + amount)
            legs.credit(OWN_ACCOUNTS[part.component] if funding.is_own else funding.account, amount)
            rows.append(
                RepaymentAllocation(
                    repayment=repayment,
                    installment=installment,
                    funding=funding,
                    component=part.component,
                    amount=amount,
                )
            )
            if part.component == "PRINCIPAL":
                principal_by_funder[funding.pk] += amount
    RepaymentAllocation.objects.bulk_create(rows)
    InstallmentShare.objects.bulk_update(
        [share for by_funding in shares_of.values() for share in by_funding.values()],
        ["principal_paid", "interest_paid", "penalty_paid"],
    )
    settled = {}
    for installment in by_number.values():
        if installment.principal_unpaid + installment.interest_unpaid + installment.penalty_unpaid == 0:
            installment.status = Installment.Status.PAID
            installment.paid_on = on
            settled[installment.pk] = installment
            if installment.due_date == loan.first_due_on and loan.first_installment_paid_on is None:
                loan.first_installment_paid_on = on
        elif installment.principal_paid != principal_paid_before[installment.pk] and installment.due_date < on:
            # Part of the overdue principal is paid: the penalty of the days so far is fixed at the principal
            # overdue until now, and runs on what is left from today — a new segment (DOMAIN.md §4).
            installment.penalty_base = installment.penalty_base + segment_penalty(
                unpaid_principal=installment.principal - principal_paid_before[installment.pk],
                penalty_rate=loan.penalty_rate,
                days=(on - installment.penalty_base_on).days,
                basis=365 if loan.day_count == "ACT/365" else 360,
            )
            installment.penalty_base_on = on
    Installment.objects.bulk_update(
        by_number.values(),
        ["principal_paid", "interest_paid", "penalty_paid", "status", "paid_on", "penalty_base", "penalty_base_on"],
    )
    for funding in fundings:
        if principal_by_funder[funding.pk]:
            funding.outstanding_principal -= principal_by_funder[funding.pk]
            LoanFunding.objects.filter(pk=funding.pk).update(outstanding_principal=funding.outstanding_principal)
    principal_paid = sum(principal_by_funder.values(), ZERO)
    own_paid = sum((principal_by_funder[f.pk] for f in fundings if f.is_own), ZERO)
    loan.outstanding_principal -= principal_paid
    loan.own_outstanding_principal -= own_paid
    Loan.objects.filter(pk=loan.pk).update(
        outstanding_principal=loan.outstanding_principal,
        own_outstanding_principal=loan.own_outstanding_principal,
        first_installment_paid_on=loan.first_installment_paid_on,
    )
    return settled


def own_interest_accrued(loan: Loan, installment: Installment) -> Decimal:
    """Our interest on this installment that close-of-business has accrued so far (its accrual rows)."""
    days = [
        installment.period_start + timedelta(days=offset)
        for offset in range(1, (installment.due_date - installment.period_start).days + 1)
    ]
    if not days:
        return ZERO
    rows = InterestAccrual.objects.filter(loan_id=loan.pk, accrued_on__in=days, installment_id=installment.pk)
    return sum(rows.values_list("own_amount", flat=True), ZERO)


def interest_recognize(loan: Loan, *, installments, on: date, key: str) -> None:
    """An installment settled before its period ran out (paid on its due date before that night's close, paid
    early, or the stub of a prepayment) has its interest billed in full now: accrue the rest of our share at
    once (Dr 1132 / Cr 6011), and close its accrual so close-of-business adds nothing more."""
    own_rest = ZERO
    closing = []
    for installment in installments:
        if installment.accrual_closed or installment.due_date < on:
            continue
        own_rest += installment.own_interest - own_interest_accrued(loan, installment)
        closing.append(installment.pk)
    if not closing:
        return
    Installment.objects.filter(pk__in=closing).update(accrual_closed=True)
    posting.post(
        posting.Legs().move(debit="1132", credit="6011", amount=own_rest),
        kind="INTEREST_ACCRUAL",
        reference=f"loan:{loan.pk}",
        posted_on=on,
        idempotency_key=f"interest:{key}",
    )


def loan_figures_refresh(loan: Loan, *, on: date, key: str) -> None:
    """DPD, bucket, overdue figures and loss allowance of one loan as of ``on``, after a write to it
    (close-of-business does the same set-based for the loans with something due)."""
    overdue = list(loan.installments.filter(status__in=OPEN, due_date__lt=on))
    oldest = min((row.due_date for row in overdue), default=None)
    dpd = (on - oldest).days if oldest else 0
    bucket = bucket_for(dpd)
    provision = (loan.own_outstanding_principal * conf.provision_rates()[bucket]).quantize(CENT, rounding=ROUND_HALF_UP)
    if not loan.is_active or loan.outstanding_principal == 0:
        provision = ZERO
    posting.post(
        posting.Legs().move(debit="6701", credit="1304", amount=provision - loan.provision_amount),
        kind="LOSS_PROVISION",
        reference=f"loan:{loan.pk}",
        posted_on=on,
        idempotency_key=f"provision:{key}",
    )
    Loan.objects.filter(pk=loan.pk).update(
        dpd=dpd,
        bucket=bucket,
        max_dpd=max(loan.max_dpd, dpd),
        overdue_principal=sum((row.principal_unpaid for row in overdue), ZERO),
        overdue_amount=sum((row.owed for row in overdue), ZERO),
        penalty_outstanding=sum((row.penalty_unpaid for row in loan.installments.filter(status__in=OPEN)), ZERO),
        provision_amount=provision,
    )
    loan.refresh_from_db()


def _close_if_repaid(loan: Loan, *, on: date) -> None:
    if loan.outstanding_principal > 0 or loan.installments.filter(status__in=OPEN).exists():
        return
    loan.status = Loan.Status.SETTLED
    loan.closed_on = on
    loan.save(update_fields=["status", "closed_on"])
    LoanEvent.objects.create(loan=loan, kind=LoanEvent.Kind.SETTLED, business_date=on, details={})
    if loan.overpayment_balance > 0:
        from .refunds import overpayment_refund_start

        overpayment_refund_start(loan=loan, on=on)


# --- prepayment: the running period is cut at the value date -----------------------------------------


def _prepayment_prepare(
    loan: Loan, *, repayment: Repayment, on: date, dues: list[Due], fundings: list[LoanFunding]
) -> str:
    """Turn the running installment into a stub due today that bills its interest to ``on`` and the principal
    the payment prepays; rebuild (partial) or cancel (full) what falls due later. Returns the kind applied:
    a "full" prepayment that no longer covers the payoff is applied as a partial one, and one that does not
    reach past what is due as a regular payment."""
    owed_now = sum((due.principal + due.interest + due.penalty for due in dues), ZERO)
    future = list(loan.installments.filter(status=Installment.Status.PENDING, due_date__gt=on).order_by("due_date"))
    if not future:
        return Repayment.Kind.REGULAR
    running = future[0]
    days = (running.due_date - running.period_start).days
    elapsed = max((on - running.period_start).days, 0)
    running_interest = (
        running.interest
        if elapsed >= days
        else (running.interest * elapsed / days).quantize(Decimal("0.01"), rounding="ROUND_HALF_UP")
    )
    remaining_principal = sum((row.principal_unpaid for row in future), ZERO)
    left = repayment.amount - owed_now - running_interest
    if left <= 0:
        return Repayment.Kind.REGULAR
    full = left >= remaining_principal
    prepaid = remaining_principal if full else left
    shares = [funding.share for funding in fundings]
    remaining_by_funder = [funding.outstanding_principal for funding in fundings]
    # What the funders are still owed of installments due today or earlier is not prepaid principal.
    due_principal_by_funder = _due_principal_by_funder(loan, on=on, fundings=fundings)
    future_by_funder = [left_ - due_ for left_, due_ in zip(remaining_by_funder, due_principal_by_funder, strict=True)]
    prepaid_split = colending.split_principal(amount=prepaid, remaining=future_by_funder)
    interest_split = colending.split_amount(amount=running_interest, shares=shares)
    # The stub keeps the running installment's row (its accrual rows point at it).
    Installment.objects.filter(pk=running.pk).update(
        due_date=on if on > running.period_start else running.period_start,
        principal=prepaid,
        interest=running_interest,
        own_interest=interest_split[0],
        penalty_base_on=on,
    )
    for share in InstallmentShare.objects.filter(installment=running).select_related("funding"):
        position = share.funding.position
        share.principal = prepaid_split[position]
        share.interest = interest_split[position]
        share.save(update_fields=["principal", "interest"])
    later = future[1:]
    Installment.objects.filter(pk__in=[row.pk for row in later]).update(status=Installment.Status.CANCELLED)
    if full:
        return Repayment.Kind.PREPAYMENT_FULL
    schedule = selectors.schedule_of(loan=loan, rows=future)
    rebuilt = rebuild_schedule(
        schedule=schedule,
        prepaid_on=on,
        principal_prepaid=prepaid,
        mode=prepayment_mode_of(loan),
        outstanding_principal=remaining_principal,
    )
    offset = next_installment_number(loan) - rebuilt.installments[0].number
    left_by_funder = [f - p for f, p in zip(future_by_funder, prepaid_split, strict=True)]
    installments_lay(loan=loan, schedule=rebuilt, fundings=fundings, remaining=left_by_funder, number_offset=offset)
    Loan.objects.filter(pk=loan.pk).update(
        level_payment=rebuilt.level_payment,
        level_principal=rebuilt.level_principal,
        maturity_on=rebuilt.maturity_date,
        term=loan.installments.exclude(status=Installment.Status.CANCELLED).count(),
    )
    LoanEvent.objects.create(
        loan=loan,
        kind=LoanEvent.Kind.SCHEDULE_REBUILT,
        business_date=on,
        repayment=repayment,
        details={"principal_prepaid": str(prepaid), "mode": prepayment_mode_of(loan)},
    )
    return Repayment.Kind.PREPAYMENT_PARTIAL


def _due_principal_by_funder(loan: Loan, *, on: date, fundings: list[LoanFunding]) -> list[Decimal]:
    owed = defaultdict(lambda: ZERO)
    for share in InstallmentShare.objects.filter(
        installment__loan=loan, installment__status__in=OPEN, installment__due_date__lte=on
    ):
        owed[share.funding_id] += share.principal - share.principal_paid
    return [owed[funding.pk] for funding in fundings]


def next_installment_number(loan: Loan) -> int:
    return (loan.installments.order_by("-number").values_list("number", flat=True).first() or 0) + 1
