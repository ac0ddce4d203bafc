"""Reads for origination: products, a borrower's applications, the facts a decision needs, the review queue."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db.models import Prefetch, QuerySet, Sum
from django.utils import timezone

from repayment import selectors as repayment_selectors
from underwriting import selectors as underwriting_selectors
from underwriting.facts import ApplicationFacts, ProductTerms

from .exceptions import ApplicationNotFound
from .models import Application, ContractFunding, Offer, Product, ProductFunding
from .scoring import scoring_inputs


def product_list_active() -> QuerySet[Product]:
    return (
        Product.objects.filter(is_active=True)
        .prefetch_related("rates", Prefetch("fundings", queryset=ProductFunding.objects.select_related("partner")))
        .order_by("min_amount", "code")
    )


def product_get_active(*, code: str) -> Product | None:
    return product_list_active().filter(code=code).first()


def product_terms(*, product: Product) -> ProductTerms:
    own_share = sum((f.share for f in product.fundings.all() if f.partner.is_own), Decimal("0"))
    return ProductTerms(
        code=product.code,
        min_amount=product.min_amount,
        max_amount=product.max_amount,
        terms=tuple(product.terms),
        method=product.method,
        rates_by_grade={r.grade: r.annual_rate for r in product.rates.all()},
        day_count=product.day_count,
        monthly_fee_rate=product.monthly_fee_rate,
        own_share=own_share if product.fundings.all() else Decimal("1"),
    )


def product_rate_band(*, product: Product) -> tuple[Decimal | None, Decimal | None]:
    rates = [r.annual_rate for r in product.rates.all()]
    return (min(rates), max(rates)) if rates else (None, None)


@dataclass(frozen=True)
class Exposure:
    """DOMAIN.md §4: outstanding principal with us and offers accepted but not yet paid out."""

    outstanding_principal: Decimal
    disbursing_amount: Decimal

    @property
    def total(self) -> Decimal:
        return self.outstanding_principal + self.disbursing_amount


def borrower_exposure(*, borrower_id: int, excluding_application_id: int | None = None) -> Exposure:
    in_flight = Offer.objects.filter(
        application__borrower_id=borrower_id, application__status__in=Application.IN_FLIGHT
    )
    if excluding_application_id is not None:
        in_flight = in_flight.exclude(application_id=excluding_application_id)
    disbursing = in_flight.aggregate(total=Sum("amount"))["total"] or Decimal("0.00")
    outstanding = repayment_selectors.borrower_outstanding_principal(borrower_id=borrower_id)
    return Exposure(outstanding_principal=outstanding, disbursing_amount=disbursing)


def partner_funded_balances(*, partner_ids: list[int]) -> dict[int, Decimal]:
    """Principal each partner funded on contracts in flight or paid out.

    Counted at the funded amount: repayments reduce a partner's real balance, so this errs on the side of the
    limit (a partner is never over-lent because a repayment was booked elsewhere).
    """
    rows = (
        ContractFunding.objects.filter(
            partner_id__in=partner_ids,
            contract__application__status__in=(*Application.IN_FLIGHT, Application.Status.DISBURSED),
        )
        .values("partner_id")
        .annotate(total=Sum("funded_amount"))
    )
    balances = dict.fromkeys(partner_ids, Decimal("0.00"))
    balances.update({row["partner_id"]: row["total"] for row in rows})
    return balances


def _recent_history(*, borrower_id: int, before: datetime, excluding_id: int | None) -> tuple[int, int, date | None]:
    """Applications in the 7 and 30 days before this one, and the last decline in those 30 days (one query).

    The cool-down is shorter than 30 days, so a decline further back can never matter.
    """
    since_30 = before - timedelta(days=30)
    since_7 = before - timedelta(days=7)
    recent = Application.objects.filter(borrower_id=borrower_id, submitted_at__gte=since_30, submitted_at__lte=before)
    if excluding_id is not None:
        recent = recent.exclude(pk=excluding_id)
    rows = list(recent.values_list("submitted_at", "outcome", "decided_at"))
    declined = [decided for _s, outcome, decided in rows if outcome == Application.Outcome.REJECTED and decided]
    last_rejected_on = timezone.localdate(max(declined)) if declined else None
    return sum(1 for submitted, _o, _d in rows if submitted >= since_7), len(rows), last_rejected_on


def application_facts(*, application: Application) -> ApplicationFacts:
    borrower = application.borrower
    decided_on = timezone.localdate(application.submitted_at)
    in_7, in_30, last_rejected_on = _recent_history(
        borrower_id=borrower.pk, before=application.submitted_at, excluding_id=application.pk
    )
    offers = _our_offers(borrower_id=borrower.pk, excluding_application_id=application.pk)
    disbursing = sum((amount for status, amount, _s in offers if status in Application.IN_FLIGHT), Decimal("0.00"))
    characteristics = {**borrower.characteristics, **application.characteristics}
    return ApplicationFacts(
        applicant_key=str(borrower.pk),
        application_reference=application.reference,
        decided_on=decided_on,
        product=product_terms(product=application.product),
        requested_amount=application.requested_amount,
        term=application.term,
        purpose=application.purpose,
        date_of_birth=borrower.date_of_birth,
        is_student=borrower.is_student,
        employment=borrower.employment,
        average_annual_income=application.annual_income,
        income_evidence=borrower.income_evidence,
        monthly_debt_payments=borrower.monthly_debt_payments + _monthly_installments(offers, on=decided_on),
        outstanding_principal=repayment_selectors.borrower_outstanding_principal(borrower_id=borrower.pk),
        disbursing_amount=disbursing,
        max_dpd=repayment_selectors.borrower_max_dpd(borrower_id=borrower.pk),
        is_blacklisted=underwriting_selectors.is_blacklisted(id_number=borrower.id_number),
        last_rejected_on=last_rejected_on,
        applications_last_7_days=in_7,
        applications_last_30_days=in_30,
        borrower_kind=borrower.kind,
        characteristics=scoring_inputs(
            answers=characteristics,
            amount=application.requested_amount,
            term=application.term,
            age=_age(borrower.date_of_birth, decided_on),
        ),
    )


def _our_offers(*, borrower_id: int, excluding_application_id: int | None) -> list[tuple[str, Decimal, list]]:
    """(status, amount, schedule) of the borrower's offers in flight or paid out, in one query."""
    offers = Offer.objects.filter(
        application__borrower_id=borrower_id,
        application__status__in=(*Application.IN_FLIGHT, Application.Status.DISBURSED),
    )
    if excluding_application_id is not None:
        offers = offers.exclude(application_id=excluding_application_id)
    return list(offers.values_list("application__status", "amount", "schedule"))


