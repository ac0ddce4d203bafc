"""Read-only registry in admin; the one action (activate) calls the service, which checks the permission."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from common.errors import DomainError

from . import services
from .models import DecisionFact, ScorecardEvent, ScorecardMonitoringSnapshot, ScorecardTrainingJob, ScorecardVersion


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ScorecardVersion)
class ScorecardVersionAdmin(ReadOnlyAdmin):
    list_display = ("version", "product_code", "status", "traffic_share", "test_auc", "test_ks", "gini", "trained_at")
    list_filter = ("status", "product_code")
    search_fields = ("version", "source_name")
    actions = ["activate"]

    @admin.action(description=_("Activate the selected scorecard"), permissions=["activate"])
    def activate(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, _("Choose exactly one scorecard to activate."), messages.ERROR)
            return
        try:
            version = services.scorecard_activate(version=queryset.get().version, actor=request.user)
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)
        else:
            self.message_user(request, _("%(version)s is now active.") % {"version": version.version})

    def has_activate_permission(self, request):
        return request.user.has_perm("risk_models.activate_scorecard")


@admin.register(ScorecardEvent)
class ScorecardEventAdmin(ReadOnlyAdmin):
    list_display = ("version", "action", "from_status", "to_status", "traffic_share", "actor", "at")
    list_filter = ("action",)


@admin.register(ScorecardTrainingJob)
class ScorecardTrainingJobAdmin(ReadOnlyAdmin):
    list_display = ("id", "source_name", "status", "progress", "requested_by", "created_at", "version")
    list_filter = ("status",)


@admin.register(DecisionFact)
class DecisionFactAdmin(ReadOnlyAdmin):
    list_display = ("application_reference", "decided_on", "outcome", "product_code", "score", "grade", "variant")
    list_filter = ("outcome", "product_code", "decided_on")
    search_fields = ("application_reference",)


@admin.register(ScorecardMonitoringSnapshot)
class ScorecardMonitoringSnapshotAdmin(ReadOnlyAdmin):
    list_display = ("version", "computed_on", "applications", "score_psi", "psi_status", "matured", "ks", "auc")
    list_filter = ("psi_status",)
