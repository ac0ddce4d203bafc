"""Operations admin for the payment core: orders and their trail, callbacks, the outbox, reconciliation, cases.

Nothing is edited by hand. The actions call one service each: query in-flight orders now, reverse a
success the channel returned, retry a settlement delivery, and resolve a case (which posts the journal
that clears its suspense).
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from common.errors import DomainError

from . import services
from .models import ChannelCallback, PaymentCase, PaymentOrder, PaymentOrderEvent, ReconciliationRun, SettlementOutbox

RESOLVE_PERMISSION = "payments.resolve_paymentcase"
REVERSE_PERMISSION = "payments.change_paymentorder"


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows of the payment core change only through its services."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]


class PaymentOrderEventInline(admin.TabularInline):
    model = PaymentOrderEvent
    extra = 0
    can_delete = False
    fields = ("created_at", "from_state", "to_state", "source", "channel_code", "note")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ActionForm(forms.Form):
    note = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)


class CaseResolutionForm(ActionForm):
    counter_account = forms.ChoiceField(label=_("Clear the suspense against"), required=False, choices=())

    def __init__(self, *args, accounts: list[str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if accounts:
            self.fields["counter_account"].choices = [(a, a) for a in accounts]
            self.fields["counter_account"].required = True
        else:
            del self.fields["counter_account"]


def _action_page(request, admin_site, *, title: str, obj, form, explanation: str):
    context = {
        **admin_site.each_context(request),
        "title": title,
        "object": obj,
        "form": form,
        "explanation": explanation,
        "opts": obj._meta,
    }
    return TemplateResponse(request, "admin/payments/action_form.html", context)


@admin.register(PaymentOrder)
class PaymentOrderAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "kind",
        "amount",
        "state",
        "channel",
        "channel_serial",
        "purpose",
        "reference",
        "created_at",
        "finalized_at",
    )
    list_filter = ("state", "kind", "channel", "purpose")
    search_fields = ("=idempotency_key", "=channel_serial", "reference")
    date_hierarchy = "created_at"
    inlines = [PaymentOrderEventInline]
    actions = ["query_now"]

    def has_change_permission(self, request, obj=None):
        # Viewing only; the reversal page checks its own permission.
        return False

    @admin.action(description=_("Ask the channel now (in-flight orders)"))
    def query_now(self, request, queryset):
        count = services.orders_query_enqueue(order_ids=list(queryset.values_list("pk", flat=True)))
        self.message_user(request, gettext("%(count)d queries queued.") % {"count": count}, messages.SUCCESS)

    def get_urls(self):
        return [
            path(
                "<int:order_id>/reverse/", self.admin_site.admin_view(self.reverse_view), name="payments_order_reverse"
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        order = self.get_object(request, object_id)
        extra_context = extra_context or {}
        if (
            order is not None
            and order.state == PaymentOrder.State.SUCCEEDED
            and request.user.has_perm(REVERSE_PERMISSION)
        ):
            extra_context["reverse_url"] = reverse("admin:payments_order_reverse", args=[order.pk])
        return super().change_view(request, object_id, form_url, extra_context)

    def reverse_view(self, request, order_id: int):
        if not request.user.has_perm(REVERSE_PERMISSION):
            raise PermissionDenied
        order = get_object_or_404(PaymentOrder, pk=order_id)
        form = ActionForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                services.order_reverse(order_id=order.pk, reason=form.cleaned_data["note"])
            except DomainError as exc:
                self.message_user(request, exc.message, messages.ERROR)
            else:
                self.message_user(request, gettext("The order is reversed."), messages.SUCCESS)
                return redirect("admin:payments_paymentorder_change", order.pk)
        return _action_page(
            request,
            self.admin_site,
            title=gettext("Reverse payment order %(id)s") % {"id": order.pk},
            obj=order,
            form=form,
            explanation=gettext(
                "Only when the channel has returned this payment after success. The journal is posted at once "
                "and the settlement handler is told."
            ),
        )


@admin.register(ChannelCallback)
class ChannelCallbackAdmin(ReadOnlyAdmin):
    list_display = ("received_at", "channel", "channel_serial", "status", "channel_code", "amount", "outcome")
    list_filter = ("outcome", "channel", "status")
    search_fields = ("=channel_serial",)
    date_hierarchy = "received_at"


@admin.register(SettlementOutbox)
class SettlementOutboxAdmin(ReadOnlyAdmin):
    list_display = ("id", "order", "state", "created_at", "attempts", "delivered_at", "short_error")
    list_filter = ("state", ("delivered_at", admin.EmptyFieldListFilter))
    actions = ["deliver_now"]

    @admin.display(description=_("last error"))
    def short_error(self, row: SettlementOutbox) -> str:
        return row.last_error[:80]

    @admin.action(description=_("Deliver again now"))
    def deliver_now(self, request, queryset):
        count = services.outbox_deliver_enqueue(outbox_ids=list(queryset.values_list("pk", flat=True)))
        self.message_user(request, gettext("%(count)d deliveries queued.") % {"count": count}, messages.SUCCESS)


@admin.register(ReconciliationRun)
class ReconciliationRunAdmin(ReadOnlyAdmin):
    list_display = (
        "statement_date",
        "channel",
        "lines",
        "matched",
        "long",
        "short",
        "amount_mismatch",
        "status_mismatch",
        "cases_opened",
        "collections_settled",
        "channel_fees",
    )
    list_filter = ("channel",)
    date_hierarchy = "statement_date"


@admin.register(PaymentCase)
class PaymentCaseAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "kind",
        "status",
        "channel_serial",
        "statement_date",
        "suspense_side",
        "suspense_amount",
        "resolve_link",
    )
    list_filter = ("status", "kind", "channel", "statement_date")
    search_fields = ("=channel_serial", "case_key")
    ordering = ("-status", "opened_at")

    @admin.display(description=_("resolve"))
    def resolve_link(self, case: PaymentCase) -> str:
        if case.status != PaymentCase.Status.OPEN:
            return "—"
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:payments_case_resolve", args=[case.pk]), gettext("Resolve")
        )

    def get_urls(self):
        return [
            path("<int:case_id>/resolve/", self.admin_site.admin_view(self.resolve_view), name="payments_case_resolve"),
            *super().get_urls(),
        ]

    def resolve_view(self, request, case_id: int):
        if not request.user.has_perm(RESOLVE_PERMISSION):
            raise PermissionDenied
        case = get_object_or_404(PaymentCase, pk=case_id)
        form = CaseResolutionForm(request.POST or None, accounts=services.case_resolution_accounts(case))
        if request.method == "POST" and form.is_valid():
            try:
                services.case_resolve(
                    case_id=case.pk,
                    note=form.cleaned_data["note"],
                    counter_account=form.cleaned_data.get("counter_account", ""),
                    actor=request.user,
                )
            except DomainError as exc:
                self.message_user(request, exc.message, messages.ERROR)
            else:
                self.message_user(request, gettext("The case is resolved."), messages.SUCCESS)
                return redirect("admin:payments_paymentcase_changelist")
        if case.suspense_amount:
            explanation = gettext(
                "%(amount)s sits in %(side)s suspense. Resolving posts a journal that clears it against the "
                "account you choose."
            ) % {"amount": case.suspense_amount, "side": case.get_suspense_side_display()}
        else:
            explanation = gettext("No money was parked for this case; resolving records your note.")
        return _action_page(
            request,
            self.admin_site,
            title=gettext("Resolve case %(id)s") % {"id": case.pk},
            obj=case,
            form=form,
            explanation=explanation,
        )
