"""Django admin: the credit officers' review queue, and read-only views of borrowers and applications.

Every officer action calls one durable service (which checks the "review" permission again and writes the
audit event); approve and decline go through an intermediate form that requires a reason code and a note.
PII (ID and bank card numbers) is masked unless the user holds `lending.view_borrower_pii`. Money is
read-only everywhere here and nothing can be deleted.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from common.errors import DomainError

from . import services
from .identity import mask
from .models import (
    Application,
    ApplicationEvent,
    ApplicationInReview,
    ApprovalReason,
    Borrower,
    FundingPartner,
    Product,
    ProductFunding,
    ProductRate,
    RejectionReason,
)
from .permissions import PII_PERMISSION, REVIEW_PERMISSION


def _can_see_pii(request) -> bool:
    return request.user.has_perm(PII_PERMISSION)


# Admin instances are shared between threads, so the masking is chosen per request by field name.
PII_FIELDS = ("borrower_id_number", "borrower_bank_card", "masked_id_number", "masked_bank_card", "mobile_masked")


def _with_pii(names, request) -> tuple[str, ...]:
    if not _can_see_pii(request):
        return tuple(names)
    return tuple(f"{name}_unmasked" if name in PII_FIELDS else name for name in names)


class ReadOnlyAdmin(SimpleHistoryAdmin):
    """Nothing here is edited or deleted by hand: changes go through services."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class GradeFilter(admin.SimpleListFilter):
    title = _("grade")
    parameter_name = "grade"

    def lookups(self, request, model_admin):
        return [(g, g) for g in "ABCDE"]

    def queryset(self, request, queryset):
        return queryset.filter(decision__grade=self.value()) if self.value() else queryset


class FlagFilter(admin.SimpleListFilter):
    title = _("flags")
    parameter_name = "flag"

    def lookups(self, request, model_admin):
        flags = sorted(
            {f for row in model_admin.get_queryset(request).values_list("review_flags", flat=True) for f in row}
        )
        return [(f, f) for f in flags]

    def queryset(self, request, queryset):
        return queryset.filter(review_flags__contains=[self.value()]) if self.value() else queryset


class AssignedToMeFilter(admin.SimpleListFilter):
    title = _("assignment")
    parameter_name = "assigned"

    def lookups(self, request, model_admin):
        return [("me", _("Assigned to me")), ("nobody", _("Not assigned"))]

    def queryset(self, request, queryset):
        if self.value() == "me":
            return queryset.filter(assigned_to=request.user)
        if self.value() == "nobody":
            return queryset.filter(assigned_to__isnull=True)
        return queryset


class EventInline(admin.TabularInline):
    model = ApplicationEvent
    fields = ("created_at", "action", "from_status", "to_status", "actor", "reason_code", "note")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ApplicationAdminBase(ReadOnlyAdmin):
    list_select_related = ("borrower", "product", "decision", "assigned_to")
    search_fields = ("reference",)
    inlines = [EventInline]
    readonly_fields = (
        "reference",
        "status",
        "outcome",
        "borrower_name",
        "borrower_id_number",
        "borrower_bank_card",
        "borrower_income",
        "product",
        "requested_amount",
        "term",
        "purpose",
        "annual_income",
        "grade",
        "score",
        "review_flags",
        "decision_reasons",
        "offered_terms",
        "assigned_to",
        "submitted_at",
        "decided_at",
    )
    fields = readonly_fields

    @admin.display(description=_("borrower"))
    def borrower_name(self, obj):
        return obj.borrower.full_name

    @admin.display(description=_("ID number"))
    def borrower_id_number(self, obj):
        return mask(obj.borrower.id_number)

    @admin.display(description=_("bank card"))
    def borrower_bank_card(self, obj):
        return mask(obj.borrower.bank_card, keep_start=4)

    @admin.display(description=_("ID number"))
    def borrower_id_number_unmasked(self, obj):
        return obj.borrower.id_number

    @admin.display(description=_("bank card"))
    def borrower_bank_card_unmasked(self, obj):
        return obj.borrower.bank_card

    @admin.display(description=_("income (3-year average) and evidence"))
    def borrower_income(self, obj):
        return f"{obj.borrower.average_annual_income} ({obj.borrower.get_income_evidence_display()})"

    @admin.display(description=_("grade"), ordering="decision__grade")
    def grade(self, obj):
        return obj.decision.grade if obj.decision else "—"

    @admin.display(description=_("score"))
    def score(self, obj):
        return obj.decision.score.get("score") if obj.decision else "—"

    @admin.display(description=_("engine reasons"))
    def decision_reasons(self, obj):
        if not obj.decision:
            return "—"
        items = format_html_join(
            "", "<li>{}: {} ({})</li>", ((r["code"], r["message"], r["effect"]) for r in obj.decision.reasons)
        )
        return format_html("<ul>{}</ul>", items)

    @admin.display(description=_("terms priced by the engine"))
    def offered_terms(self, obj):
        terms = obj.decision.terms if obj.decision else None
        if not terms:
            return "—"
        return (
            f"{terms['amount']} · {terms['term']} × {terms['method']} · "
            f"rate {terms['annual_rate']} · APR {terms['apr']}"
        )

    def get_fields(self, request, obj=None):
        return _with_pii(self.fields, request)

    def get_readonly_fields(self, request, obj=None):
        return _with_pii(self.readonly_fields, request)


