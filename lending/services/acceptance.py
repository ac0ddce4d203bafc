"""Accept an offer: re-check the caps under the borrower's lock, sign the contract, fund it, pay it out once.

Order inside one transaction (DOMAIN.md §4–§5, ARCHITECTURE.md flow 3):
1. lock the borrower (the serialisation point for the balance cap), then the application;
2. re-check the regulator's caps on the exposure now: outstanding + offers in flight + this one — a
   failure is a 409 with every violation, and nothing is written;
3. split the principal between us and the partners (ours rounded up, ≥ 30%), check each partner's
   concentration limit;
4. the contract (its HTML as the borrower saw it), the partners' funding journal (Dr 1002 / Cr 2241.<partner>),
   and ONE payout order keyed by the contract — the payment core submits it after commit.
"""

from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from ledger.services import JournalLine, journal_post
from payments.services import payout_create
from repayment.colending import funded_amounts
from underwriting import regulation

from .. import locks, selectors
from ..exceptions import (
    ApplicationNotFound,
    ConsentMissing,
    FundingNotConfigured,
    OfferNotAcceptable,
    RegulatoryCheckFailed,
)
from ..models import Application, ApplicationEvent, Contract, ContractFunding, ProductFunding
from ._audit import transition
from .applications import new_reference

DISBURSEMENT_PURPOSE = "LOAN_DISBURSEMENT"
REQUIRED_CONSENTS = ("contract_terms", "repayment_authorisation", "credit_report", "personal_information")


def _violations_as_dicts(violations) -> list[dict]:
    return [
        {
            "code": v.code,
            "message": getattr(v, "message", "") or v.code,
            "limit": str(v.limit) if v.limit is not None else None,
            "actual": str(v.actual) if v.actual is not None else None,
            "rule_set": v.rule_set,
        }
        for v in violations
    ]


