"""Accept: caps re-checked under the borrower's lock, funding split, one payout, the settlement handler."""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection

from lending import services
from lending.exceptions import ConsentMissing, RegulatoryCheckFailed
from lending.models import Application, ApplicationEvent, Contract
from payments.handlers import SettledOrder
from payments.models import PaymentOrder
from tests.lending import factories

SHANGHAI = ZoneInfo("Asia/Shanghai")
MONDAY = datetime(2024, 1, 15, 10, 0, tzinfo=SHANGHAI)
CONSENTS = {
    "contract_terms": True,
    "repayment_authorisation": True,
    "credit_report": True,
    "personal_information": True,
}

pytestmark = pytest.mark.usefixtures("scorecard")


def approved(borrower, product, amount, *, at=MONDAY, term=12):
    application = services.application_submit(
        borrower_id=borrower.pk, product_code=product.code, amount=amount, term=term, submitted_at=at
    )
    assert application.outcome == "APPROVED", application.decision.reasons
    return application


def accept(application, at=None):
    return services.application_accept(
        application_id=application.pk,
        borrower_id=application.borrower_id,
        consents=CONSENTS,
        accepted_at=at or application.submitted_at + timedelta(minutes=5),
    )


def settled(order: PaymentOrder, state: str) -> SettledOrder:
    return SettledOrder(
        order_id=order.pk,
        kind=order.kind,
        purpose=order.purpose,
        reference=order.reference,
        amount=order.amount,
        state=state,
        channel=order.channel,
        channel_serial="SIM-1",
        settled_at=MONDAY + timedelta(hours=1),
        idempotency_key=order.idempotency_key,
    )


def test_accepting_signs_the_contract_and_creates_one_payout_of_the_whole_principal(borrower, cash_product):
    application = accept(approved(borrower, cash_product, "5000.00"))

    assert application.status == "DISBURSING"
    contract = application.contract
    order = PaymentOrder.objects.get(pk=contract.payout_order_id)
    assert (order.amount, order.purpose, order.reference) == (Decimal("5000.00"), "LOAN_DISBURSEMENT", contract.number)
    assert order.idempotency_key == contract.payout_idempotency_key
    assert order.counterparty_account == borrower.bank_card
    assert PaymentOrder.objects.count() == 1
    assert [e.action for e in application.events.all()][-2:] == ["OFFER_ACCEPTED", "DISBURSING"]
    assert set(contract.consents) == set(CONSENTS)


def test_the_contract_shows_the_apr_before_any_other_figure(borrower, cash_product):
    contract = accept(approved(borrower, cash_product, "5000.00")).contract

    html = contract.html
    apr_at = html.index('id="contract-apr"')
    assert apr_at < html.index('id="contract-principal"') < html.index('id="contract-schedule"')
    assert "%" in html[apr_at : apr_at + 400]


def test_accepting_twice_changes_nothing(borrower, cash_product):
    application = accept(approved(borrower, cash_product, "5000.00"))

    again = accept(application)

    assert again.status == "DISBURSING"
    assert PaymentOrder.objects.count() == 1
    assert Contract.objects.count() == 1


def test_every_consent_must_be_given(borrower, cash_product):
    application = approved(borrower, cash_product, "5000.00")

    with pytest.raises(ConsentMissing) as error:
        services.application_accept(
            application_id=application.pk,
            borrower_id=borrower.pk,
            consents={**CONSENTS, "credit_report": False},
            accepted_at=MONDAY + timedelta(minutes=5),
        )

    assert set(error.value.details) == {"credit_report"}
    application.refresh_from_db()
    assert application.status == "DECIDED"


def test_caps_are_rechecked_at_accept_on_the_exposure_then(cash_product):
    applicant = factories.borrower(income="90000.00")
    first = approved(applicant, cash_product, "20000.00")
    second = approved(applicant, cash_product, "20000.00", at=MONDAY + timedelta(hours=1))
    accept(first)

    with pytest.raises(RegulatoryCheckFailed) as error:
        accept(second)

    [violation] = error.value.details["violations"]
    assert violation["code"] == "REG_NP_BALANCE_CAP"
    assert (violation["limit"], violation["actual"]) == ("30000.00", "40000.00")
    second.refresh_from_db()
    assert second.status == "DECIDED"
    assert not Contract.objects.filter(application=second).exists()


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_accepts_of_20000_with_10000_outstanding_exactly_one_disburses(scorecard):
    product = factories.product("CASH12")
    applicant = factories.borrower(income="90000.00")
    accept(approved(applicant, product, "10000.00"))  # 10,000 already on its way to the borrower
    offers = [approved(applicant, product, "20000.00", at=MONDAY + timedelta(days=d)) for d in (1, 2)]
    barrier = threading.Barrier(2)

    def try_accept(application):
        try:
            barrier.wait(10)
            accept(application)
            return "ACCEPTED"
        except RegulatoryCheckFailed as exc:
            return exc.code
        finally:
            connection.close()

    with ThreadPoolExecutor(2) as pool:
        results = sorted(pool.map(try_accept, offers))

    assert results == ["ACCEPTED", "REG_NP_BALANCE_CAP"]
    statuses = sorted(Application.objects.filter(pk__in=[o.pk for o in offers]).values_list("status", flat=True))
    assert statuses == ["DECIDED", "DISBURSING"]
    assert PaymentOrder.objects.count() == 2