class ReviewDecisionForm(forms.Form):
    reason_code = forms.ChoiceField(label=_("Reason"))
    note = forms.CharField(label=_("Note for the file"), widget=forms.Textarea(attrs={"rows": 4, "cols": 60}))

    def __init__(self, *args, choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason_code"].choices = [("", "—"), *choices]


class RequestInfoForm(forms.Form):
    note = forms.CharField(
        label=_("What should the borrower provide?"), widget=forms.Textarea(attrs={"rows": 4, "cols": 60})
    )


REVIEW_ACTIONS = {
    "approve": (_("Approve"), ApprovalReason.choices),
    "reject": (_("Decline"), RejectionReason.choices),
    "request-info": (_("Request more information"), None),
}


@admin.register(ApplicationInReview)
class ReviewQueueAdmin(ApplicationAdminBase):
    list_display = (
        "reference",
        "borrower_name",
        "product",
        "requested_amount",
        "grade",
        "score",
        "flags",
        "status",
        "assigned_to",
        "submitted_at",
        "review_links",
    )
    list_filter = (GradeFilter, "product", FlagFilter, AssignedToMeFilter, "status")
    ordering = ("submitted_at", "id")
    actions = ["assign_to_me"]
    change_form_template = "admin/lending/application/review_change_form.html"

    def get_queryset(self, request):
        return super().get_queryset(request).filter(status__in=Application.REVIEW_QUEUE)

    def has_review_permission(self, request):
        return request.user.has_perm(REVIEW_PERMISSION)

    @admin.display(description=_("flags"))
    def flags(self, obj):
        return ", ".join(obj.review_flags) or "—"

    @admin.display(description=_("review"))
    def review_links(self, obj):
        return format_html_join(
            " · ",
            '<a href="{}">{}</a>',
            (
                (reverse("admin:lending_review_action", args=[obj.pk, action]), label)
                for action, (label, _choices) in REVIEW_ACTIONS.items()
            ),
        )

    @admin.action(description=_("Assign to me"), permissions=["review"])
    def assign_to_me(self, request, queryset):
        assigned = 0
        for application in queryset:
            try:
                services.application_assign(application_id=application.pk, officer=request.user)
                assigned += 1
            except DomainError as exc:
                self.message_user(request, f"{application.reference}: {exc.message}", messages.ERROR)
        if assigned:
            self.message_user(request, _t("%(count)d application(s) assigned to you.") % {"count": assigned})

    def get_urls(self):
        return [
            path(
                "<int:application_id>/review/<str:action>/",
                self.admin_site.admin_view(self.review_action_view),
                name="lending_review_action",
            ),
            *super().get_urls(),
        ]

    def review_action_view(self, request, application_id: int, action: str):
        if action not in REVIEW_ACTIONS:
            raise PermissionDenied
        if not self.has_review_permission(request):
            raise PermissionDenied
        application = get_object_or_404(self.get_queryset(request), pk=application_id)
        label, choices = REVIEW_ACTIONS[action]
        form_class = RequestInfoForm if choices is None else ReviewDecisionForm
        kwargs = {} if choices is None else {"choices": choices}
        form = form_class(request.POST or None, **kwargs)
        if request.method == "POST" and form.is_valid():
            try:
                self._perform(action, application, request.user, form.cleaned_data)
            except DomainError as exc:
                for field, errors in (exc.details or {}).items():
                    for error in errors if isinstance(errors, list) else [errors]:
                        form.add_error(field if field in form.fields else None, str(error))
                if not form.errors:
                    form.add_error(None, exc.message)
            else:
                self.message_user(
                    request, _t("%(ref)s: %(action)s done.") % {"ref": application.reference, "action": label}
                )
                return redirect("admin:lending_applicationinreview_changelist")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"{label}: {application.reference}",
            "application": application,
            "form": form,
            "action_label": label,
            "borrower_id_number": self.borrower_id_number_for(request, application),
        }
        return TemplateResponse(request, "admin/lending/application/review_action.html", context)

    def borrower_id_number_for(self, request, application):
        number = application.borrower.id_number
        return number if _can_see_pii(request) else mask(number)

    @staticmethod
    def _perform(action: str, application, officer, data: dict) -> None:
        if action == "approve":
            services.application_approve(
                application_id=application.pk, officer=officer, reason_code=data["reason_code"], note=data["note"]
            )
        elif action == "reject":
            services.application_reject(
                application_id=application.pk, officer=officer, reason_code=data["reason_code"], note=data["note"]
            )
        else:
            services.application_request_info(application_id=application.pk, officer=officer, note=data["note"])