@transaction.atomic(durable=True)
def application_accept(
    *, application_id: int, borrower_id: int, consents: dict[str, bool], accepted_at: datetime | None = None
) -> Application:
    accepted_at = accepted_at or timezone.now()
    borrower = locks.borrower_for_update(borrower_id)
    application = locks.application_for_update(application_id)
    if application.borrower_id != borrower.pk:
        raise ApplicationNotFound("No such application.")
    if application.status in (*Application.IN_FLIGHT, Application.Status.DISBURSED):
        return application  # accepted already: accepting again changes nothing
    if application.status != Application.Status.DECIDED or application.outcome != Application.Outcome.APPROVED:
        raise OfferNotAcceptable(
            "Only an approved offer can be accepted.", status=application.status, outcome=application.outcome
        )
    offer = application.offer
    if accepted_at > offer.expires_at:
        raise OfferNotAcceptable("This offer has expired; please apply again.", expires_at=offer.expires_at)
    missing = [name for name in REQUIRED_CONSENTS if not consents.get(name)]
    if missing:
        raise ConsentMissing(
            "Every consent must be given explicitly.",
            **{name: [_("You must agree to this to take the loan.")] for name in missing},
        )

    fundings = list(ProductFunding.objects.filter(product=application.product).select_related("partner"))
    own = [f for f in fundings if f.partner.is_own]
    if len(own) != 1 or sum(f.share for f in fundings) != Decimal("1"):
        raise FundingNotConfigured("The product's funding shares must include our own entity and sum to 1.")
    fundings.sort(key=lambda f: (not f.partner.is_own, f.partner.pk))  # ours first, then partners by id
    amounts = funded_amounts(principal=offer.amount, shares=[f.share for f in fundings])

    exposure = selectors.borrower_exposure(borrower_id=borrower.pk, excluding_application_id=application.pk)
    partners = [f.partner for f in fundings if not f.partner.is_own]
    balances = selectors.partner_funded_balances(partner_ids=[p.pk for p in partners])
    violations = regulation.check_loan(
        borrower_kind=borrower.kind,
        requested_amount=offer.amount,
        outstanding_balance=exposure.total,
        average_annual_income=application.annual_income,
        apr=offer.apr,
        own_share=amounts[0] / offer.amount,
        upfront_deduction=Decimal("0"),
        rollovers=0,
        is_student=borrower.is_student,
        has_income=application.annual_income > 0 and borrower.employment != "UNEMPLOYED",
        rule_set=settings.REGULATORY_RULESET,
    )
    violations += regulation.check_cofunding(
        principal=offer.amount, own_amount=amounts[0], rule_set=settings.REGULATORY_RULESET
    )
    for partner, amount in zip(partners, amounts[1:], strict=True):
        violations += regulation.check_partner_concentration(
            partner_code=partner.code,
            current_balance=balances[partner.pk],
            new_amount=amount,
            limit=partner.concentration_limit,
            rule_set=settings.REGULATORY_RULESET,
        )
    if violations:
        raise RegulatoryCheckFailed(_violations_as_dicts(violations))

    contract = _contract_create(application=application, offer=offer, consents=consents, accepted_at=accepted_at)
    for funding, amount in zip(fundings, amounts, strict=True):
        ContractFunding.objects.create(
            contract=contract,
            partner=funding.partner,
            share=funding.share,
            funded_amount=amount,
            is_own=funding.partner.is_own,
        )
    transition(
        application,
        to=Application.Status.OFFER_ACCEPTED,
        action=ApplicationEvent.Action.OFFER_ACCEPTED,
        actor=borrower.user,
        at=accepted_at,
        data={"contract": contract.number, "consents": sorted(REQUIRED_CONSENTS)},
    )

    partner_lines = [
        JournalLine(account=partner.payable_account, credit=amount)
        for partner, amount in zip(partners, amounts[1:], strict=True)
        if amount > 0
    ]
    if partner_lines:
        journal = journal_post(
            lines=[JournalLine(account="1002", debit=sum(line.credit for line in partner_lines)), *partner_lines],
            kind="PARTNER_FUNDING",
            reference=contract.number,
            posted_on=timezone.localdate(accepted_at),
            idempotency_key=f"partner-funding:{contract.number}",
            memo=f"Partners fund their shares of {contract.number}",
        )
        contract.partner_funding_journal_id = journal.pk
    # 141号文: the payout is the whole contract principal — nothing withheld.
    order = payout_create(
        idempotency_key=contract.payout_idempotency_key,
        amount=contract.principal,
        counterparty_account=borrower.bank_card,
        purpose=DISBURSEMENT_PURPOSE,
        reference=contract.number,
    )
    contract.payout_order_id = order.pk
    contract.save(update_fields=["payout_order_id", "partner_funding_journal_id"])
    transition(
        application,
        to=Application.Status.DISBURSING,
        action=ApplicationEvent.Action.DISBURSING,
        at=accepted_at,
        data={"payout_order_id": order.pk, "amount": str(contract.principal)},
    )
    return application


def contract_context(*, application: Application, offer, number: str | None) -> dict:
    """What the contract shows — the same on the offer page and in the signed copy."""
    product = application.product
    return {
        "number": number,
        "borrower": application.borrower,
        "application": application,
        "offer": offer,
        "product": product,
        # DOMAIN.md §4: min(contract rate × multiplier, the rule set's APR ceiling).
        "penalty_rate": regulation.penalty_rate(
            annual_rate=offer.annual_rate, multiplier=product.penalty_multiplier, rule_set=settings.REGULATORY_RULESET
        ),
        "language": translation.get_language(),
    }


def _contract_create(*, application: Application, offer, consents: dict[str, bool], accepted_at: datetime) -> Contract:
    number = new_reference("CT", accepted_at)
    # The contract is kept in the language the borrower read it in.
    html = render_to_string(
        "lending/contract.html",
        {**contract_context(application=application, offer=offer, number=number), "accepted_at": accepted_at},
    )
    return Contract.objects.create(
        application=application,
        number=number,
        principal=offer.amount,
        annual_rate=offer.annual_rate,
        apr=offer.apr,
        term=offer.term,
        method=offer.method,
        html=html,
        consents={name: accepted_at.isoformat() for name in REQUIRED_CONSENTS if consents.get(name)},
        accepted_at=accepted_at,
        payout_idempotency_key=f"LOAN-DISBURSEMENT:{number}",
    )
