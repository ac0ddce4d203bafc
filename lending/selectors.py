"""Reads for origination: products, a borrower's applications, the facts a decision needs, the review queue."""

import threading
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db import connection
from django.db.models import Prefetch, QuerySet, Sum
from django.utils import timezone

from common.sql import instance_from_row, select_list
from repayment import selectors as repayment_selectors
from repayment.models import Loan
from risk_models.models import ScorecardVersion
from underwriting.facts import ApplicationFacts, ProductTerms
from underwriting.models import BlacklistEntry

from .exceptions import ApplicationNotFound
from .models import Application, Borrower, ContractFunding, FundingPartner, Offer, Product, ProductFunding, ProductRate
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


def _table(model) -> str:
    return model._meta.db_table


def _column(model, name: str) -> str:
    return model._meta.get_field(name).column


# The product's row version: the product row, its rates, its fundings and their partners (xmin, ctid of each).
# Any insert, update or delete of one of them — committed or in our own transaction — changes it, so the
# terms cached for a product are used only while they are exactly the rows in the database.
_PRODUCT_STAMP = f"""
    concat_ws('|', p.id, p.xmin, p.ctid,
        (SELECT string_agg(concat_ws(':', r.id, r.xmin, r.ctid), ',' ORDER BY r.id)
           FROM {_table(ProductRate)} r WHERE r.product_id = p.id),
        (SELECT string_agg(concat_ws(':', f.id, f.xmin, f.ctid, fp.xmin, fp.ctid), ',' ORDER BY f.id)
           FROM {_table(ProductFunding)} f JOIN {_table(FundingPartner)} fp ON fp.id = f.partner_id
          WHERE f.product_id = p.id))
"""  # noqa: S608 — composed of constants; values are bound parameters

# Everything a decision needs that is not in the request, in one round trip (the application API's hot path):
# the borrower, an application already made with this idempotency key, the applications of the last 30 days
# (`_recent_history`'s rules), the offers in flight or paid out (exposure and DTI, as `_our_offers` and
# `_monthly_installments` compute them), servicing's outstanding principal and DPD (as
# `repayment.selectors.borrower_outstanding_principal` / `borrower_max_dpd`), the blacklist (as
# `underwriting.selectors.is_blacklisted`), which scorecard is active and the product's row version.
# tests/lending/test_application_facts.py holds the two ways of computing the facts equal.
_APPLICANT_SQL = f"""
SELECT {select_list(Borrower, "b")},
    (SELECT a.id FROM {_table(Application)} a
      WHERE a.borrower_id = b.id AND a.idempotency_key = %(idempotency_key)s) AS existing_application_id,
    history.in_7, history.in_30, history.last_rejected_at,
    offers.disbursing, offers.monthly_installments,
    loans.outstanding, loans.max_dpd,
    EXISTS (SELECT 1 FROM {_table(BlacklistEntry)} x WHERE x.id_number = upper(btrim(b.id_number))) AS blacklisted,
    (SELECT v.id FROM {_table(ScorecardVersion)} v
      WHERE v.status = 'ACTIVE' AND v.product_code = '') AS active_scorecard_id,
    product.id AS product_row_id, product.stamp AS product_stamp
FROM {_table(Borrower)} b
CROSS JOIN LATERAL (
    SELECT count(*) FILTER (WHERE a.submitted_at >= %(since_7)s) AS in_7, count(*) AS in_30,
           max(a.decided_at) FILTER (WHERE a.outcome = %(rejected)s) AS last_rejected_at
      FROM {_table(Application)} a
     WHERE a.borrower_id = b.id AND a.submitted_at >= %(since_30)s AND a.submitted_at <= %(before)s
       AND a.id IS DISTINCT FROM %(excluding_id)s
) history
CROSS JOIN LATERAL (
    SELECT coalesce(sum(o.amount) FILTER (WHERE a.status = ANY(%(in_flight)s)), 0.00) AS disbursing,
           coalesce(sum(s.largest_payment) FILTER (WHERE s.maturity >= %(decided_on)s), 0.00)
               AS monthly_installments
      FROM {_table(Offer)} o
      JOIN {_table(Application)} a ON a.id = o.application_id
     CROSS JOIN LATERAL (
           SELECT max((i ->> 'payment')::numeric) AS largest_payment,
                  (o.schedule -> -1 ->> 'due_date')::date AS maturity
             FROM jsonb_array_elements(o.schedule) i
     ) s
     WHERE a.borrower_id = b.id AND a.status = ANY(%(contracted)s) AND a.id IS DISTINCT FROM %(excluding_id)s
) offers
CROSS JOIN LATERAL (
    SELECT coalesce(sum(l.{_column(Loan, "outstanding_principal")}), 0.00) AS outstanding,
           coalesce(max(l.{_column(Loan, "dpd")}), 0) AS max_dpd
      FROM {_table(Loan)} l
     WHERE l.{_column(Loan, "borrower_id")} = b.id AND l.{_column(Loan, "status")} = %(loan_active)s
) loans
LEFT JOIN LATERAL (
    SELECT p.id, {_PRODUCT_STAMP} AS stamp
      FROM {_table(Product)} p WHERE p.code = %(product_code)s AND p.is_active
) product ON true
WHERE b.id = %(borrower_id)s
"""  # noqa: S608 — composed of constants; values are bound parameters