def test_colending_splits_ours_first_rounded_up_and_books_the_partners_funding(borrower, colending_product):
    application = accept(approved(borrower, colending_product, "10000.01"))

    fundings = list(application.contract.fundings.order_by("-is_own", "partner_id"))
    assert [(f.partner.code, f.funded_amount) for f in fundings] == [
        ("OWN", Decimal("3000.01")),
        ("ICBC", Decimal("4000.00")),
        ("CMB", Decimal("3000.00")),
    ]
    assert sum(f.share for f in fundings) == Decimal("1")
    assert sum(f.funded_amount for f in fundings) == application.contract.principal
    assert fundings[0].funded_amount / application.contract.principal >= Decimal("0.30")
    from ledger.selectors import account_balance

    assert account_balance(account="2241.ICBC") == Decimal("4000.00")
    assert account_balance(account="2241.CMB") == Decimal("3000.00")


def test_a_partner_over_its_concentration_limit_is_refused(borrower):
    own = factories.own_entity()
    tight = factories.partner_bank("TIGHT", limit="5000.00")
    product = factories.product("COLEND2", fundings=[(own, "0.5"), (tight, "0.5")])
    application = approved(borrower, product, "10000.02")

    with pytest.raises(RegulatoryCheckFailed) as error:
        accept(application)

    [violation] = error.value.details["violations"]
    assert violation["code"] == "REG_PARTNER_CONCENTRATION"
    assert (violation["limit"], violation["actual"]) == ("5000.00", "5000.01")


def test_a_failed_payout_marks_the_application_and_returns_the_partners_funding(borrower, colending_product):
    from ledger.selectors import account_balance

    application = accept(approved(borrower, colending_product, "10000.00"))
    order = PaymentOrder.objects.get(pk=application.contract.payout_order_id)

    services.disbursement_settle(settled(order, "FAILED"))

    application.refresh_from_db()
    assert application.status == "DISBURSEMENT_FAILED"
    assert application.contract.loan_id is None
    assert account_balance(account="2241.ICBC") == Decimal("0.00")
    assert application.events.last().action == ApplicationEvent.Action.DISBURSEMENT_FAILED


def test_an_order_not_yet_final_leaves_the_application_disbursing(borrower, cash_product):
    application = accept(approved(borrower, cash_product, "5000.00"))
    order = PaymentOrder.objects.get(pk=application.contract.payout_order_id)

    services.disbursement_settle(settled(order, "PROCESSING"))

    application.refresh_from_db()
    assert application.status == "DISBURSING"


def test_a_second_delivery_of_the_same_final_state_changes_nothing(borrower, cash_product):
    application = accept(approved(borrower, cash_product, "5000.00"))
    order = PaymentOrder.objects.get(pk=application.contract.payout_order_id)
    services.disbursement_settle(settled(order, "FAILED"))
    events = application.events.count()

    services.disbursement_settle(settled(order, "FAILED"))

    assert application.events.count() == events


def test_a_successful_payout_opens_the_loan_in_servicing_with_the_contract_terms(borrower, colending_product):
    from repayment.models import Loan

    application = accept(approved(borrower, colending_product, "12000.00"))
    order = PaymentOrder.objects.get(pk=application.contract.payout_order_id)

    services.disbursement_settle(settled(order, "SUCCEEDED"))

    application.refresh_from_db()
    assert application.status == "DISBURSED"
    loan = Loan.objects.get(pk=application.contract.loan_id)
    contract = application.contract
    assert (loan.principal, loan.annual_rate, loan.term, loan.method) == (
        contract.principal,
        contract.annual_rate,
        contract.term,
        contract.method,
    )
    assert loan.borrower_id == borrower.pk
    assert loan.payout_order_id == order.pk
    shares = {f.partner_code: f.share for f in loan.fundings.all()}
    assert shares == {"OWN": Decimal("0.3"), "ICBC": Decimal("0.4"), "CMB": Decimal("0.3")}
    assert sum(shares.values()) == 1
    assert application.contract.disbursed_on == (MONDAY + timedelta(hours=1)).date()