def _monthly_installments(offers: list[tuple[str, Decimal, list]], *, on: date) -> Decimal:
    """The largest installment of each of this borrower's loans with us (in flight or paid out) not yet matured.

    A loan repaid early still counts until its contractual maturity: the DTI rule errs on the safe side.
    """
    total = Decimal("0.00")
    for _status, _amount, schedule in offers:
        if schedule and date.fromisoformat(schedule[-1]["due_date"]) >= on:
            total += max(Decimal(i["payment"]) for i in schedule)
    return total


def _age(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def borrower_applications(*, borrower_id: int) -> QuerySet[Application]:
    return (
        Application.objects.filter(borrower_id=borrower_id)
        .select_related("product", "offer", "decision", "contract")
        .order_by("-submitted_at", "-id")
    )


def application_get_for_borrower(*, borrower_id: int, application_id: int) -> Application:
    """A borrower sees only their own applications: anyone else's is simply not found (404)."""
    application = borrower_applications(borrower_id=borrower_id).filter(pk=application_id).first()
    if application is None:
        raise ApplicationNotFound("No such application.")
    return application


def application_review_queue(*, officer=None) -> QuerySet[Application]:
    """Oldest first: a referred application should not wait behind newer ones."""
    queue = Application.objects.filter(status__in=Application.REVIEW_QUEUE).select_related(
        "borrower", "product", "decision", "assigned_to"
    )
    if officer is not None:
        queue = queue.filter(assigned_to=officer)
    return queue.order_by("submitted_at", "id")
