"""The LOAN_DISBURSEMENT settlement handler: the payout reached a final state.

Delivered by the payments outbox worker, outside the payments transaction, possibly more than once:
keyed by the order, a second delivery finds the application already settled and does nothing.
- SUCCEEDED → the application is paid out and servicing opens the loan (`repayment.services.loan_open`),
  in one transaction;
- FAILED → the application says so, the partners' funding is returned (reversing journal) and no loan
  is booked;
- anything else is not final: the application stays DISBURSING until the payment core resolves it.
"""

import logging
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ledger.services import journal_reverse
from payments.handlers import SettledOrder
from repayment.services import Funding, loan_open
from underwriting import regulation
from underwriting.rulesets import rule_set_get

from ..exceptions import LendingError
from ..models import Application, ApplicationEvent, Contract
from ._audit import record_event, transition

SUCCEEDED = "SUCCEEDED"
FAILED = "FAILED"
REVERSED = "REVERSED"
logger = logging.getLogger(__name__)


class PayoutAmountMismatch(LendingError):
    """REG_UPFRONT_DEDUCTION: what was paid out must be the contract principal to the fen."""

    code = "REG_UPFRONT_DEDUCTION"


@transaction.atomic(durable=True)
def disbursement_settle(order: SettledOrder) -> Application | None:
    contract = (
        Contract.objects.select_for_update(of=("self",))
        .select_related("application__product", "application__borrower")
        .filter(payout_order_id=order.order_id)
        .first()
    ) or Contract.objects.select_for_update(of=("self",)).filter(number=order.reference).first()
    if contract is None:
        raise LendingError(f"No contract for payout order {order.order_id}", code="CONTRACT_NOT_FOUND")
    application = (
        Application.objects.select_for_update(of=("self",))
        .select_related("product", "borrower")
        .get(pk=contract.application_id)
    )
    settled_at = order.settled_at or timezone.now()
    if order.state == REVERSED:
        return _payout_reversed(application, order, settled_at)
    if application.status != Application.Status.DISBURSING:
        return application  # delivered before: the first delivery settled it
    if order.state == SUCCEEDED:
        return _paid_out(application, contract, order, settled_at)
    if order.state == FAILED:
        return _payout_failed(application, contract, order, settled_at)
    return application


def _paid_out(application: Application, contract: Contract, order: SettledOrder, settled_at) -> Application:
    if Decimal(order.amount) != contract.principal:
        raise PayoutAmountMismatch(
            f"Payout {order.order_id} paid {order.amount}, the contract principal is {contract.principal}.",
            limit=contract.principal,
            actual=order.amount,
        )
    product = application.product
    offer = application.offer
    decision = application.decision
    # The rule set the accept re-checked the caps under: the loan carries its ceiling and rollover limit.
    rules = rule_set_get(settings.REGULATORY_RULESET)
    rollover_limit = product.rollover_limit
    if rules.max_rollovers is not None:
        rollover_limit = min(rollover_limit, rules.max_rollovers)
    disbursed_on = timezone.localdate(settled_at)
    loan = loan_open(
        payout_order_id=order.order_id,
        borrower_id=application.borrower_id,
        application_reference=application.reference,
        product_code=product.code,
        principal=contract.principal,
        annual_rate=contract.annual_rate,
        term=contract.term,
        method=contract.method,
        disbursed_on=disbursed_on,
        first_due_on=None,
        day_count=product.day_count,
        penalty_multiplier=product.penalty_multiplier,
        grace_days=product.grace_days,
        allocation_strategy=product.allocation_strategy,
        prepayment_mode=product.prepayment_mode,
        fundings=[
            Funding(partner_code=f.partner.code, share=f.share, is_own=f.is_own)
            for f in contract.fundings.select_related("partner").order_by("-is_own", "partner_id")
        ],
        debit_account=application.borrower.bank_card,
        channel=order.channel,
        grade=offer.grade,
        scorecard_version=decision.scorecard_version if decision else "",
        apr_ceiling=regulation.apr_ceiling(rule_set=rules),
        rollover_limit=rollover_limit,
        write_off_dpd=product.write_off_dpd,
        rule_set=rules.code,
    )
    contract.loan_id = loan.pk
    contract.disbursed_on = disbursed_on
    contract.save(update_fields=["loan_id", "disbursed_on"])
    transition(
        application,
        to=Application.Status.DISBURSED,
        action=ApplicationEvent.Action.DISBURSED,
        at=settled_at,
        data={"loan_id": loan.pk, "payout_order_id": order.order_id, "offer_apr": str(offer.apr)},
    )
    return application


def _payout_reversed(application: Application, order: SettledOrder, settled_at) -> Application:
    """The bank returned a payout it had paid. The loan exists in servicing; what to do with it (reverse it,
    collect, write off) is an operations decision — here it is recorded once, loudly, never silently."""
    already = application.events.filter(
        action=ApplicationEvent.Action.PAYOUT_REVERSED, data__payout_order_id=order.order_id
    ).exists()
    if not already:
        logger.warning("payout %s of %s was reversed by the bank", order.order_id, application.reference)
        record_event(
            application,
            action=ApplicationEvent.Action.PAYOUT_REVERSED,
            at=settled_at,
            data={"payout_order_id": order.order_id, "amount": str(order.amount)},
        )
    return application


def _payout_failed(application: Application, contract: Contract, order: SettledOrder, settled_at) -> Application:
    if contract.partner_funding_journal_id:
        # The partners' money goes back: their funding never became a loan.
        journal_reverse(
            journal_id=contract.partner_funding_journal_id,
            posted_on=timezone.localdate(settled_at),
            reason=f"payout {order.order_id} failed",
        )
    contract.failure_reason = f"payout {order.order_id} {order.state}"
    contract.save(update_fields=["failure_reason"])
    transition(
        application,
        to=Application.Status.DISBURSEMENT_FAILED,
        action=ApplicationEvent.Action.DISBURSEMENT_FAILED,
        at=settled_at,
        data={"payout_order_id": order.order_id},
    )
    return application