@admin.register(Application)
class ApplicationAdmin(ApplicationAdminBase):
    list_display = ("reference", "borrower_name", "product", "requested_amount", "status", "outcome", "submitted_at")
    list_filter = ("status", "outcome", "product")
    ordering = ("-submitted_at",)
    date_hierarchy = "submitted_at"


@admin.register(Borrower)
class BorrowerAdmin(ReadOnlyAdmin):
    list_display = (
        "full_name",
        "masked_id_number",
        "mobile_masked",
        "employment",
        "average_annual_income",
        "created_at",
    )
    search_fields = ("full_name",)
    fields = (
        "full_name",
        "masked_id_number",
        "masked_bank_card",
        "mobile_masked",
        "date_of_birth",
        "employment",
        "employer_name",
        "average_annual_income",
        "income_evidence",
        "is_student",
        "monthly_debt_payments",
        "characteristics",
        "created_at",
    )
    readonly_fields = fields

    def get_fields(self, request, obj=None):
        return _with_pii(self.fields, request)

    def get_readonly_fields(self, request, obj=None):
        return _with_pii(self.readonly_fields, request)

    def get_list_display(self, request):
        return _with_pii(self.list_display, request)

    @admin.display(description=_("ID number"))
    def masked_id_number(self, obj):
        return mask(obj.id_number)

    @admin.display(description=_("bank card"))
    def masked_bank_card(self, obj):
        return mask(obj.bank_card, keep_start=4)

    @admin.display(description=_("mobile"))
    def mobile_masked(self, obj):
        return mask(obj.mobile, keep_start=3, keep_end=4)

    @admin.display(description=_("ID number"))
    def masked_id_number_unmasked(self, obj):
        return obj.id_number

    @admin.display(description=_("bank card"))
    def masked_bank_card_unmasked(self, obj):
        return obj.bank_card

    @admin.display(description=_("mobile"))
    def mobile_masked_unmasked(self, obj):
        return obj.mobile


class ProductRateInline(admin.TabularInline):
    model = ProductRate
    extra = 0


class ProductFundingInline(admin.TabularInline):
    model = ProductFunding
    extra = 0


@admin.register(Product)
class ProductAdmin(SimpleHistoryAdmin):
    list_display = ("code", "name", "min_amount", "max_amount", "method", "is_active")
    inlines = [ProductRateInline, ProductFundingInline]

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(FundingPartner)
class FundingPartnerAdmin(SimpleHistoryAdmin):
    list_display = ("code", "name", "is_own", "concentration_limit", "is_active")

    def has_delete_permission(self, request, obj=None):
        return False
