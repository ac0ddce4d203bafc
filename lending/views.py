"""Borrower pages (CONTRACT.md §6). Thin: each POST calls one service; errors go back next to their fields."""

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from common.errors import DomainError
from common.money import InvalidAmount, money
from repayment import selectors as repayment_selectors
from underwriting.engine import price
from underwriting.reasons import reason_message

from . import selectors, services
from .exceptions import ConsentMissing, InvalidFields
from .forms import AcceptOfferForm, ApplyForm, InfoProvideForm, SignUpForm
from .models import Application
from .services.acceptance import contract_context


def home(request):
    return render(request, "lending/home.html")


def _borrower_or_none(request):
    return getattr(request.user, "borrower", None) if request.user.is_authenticated else None


@require_http_methods(["GET", "POST"])
def signup(request):
    if _borrower_or_none(request):
        return redirect("lending:apply")
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            borrower = services.borrower_register(**form.service_arguments())
        except InvalidFields as exc:
            form.add_service_errors(exc)
        else:
            login(request, borrower.user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, _("Welcome, %(name)s. Your account is ready.") % {"name": borrower.full_name})
            return redirect("lending:apply")
    return render(request, "lending/signup.html", {"form": form})


def _require_borrower(request):
    borrower = _borrower_or_none(request)
    if borrower is None:
        raise Http404("no borrower profile")
    return borrower


@login_required
@require_http_methods(["GET", "POST"])
def apply(request):
    borrower = _borrower_or_none(request)
    if borrower is None:
        return redirect("lending:signup")
    products = list(selectors.product_list_active())
    initial = {"annual_income": borrower.average_annual_income}
    if products:
        initial |= {"product": products[0].code, "amount": products[0].min_amount, "term": products[0].terms[0]}
    form = ApplyForm(request.POST or None, products=products, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            application = services.application_submit(
                borrower_id=borrower.pk,
                product_code=data["product"],
                amount=data["amount"],
                term=data["term"],
                purpose=data["purpose"],
                annual_income=data["annual_income"],
            )
        except InvalidFields as exc:
            form.add_service_errors(exc)
        except DomainError as exc:  # refused as a whole (e.g. no scorecard active yet): said above the form
            form.add_error(None, exc.message)
        else:
            return redirect("lending:application", application_id=application.pk)
    preview = _preview(form.data if form.is_bound else initial, products)
    return render(request, "lending/apply.html", {"form": form, "preview": preview, "products": products})


def _preview(values, products) -> dict | None:
    """The most the loan can cost (at the product's highest rate): the offer may only be cheaper."""
    product = next((p for p in products if p.code == values.get("product")), None)
    if product is None:
        return None
    try:
        amount = money(values.get("amount"))  # exact, finite, at most two places (no NaN, no exponent)
        term = int(values.get("term"))
    except (InvalidAmount, TypeError, ValueError):
        return {"product": product, "error": _("Enter an amount and a term to see the schedule.")}
    # Another product was chosen: its own terms replace the choices (only then, so that a term the
    # borrower is choosing is never overwritten by a preview still in flight).
    swap_terms = term not in product.terms
    if swap_terms:
        term = product.terms[0]
    if not product.min_amount <= amount <= product.max_amount:
        return {
            "product": product,
            "swap_terms": swap_terms,
            "term": term,
            "error": _("This product lends %(min)s to %(max)s yuan for %(terms)s months.")
            % {"min": product.min_amount, "max": product.max_amount, "terms": ", ".join(map(str, product.terms))},
        }
    min_rate, max_rate = selectors.product_rate_band(product=product)
    terms = price(
        amount=amount,
        annual_rate=max_rate,
        term=term,
        product=selectors.product_terms(product=product),
        start_on=timezone.localdate(),
    )
    return {
        "product": product,
        "terms": terms,
        "term": term,
        "swap_terms": swap_terms,
        "min_rate": min_rate,
        "max_rate": max_rate,
    }


@login_required
def apply_preview(request):
    """htmx partial: the schedule, total cost and APR as amount, term and product change."""
    products = list(selectors.product_list_active())
    return render(request, "lending/_preview.html", {"preview": _preview(request.GET, products)})


@login_required
@require_http_methods(["GET", "POST"])
def application_detail(request, application_id: int):
    borrower = _require_borrower(request)
    application = _own_application(borrower, application_id)
    info_form = InfoProvideForm(request.POST or None)
    if request.method == "POST":
        if request.POST.get("action") == "withdraw":
            services.application_withdraw(application_id=application.pk, borrower_id=borrower.pk)
            messages.info(request, _("You withdrew the application."))
            return redirect("lending:application", application_id=application.pk)
        if info_form.is_valid():
            services.application_info_provide(
                application_id=application.pk, borrower_id=borrower.pk, note=info_form.cleaned_data["note"]
            )
            messages.success(request, _("Thank you. A credit officer will look at your answer."))
            return redirect("lending:application", application_id=application.pk)
    reasons = []
    if application.decision is not None:
        reasons = [
            reason_message(r["code"], limit=r["limit"], actual=r["actual"], fallback=r["message"])
            for r in application.decision.reasons
            if application.outcome == Application.Outcome.REJECTED and r["effect"] == "REJECT"
        ]
    info_request = application.events.filter(action="INFO_REQUESTED").order_by("-created_at").first()
    return render(
        request,
        "lending/application.html",
        {"application": application, "reasons": reasons, "info_form": info_form, "info_request": info_request},
    )


def _own_application(borrower, application_id: int) -> Application:
    try:
        return selectors.application_get_for_borrower(borrower_id=borrower.pk, application_id=application_id)
    except DomainError as exc:
        raise Http404("not found") from exc


@login_required
@require_http_methods(["GET", "POST"])
def offer(request, application_id: int):
    borrower = _require_borrower(request)
    application = _own_application(borrower, application_id)
    if application.outcome != Application.Outcome.APPROVED or not hasattr(application, "offer"):
        return redirect("lending:application", application_id=application.pk)
    form = AcceptOfferForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.application_accept(
                application_id=application.pk, borrower_id=borrower.pk, consents=form.cleaned_data
            )
        except ConsentMissing as exc:
            for name in exc.details:
                form.add_error(name if name in form.fields else None, _("You must agree to this to take the loan."))
        except DomainError as exc:
            messages.error(request, _offer_refusal(exc))
            return redirect("lending:application", application_id=application.pk)
        else:
            messages.success(request, _("Contract signed. We are paying the loan to your bank card."))
            return redirect("lending:loans")
    return render(
        request,
        "lending/offer.html",
        {"form": form, **contract_context(application=application, offer=application.offer, number=None)},
    )


def _offer_refusal(exc: DomainError) -> str:
    violations = exc.details.get("violations") if isinstance(exc.details, dict) else None
    if violations:
        return " ".join(
            reason_message(v["code"], limit=v["limit"], actual=v["actual"], fallback=v["message"]) for v in violations
        )
    return exc.message


@login_required
def loans(request):
    borrower = _require_borrower(request)
    applications = list(selectors.borrower_applications(borrower_id=borrower.pk))
    # A paid-out loan shows servicing's own schedule (due dates from the day the money arrived, paid parts).
    loans = {loan.pk: loan for loan in repayment_selectors.loans_for_borrower(borrower_id=borrower.pk)}
    for application in applications:
        contract = getattr(application, "contract", None) if application.status == "DISBURSED" else None
        loan = loans.get(contract.loan_id) if contract else None
        application.loan = loan
        application.installments = repayment_selectors.loan_schedule(loan=loan) if loan else None
    return render(request, "lending/loans.html", {"applications": applications})
