"""Opening a loan account on payout success, and laying installments (with their funder splits) onto it."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import IntegrityError, transaction

from .. import colending, conf, locks
from ..allocation import ALLOCATION_STRATEGIES
from ..exceptions import InvalidFunding, LoanOpenConflict, UnknownAllocationStrategy, UnknownPrepaymentMode, _
from ..interest import capped_penalty_rate
from ..models import DebitAgreement, Installment, InstallmentShare, Loan, LoanEvent, LoanFunding
from ..rebuild import PREPAYMENT_MODES
from ..schedules import Schedule, build_schedule
from . import posting

ZERO = Decimal("0.00")
MIN_OWN_SHARE = Decimal("0.30")  # REG_COFUND_RATIO (CN_MICROLOAN_2020): our share of every co-funded loan
# The rule set's figures used when the caller does not pass them (lending passes them from its rule set).
DEFAULT_APR_CEILING = Decimal("0.240000")
DEFAULT_ROLLOVER_LIMIT = 2
# DPD at which a loan is written off: past M6 (DOMAIN.md §9: M6+ is the write-off candidate).
DEFAULT_WRITE_OFF_DPD = 181


@dataclass(frozen=True)
class Funding:
    """One funder of a new loan (ADR 0001): shares sum to 1, our own share ≥ 0.30."""

    partner_code: str
    share: Decimal
    is_own: bool


def allocation_strategy_of(loan: Loan) -> str:
    return loan.allocation_strategy


def prepayment_mode_of(loan: Loan) -> str:
    return loan.prepayment_mode


@transaction.atomic  # not durable: it joins lending's settlement transaction when there is one
def loan_open(
    *,
    payout_order_id: int,
    borrower_id: int,
    application_reference: str,
    product_code: str,
    principal: Decimal,
    annual_rate: Decimal,
    term: int,
    method: str,
    disbursed_on: date,
    first_due_on: date | None,
    day_count: str,
    penalty_multiplier: Decimal,
    grace_days: int,
    allocation_strategy: str,
    prepayment_mode: str,
    fundings: Sequence[Funding],
    debit_account: str,
    channel: str | None = None,
    grade: str = "",
    scorecard_version: str = "",
    apr_ceiling: Decimal = DEFAULT_APR_CEILING,
    rollover_limit: int = DEFAULT_ROLLOVER_LIMIT,
    write_off_dpd: int = DEFAULT_WRITE_OFF_DPD,
    rule_set: str | None = None,
) -> Loan:
    """Open the loan a successful payout paid out: schedule, funder shares and splits, the disbursement journal.

    Idempotent per ``payout_order_id``: a second delivery returns the first loan (the same terms asked again)
    or refuses (`LoanOpenConflict`) when the terms differ. Joins the caller's transaction (lending's
    settlement handler); the journal is Dr 1303 (our funded part) + Dr 2241.<partner> (each partner's) /
    Cr 1012.<channel> (DOMAIN.md §8).
    """
    existing = Loan.objects.filter(payout_order_id=payout_order_id).first()
    if existing is not None:
        return _same_loan_or_conflict(existing, borrower_id=borrower_id, principal=principal)
    ordered = _ordered_fundings(fundings)
    shares = [funding.share for funding in ordered]
    if allocation_strategy not in ALLOCATION_STRATEGIES:
        raise UnknownAllocationStrategy(
            _("allocation_strategy is not one servicing knows: %(value)s") % {"value": allocation_strategy},
            field="allocation_strategy",
        )
    if prepayment_mode not in PREPAYMENT_MODES:
        raise UnknownPrepaymentMode(
            _("prepayment_mode is not one servicing knows: %(value)s") % {"value": prepayment_mode},
            field="prepayment_mode",
        )
    schedule = build_schedule(
        principal=principal,
        annual_rate=annual_rate,
        term=term,
        method=method,
        disbursed_on=disbursed_on,
        first_due_on=first_due_on,
        day_count=day_count,
    )
    funded = colending.funded_amounts(principal=schedule.principal, shares=shares)
    if funded[0] < (schedule.principal * MIN_OWN_SHARE):
        raise InvalidFunding(
            _("Our own share must be at least 30%% of every co-funded loan (REG_COFUND_RATIO)."),
            limit=str(MIN_OWN_SHARE),
            actual=str(shares[0]),
        )
    penalty_rate = capped_penalty_rate(annual_rate=annual_rate, multiplier=penalty_multiplier, ceiling=apr_ceiling)
    channel = channel or _payout_channel(payout_order_id)
    try:
        with transaction.atomic():
            loan = Loan.objects.create(
                payout_order_id=payout_order_id,
                borrower_id=borrower_id,
                application_reference=application_reference,
                product_code=product_code,
                grade=grade,
                scorecard_version=scorecard_version,
                principal=schedule.principal,
                annual_rate=schedule.annual_rate,
                term=len(schedule.installments),
                method=method,
                day_count=day_count,
                disbursed_on=disbursed_on,
                first_due_on=schedule.installments[0].due_date,
                maturity_on=schedule.maturity_date,
                level_payment=schedule.level_payment,
                level_principal=schedule.level_principal,
                first_period_days=schedule.first_period_days,
                penalty_multiplier=penalty_multiplier,
                penalty_rate=penalty_rate,
                apr_ceiling=apr_ceiling,
                rule_set=rule_set or settings.REGULATORY_RULESET,
                grace_days=grace_days,
                allocation_strategy=allocation_strategy,
                prepayment_mode=prepayment_mode,
                rollover_limit=rollover_limit,
                write_off_dpd=write_off_dpd,
                debit_account=debit_account,
                shares=[str(share) for share in shares],
                lead_partner=ordered[1].partner_code if len(ordered) > 1 else "",
                outstanding_principal=schedule.principal,
                own_outstanding_principal=funded[0],
                cob_date=disbursed_on,
            )
    except IntegrityError:
        # A concurrent delivery of the same payout committed first; the unique key made us wait for it.
        existing = Loan.objects.filter(payout_order_id=payout_order_id).first()
        if existing is None:
            raise
        return _same_loan_or_conflict(existing, borrower_id=borrower_id, principal=principal)
    funding_rows = LoanFunding.objects.bulk_create(
        LoanFunding(
            loan=loan,
            position=position,
            partner_code=funding.partner_code,
            is_own=funding.is_own,
            share=funding.share,
            funded_principal=amount,
            outstanding_principal=amount,
        )
        for position, (funding, amount) in enumerate(zip(ordered, funded, strict=True))
    )
    installments_lay(loan=loan, schedule=schedule, fundings=funding_rows, remaining=funded)
    if debit_account:
        DebitAgreement.objects.create(loan=loan, account=debit_account, signed_on=disbursed_on)
    legs = posting.Legs()
    for funding_row in funding_rows:
        legs.debit(funding_row.account, funding_row.funded_principal)
    legs.credit(f"1012.{channel}", schedule.principal)
    journal_id = posting.post(
        legs,
        kind="LOAN_DISBURSED",
        reference=f"loan:{loan.pk}",
        posted_on=disbursed_on,
        idempotency_key=f"loan-open:{payout_order_id}",
    )
    # The allowance of a new loan in bucket C (later moves: close-of-business for loans with dues, and payments).
    provision = (funded[0] * conf.provision_rates()["C"]).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    posting.post(
        posting.Legs().move(debit="6701", credit="1304", amount=provision),
        kind="LOSS_PROVISION",
        reference=f"loan:{loan.pk}",
        posted_on=disbursed_on,
        idempotency_key=f"provision:loan-open:{payout_order_id}",
    )
    Loan.objects.filter(pk=loan.pk).update(provision_amount=provision)
    loan.provision_amount = provision
    LoanEvent.objects.create(
        loan=loan,
        kind=LoanEvent.Kind.OPENED,
        business_date=disbursed_on,
        details={
            "payout_order_id": payout_order_id,
            "journal_id": journal_id,
            "funded": {row.partner_code: str(row.funded_principal) for row in funding_rows},
            "penalty_rate": str(penalty_rate),
        },
    )
    # A payout confirmed after close-of-business already ran past its date: close those dates for this loan
    # now, so it never sits behind the business date with days of interest unaccrued.
    from .cob import loan_catch_up

    locks.loan_for_update(loan.pk)
    loan_catch_up(loan=loan)
    return loan


def installments_lay(
    *,
    loan: Loan,
    schedule: Schedule,
    fundings: Sequence[LoanFunding],
    remaining: Sequence[Decimal],
    number_offset: int = 0,
) -> list[Installment]:
    """Write a schedule's installments and each funder's split of them (DOMAIN.md §5).

    Principal: in proportion to each funder's ``remaining`` principal, the last installment giving each
    exactly what it has left; interest: by share, largest remainder.
    """
    shares = [funding.share for funding in fundings]
    principal_splits = colending.split_schedule_principal(
        installment_principals=[row.principal for row in schedule.installments], funded=list(remaining)
    )
    rows = []
    interest_splits = []
    for row in schedule.installments:
        interest_split = colending.split_amount(amount=row.interest, shares=shares)
        interest_splits.append(interest_split)
        rows.append(
            Installment(
                loan=loan,
                number=row.number + number_offset,
                period_start=row.period_start,
                due_date=row.due_date,
                principal=row.principal,
                interest=row.interest,
                own_interest=interest_split[0],
                penalty_base_on=row.due_date,
            )
        )
    installments = Installment.objects.bulk_create(rows)
    InstallmentShare.objects.bulk_create(
        InstallmentShare(installment=installment, funding=funding, principal=principal_part, interest=interest_part)
        for installment, principal_split, interest_split in zip(
            installments, principal_splits, interest_splits, strict=True
        )
        for funding, principal_part, interest_part in zip(fundings, principal_split, interest_split, strict=True)
    )
    return installments


def _ordered_fundings(fundings: Sequence[Funding]) -> list[Funding]:
    """Ours first, then the partners in the order given (lending lists them by id): the tie-break order of §5."""
    own = [funding for funding in fundings if funding.is_own]
    partners = [funding for funding in fundings if not funding.is_own]
    codes = [funding.partner_code for funding in fundings]
    if len(own) != 1 or len(set(codes)) != len(codes):
        raise InvalidFunding(_("A loan needs exactly one own share and each partner once."), field="fundings")
    shares = [Decimal(funding.share) for funding in fundings]
    if sum(shares) != 1 or any(share < 0 for share in shares):
        raise InvalidFunding(_("Funding shares must be between 0 and 1 and sum to exactly 1."), field="fundings")
    if own[0].share < MIN_OWN_SHARE:
        raise InvalidFunding(
            _("Our own share must be at least 30%% of every co-funded loan (REG_COFUND_RATIO)."),
            limit=str(MIN_OWN_SHARE),
            actual=str(own[0].share),
        )
    ordered = own + partners
    return [Funding(partner_code=f.partner_code, share=Decimal(f.share), is_own=f.is_own) for f in ordered]


def _same_loan_or_conflict(loan: Loan, *, borrower_id: int, principal: Decimal) -> Loan:
    if loan.borrower_id != borrower_id or loan.principal != Decimal(principal):
        raise LoanOpenConflict(
            _("This payout already opened a loan with other terms."),
            loan_id=loan.pk,
            payout_order_id=loan.payout_order_id,
        )
    return loan


def _payout_channel(payout_order_id: int) -> str:
    """The channel the payout went through: its clearing sub-account is the credit side of the disbursement."""
    from payments.models import PaymentOrder

    channel = PaymentOrder.objects.filter(pk=payout_order_id).values_list("channel", flat=True).first()
    return channel or "BANK_SIM"
