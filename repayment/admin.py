"""Officers' view of servicing: loans with schedule, funding, repayments, events and DPD. Money is read-only —
it moves only through services; the actions below call them."""

from django.contrib import admin, messages
from django.http import HttpResponse
from django.utils.translation import gettext_lazy as _

from common.errors import DomainError

from . import services
from .models import (
    CobRun,
    Installment,
    LoanEvent,
    LoanFunding,
    PartnerSettlement,
    Repayment,
    RepaymentAllocation,
)
from .models import Loan as LoanModel


class ReadOnlyMixin:
    """Everything shown, nothing editable: a correction is a service call with its own journal."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(ReadOnlyMixin, admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False


class InstallmentInline(ReadOnlyInline):
    model = Installment
    fields = (
        "number", "status", "period_start", "due_date", "principal", "interest", "principal_paid",
        "interest_paid", "penalty_accrued", "penalty_paid", "paid_on",
    )  # fmt: skip
    readonly_fields = fields
    ordering = ("number",)


class FundingInline(ReadOnlyInline):
    model = LoanFunding
    fields = ("position", "partner_code", "is_own", "share", "funded_principal", "outstanding_principal")
    readonly_fields = fields


class RepaymentInline(ReadOnlyInline):
    model = Repayment
    fields = ("id", "source", "kind", "amount", "status", "requested_on", "value_date", "overpayment")
    readonly_fields = fields
    ordering = ("-id",)


class EventInline(ReadOnlyInline):
    model = LoanEvent
    fields = ("business_date", "kind", "repayment", "details", "created_at")
    readonly_fields = fields


@admin.register(LoanModel)
class LoanAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = (
        "id", "borrower_id", "product_code", "principal", "outstanding_principal", "status", "dpd", "bucket",
        "max_dpd", "disbursed_on",
    )  # fmt: skip
    list_filter = ("status", "bucket", "product_code")
    search_fields = ("=id", "=borrower_id", "application_reference")
    inlines = (FundingInline, InstallmentInline, RepaymentInline, EventInline)
    actions = ("refund_overpayment",)

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_change_permission(self, request, obj=None):
        # Viewing the page needs "view"; the actions need this permission, not an edit form.
        return request.user.has_perm("repayment.change_loan") and obj is None

    @admin.action(description=_("Refund the overpayment held for the selected loans"), permissions=["change"])
    def refund_overpayment(self, request, queryset):
        for loan in queryset:
            try:
                services.overpayment_refund_request(loan_id=loan.pk)
            except DomainError as exc:
                self.message_user(request, f"L{loan.pk}: {exc.message}", messages.WARNING)
            else:
                self.message_user(request, _("L%(id)s: refund requested.") % {"id": loan.pk})


class AllocationInline(ReadOnlyInline):
    model = RepaymentAllocation
    fields = ("installment", "funding", "component", "amount")
    readonly_fields = fields


@admin.register(Repayment)
class RepaymentAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("id", "loan", "source", "kind", "amount", "status", "requested_on", "value_date")
    list_filter = ("status", "source", "kind")
    search_fields = ("=id", "=loan__id", "=payment_order_id")
    inlines = (AllocationInline,)

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]


@admin.register(CobRun)
class CobRunAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("business_date", "status", "loans", "partition_size", "started_at", "completed_at")
    readonly_fields = (
        "business_date",
        "status",
        "loans",
        "partition_size",
        "partitions",
        "steps",
        "started_at",
        "completed_at",
    )


@admin.register(PartnerSettlement)
class PartnerSettlementAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = (
        "partner_code",
        "period_start",
        "period_end",
        "principal",
        "interest",
        "penalty",
        "total",
        "journal_id",
    )
    list_filter = ("partner_code",)
    actions = ("download_statement",)
    readonly_fields = list_display

    @admin.action(description=_("Download the statement (CSV)"))
    def download_statement(self, request, queryset):
        settlement = queryset.order_by("period_start").first()
        body = services.partner_statement_csv(
            partner_code=settlement.partner_code,
            period_start=settlement.period_start,
            period_end=settlement.period_end,
        )
        response = HttpResponse(body, content_type="text/csv")
        name = f"{settlement.partner_code}-{settlement.period_start}-{settlement.period_end}.csv"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
