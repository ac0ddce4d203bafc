"""Borrower pages for paying a loan: what is due, the payoff quote, and the payment form."""

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from common.errors import DomainError

from . import selectors, services
from .forms import RepayForm


@login_required
@require_http_methods(["GET", "POST"])
def repay(request, loan_id: int):
    borrower_id = selectors.borrower_id_of(request.user)
    loan = get_object_or_404(selectors.loans_for_borrower(borrower_id=borrower_id), pk=loan_id)
    form = RepayForm(request.POST or None, initial={"idempotency_key": uuid.uuid4().hex})
    if request.method == "POST" and form.is_valid():
        try:
            repayment = services.repayment_request(
                loan_id=loan.pk,
                amount=form.cleaned_data["amount"],
                kind=form.cleaned_data["kind"],
                idempotency_key=f"web:{request.user.pk}:{form.cleaned_data['idempotency_key']}",
                requested_by_id=request.user.pk,
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request,
                _("Payment of %(amount)s submitted: we are collecting it from your card.")
                % {"amount": repayment.amount},
            )
            return redirect("repayment:repay", loan_id=loan.pk)
    on = selectors.business_day_open(loan=loan)
    context = {
        "loan": loan,
        "form": form,
        "on": on,
        "schedule": selectors.loan_schedule(loan=loan),
        "next_due": selectors.loan_next_due(loan=loan),
        "quote": selectors.loan_payoff_quote(loan=loan, on=on) if loan.is_active else None,
        "due_today": selectors.loan_amount_due(loan=loan, on=on) if loan.is_active else None,
        "repayments": loan.repayments.order_by("-id")[:10],
        "fundings": selectors.loan_fundings(loan=loan),
    }
    return render(request, "repayment/repay.html", context)