def test_the_loan_carries_the_products_servicing_terms_and_the_rule_sets_limits(borrower, cash_product, settings):
    from repayment.models import Loan

    settings.REGULATORY_RULESET = "CN_MICROLOAN_2020"
    cash_product.rollover_limit = 5  # more than the rule set allows: the rule set's 2 wins
    cash_product.write_off_dpd = 121
    cash_product.save()
    application = accept(approved(borrower, cash_product, "6000.00"))
    order = PaymentOrder.objects.get(pk=application.contract.payout_order_id)

    services.disbursement_settle(settled(order, "SUCCEEDED"))

    application.refresh_from_db()
    loan = Loan.objects.get(pk=application.contract.loan_id)
    assert loan.allocation_strategy == "OLDEST_FIRST"  # the product default (penalty → interest → principal)
    assert (loan.rollover_limit, loan.write_off_dpd) == (2, 121)
    assert (loan.apr_ceiling, loan.rule_set) == (Decimal("0.240000"), "CN_MICROLOAN_2020")
    assert (loan.grade, loan.scorecard_version) == (application.offer.grade, application.decision.scorecard_version)
    assert loan.grade
    assert loan.scorecard_version


def test_a_product_may_allow_fewer_rollovers_than_the_rule_set(borrower, cash_product):
    from repayment.models import Loan

    cash_product.rollover_limit = 0
    cash_product.save()
    application = accept(approved(borrower, cash_product, "6000.00"))
    order = PaymentOrder.objects.get(pk=application.contract.payout_order_id)

    services.disbursement_settle(settled(order, "SUCCEEDED"))

    application.refresh_from_db()
    assert Loan.objects.get(pk=application.contract.loan_id).rollover_limit == 0


def test_a_second_success_delivery_opens_no_second_loan(borrower, cash_product):
    from repayment.models import Loan

    application = accept(approved(borrower, cash_product, "5000.00"))
    order = PaymentOrder.objects.get(pk=application.contract.payout_order_id)

    services.disbursement_settle(settled(order, "SUCCEEDED"))
    services.disbursement_settle(settled(order, "SUCCEEDED"))

    assert Loan.objects.count() == 1


def test_a_payout_of_another_amount_than_the_principal_is_refused(borrower, cash_product):
    from dataclasses import replace

    from lending.services.disbursement import PayoutAmountMismatch

    application = accept(approved(borrower, cash_product, "5000.00"))
    order = PaymentOrder.objects.get(pk=application.contract.payout_order_id)

    with pytest.raises(PayoutAmountMismatch):
        services.disbursement_settle(replace(settled(order, "SUCCEEDED"), amount=Decimal("4500.00")))

    application.refresh_from_db()
    assert application.status == "DISBURSING"


def test_income_90000_with_10000_outstanding_on_a_real_loan_caps_at_20000_00(cash_product):
    """DOMAIN.md §4 worked case, with the 10,000 outstanding on a loan servicing really opened."""
    applicant = factories.borrower(income="90000.00")
    first = accept(approved(applicant, cash_product, "10000.00"))
    order = PaymentOrder.objects.get(pk=first.contract.payout_order_id)
    services.disbursement_settle(settled(order, "SUCCEEDED"))

    at = MONDAY + timedelta(days=1)
    ok = services.application_submit(
        borrower_id=applicant.pk, product_code="CASH12", amount="20000.00", term=12, submitted_at=at
    )
    over = services.application_submit(
        borrower_id=applicant.pk, product_code="CASH12", amount="20000.01", term=12, submitted_at=at
    )

    assert ok.outcome == "APPROVED"
    assert over.outcome == "REJECTED"
    [cap] = [r for r in over.decision.reasons if r["code"] == "REG_NP_BALANCE_CAP"]
    assert (cap["limit"], cap["actual"]) == ("30000.00", "30000.01")


def test_the_contract_states_the_penalty_rate_capped_by_the_ceiling(borrower, cash_product):
    cash_product.penalty_multiplier = Decimal("3.00")
    cash_product.save()

    contract = accept(approved(borrower, cash_product, "5000.00")).contract

    assert "24.00%" in contract.html  # min(rate × 3, the 24% ceiling)


def test_a_payout_reversed_after_success_is_recorded_once(borrower, cash_product):
    application = accept(approved(borrower, cash_product, "5000.00"))
    order = PaymentOrder.objects.get(pk=application.contract.payout_order_id)
    services.disbursement_settle(settled(order, "SUCCEEDED"))

    services.disbursement_settle(settled(order, "REVERSED"))
    services.disbursement_settle(settled(order, "REVERSED"))

    application.refresh_from_db()
    assert application.status == "DISBURSED"
    assert application.events.filter(action="PAYOUT_REVERSED").count() == 1
