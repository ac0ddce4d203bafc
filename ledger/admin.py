"""Read-only admin for the books: accounts, journals (with their entries) and entries."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from . import selectors
from .models import Account, Entry, Journal


class NoWrites:
    """Entries are append-only and a correction is a reversing journal: no one edits the books by hand."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ReadOnlyAdmin(NoWrites, admin.ModelAdmin):
    pass


@admin.register(Account)
class AccountAdmin(ReadOnlyAdmin):
    list_display = ("key", "display_name", "normal_side", "current_balance", "is_hot", "may_go_negative", "version")
    list_filter = ("code", "normal_side", "is_hot", "may_go_negative")
    search_fields = ("key",)

    @admin.display(description=_("name"))
    def display_name(self, account: Account) -> str:
        return account.display_name

    @admin.display(description=_("balance"))
    def current_balance(self, account: Account):
        # A hot account's row holds only its checkpoint; the balance is derived from the entries since.
        return selectors.account_balance(account=account.key)


class EntryInline(NoWrites, admin.TabularInline):
    model = Entry
    fields = ("account", "debit", "credit")
    readonly_fields = fields
    extra = 0


@admin.register(Journal)
class JournalAdmin(ReadOnlyAdmin):
    list_display = ("id", "posted_on", "kind", "reference", "reverses", "created_at")
    list_filter = ("kind", "posted_on")
    search_fields = ("reference", "idempotency_key")
    date_hierarchy = "posted_on"
    inlines = (EntryInline,)
    list_select_related = ("reverses",)


@admin.register(Entry)
class EntryAdmin(ReadOnlyAdmin):
    list_display = ("id", "journal", "account", "debit", "credit")
    list_filter = ("account__code",)
    search_fields = ("account__key", "journal__reference")
    list_select_related = ("journal", "account")
    raw_id_fields = ("journal", "account")