@dataclass(frozen=True)
class Applicant:
    """The borrower with every fact about them a decision reads from the database (one query)."""

    borrower: Borrower
    existing_application_id: int | None
    applications_last_7_days: int
    applications_last_30_days: int
    last_rejected_on: date | None
    disbursing_amount: Decimal
    monthly_installments: Decimal
    outstanding_principal: Decimal
    max_dpd: int
    is_blacklisted: bool
    active_scorecard_id: int | None
    product: Product | None


def applicant_get(
    *,
    borrower_id: int,
    product_code: str,
    at: datetime,
    idempotency_key: str | None = None,
    excluding_application_id: int | None = None,
) -> Applicant:
    """The borrower and the facts about them at `at`: one round trip, the product's terms from this process's
    cache while its rows are unchanged."""
    decided_on = timezone.localdate(at)
    params = {
        "borrower_id": borrower_id,
        "idempotency_key": idempotency_key,
        "since_7": at - timedelta(days=7),
        "since_30": at - timedelta(days=30),
        "before": at,
        "rejected": Application.Outcome.REJECTED,
        "excluding_id": excluding_application_id,
        "in_flight": list(Application.IN_FLIGHT),
        "contracted": [*Application.IN_FLIGHT, Application.Status.DISBURSED],
        "decided_on": decided_on,
        "loan_active": Loan.Status.ACTIVE,
        "product_code": product_code,
    }
    with connection.cursor() as cursor:
        cursor.execute(_APPLICANT_SQL, params)
        row = cursor.fetchone()
    if row is None:
        raise Borrower.DoesNotExist(f"No borrower {borrower_id}.")
    width = len(Borrower._meta.concrete_fields)
    (
        existing_application_id,
        in_7,
        in_30,
        last_rejected_at,
        disbursing,
        monthly_installments,
        outstanding,
        max_dpd,
        blacklisted,
        active_scorecard_id,
        product_id,
        product_stamp,
    ) = row[width:]
    product = None
    if product_id is not None:
        product = _product_cached(code=product_code, stamp=product_stamp)
    return Applicant(
        borrower=instance_from_row(Borrower, row[:width]),
        existing_application_id=existing_application_id,
        applications_last_7_days=in_7,
        applications_last_30_days=in_30,
        last_rejected_on=timezone.localdate(last_rejected_at) if last_rejected_at else None,
        disbursing_amount=disbursing,
        monthly_installments=monthly_installments,
        outstanding_principal=outstanding,
        max_dpd=max_dpd,
        is_blacklisted=blacklisted,
        active_scorecard_id=active_scorecard_id,
        product=product,
    )


_products: dict[str, tuple[str, Product, ProductTerms]] = {}
_products_lock = threading.Lock()


def _product_cached(*, code: str, stamp: str) -> Product | None:
    """The active product `code` with its rates and fundings loaded, read again only when a row changed."""
    cached = _products.get(code)
    if cached is None or cached[0] != stamp:
        with _products_lock:
            product = product_get_active(code=code)
            if product is None:
                return None
            # The stamp read with the facts names the rows this copy was loaded from only if nothing changed in
            # between; if something did, the next request sees another stamp and loads it again.
            cached = (stamp, product, product_terms(product=product))
            _products[code] = cached
    return cached[1]


def product_terms_cached(*, product: Product) -> ProductTerms:
    cached = _products.get(product.code)
    if cached is not None and cached[1] is product:
        return cached[2]
    return product_terms(product=product)


def application_facts(*, application: Application, applicant: Applicant | None = None) -> ApplicationFacts:
    """What the engine decides on. `applicant` is what `applicant_get` read for this application (the API's
    path); without it the facts are read here."""
    borrower = application.borrower
    if applicant is None:
        applicant = applicant_get(
            borrower_id=borrower.pk,
            product_code=application.product.code,
            at=application.submitted_at,
            excluding_application_id=application.pk,
        )
    decided_on = timezone.localdate(application.submitted_at)
    characteristics = {**borrower.characteristics, **application.characteristics}
    return ApplicationFacts(
        applicant_key=str(borrower.pk),
        application_reference=application.reference,
        decided_on=decided_on,
        product=product_terms_cached(product=application.product),
        requested_amount=application.requested_amount,
        term=application.term,
        purpose=application.purpose,
        date_of_birth=borrower.date_of_birth,
        is_student=borrower.is_student,
        employment=borrower.employment,
        average_annual_income=application.annual_income,
        income_evidence=borrower.income_evidence,
        monthly_debt_payments=borrower.monthly_debt_payments + applicant.monthly_installments,
        outstanding_principal=applicant.outstanding_principal,
        disbursing_amount=applicant.disbursing_amount,
        max_dpd=applicant.max_dpd,
        is_blacklisted=applicant.is_blacklisted,
        last_rejected_on=applicant.last_rejected_on,
        applications_last_7_days=applicant.applications_last_7_days,
        applications_last_30_days=applicant.applications_last_30_days,
        borrower_kind=borrower.kind,
        characteristics=scoring_inputs(
            answers=characteristics,
            amount=application.requested_amount,
            term=application.term,
            age=_age(borrower.date_of_birth, decided_on),
            scorecard_id=applicant.active_scorecard_id,
        ),
    )


def _age(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def borrower_applications(*, borrower_id: int) -> QuerySet[Application]:
    return (
        Application.objects.filter(borrower_id=borrower_id)
        .select_related("product", "offer", "decision", "contract")
        .order_by("-submitted_at", "-id")
    )


def application_get(*, application_id: int) -> Application:
    return Application.objects.select_related("borrower", "product", "decision").get(pk=application_id)


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
