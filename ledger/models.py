"""Accounts, journals and entries. Integrity lives in PostgreSQL too (migration 0002_database_integrity):

- a DEFERRABLE INITIALLY DEFERRED constraint trigger refuses, at commit, any journal whose debits differ
  from its credits, however its entries were written;
- entries and journals are append-only: a trigger refuses UPDATE and DELETE (a correction is a reversing
  journal that points at the original);
- a cold account's cached balance follows its entries (a statement trigger adds each insert's net
  change and bumps the version), and a check constraint stops an account that may not go negative from
  ever holding a negative balance;
- a hot account's row is never touched by a posting: its balance is derived as the checkpoint balance
  plus the entries of transactions at or after the checkpoint's transaction horizon.
"""

from django.db import models
from django.db.models import Func, Q
from django.db.models.functions import Cast
from django.utils.translation import gettext_lazy as _

from .chart import MAX_KEY_LENGTH, Side, account_display_name

MONEY = {"max_digits": 18, "decimal_places": 2}
# pg_current_xact_id() is an xid8 (epoch and id): as text it is a plain integer that fits a bigint.
CURRENT_TRANSACTION_ID = Cast(
    Cast(Func(function="pg_current_xact_id", output_field=models.TextField()), models.TextField()),
    models.BigIntegerField(),
)


class NormalSide(models.TextChoices):
    DEBIT = Side.DEBIT.value, _("Debit")
    CREDIT = Side.CREDIT.value, _("Credit")


class Account(models.Model):
    key = models.CharField(_("account"), max_length=MAX_KEY_LENGTH, unique=True)
    code = models.CharField(_("chart code"), max_length=4)
    sub = models.CharField(_("sub-account"), max_length=48, blank=True, default="")
    name = models.CharField(_("name"), max_length=128)
    normal_side = models.CharField(_("normal side"), max_length=6, choices=NormalSide.choices)
    may_go_negative = models.BooleanField(_("may go negative"))
    is_hot = models.BooleanField(_("hot"))
    # Cold: the balance itself (normal side). Hot: the balance of the entries below `checkpoint_xid`.
    balance = models.DecimalField(_("balance"), default=0, **MONEY)
    # Cold: bumped by every posting. Hot: bumped by every checkpoint.
    version = models.BigIntegerField(_("version"), default=0)
    # Hot only: every transaction with an id below this had finished when the checkpoint was taken.
    checkpoint_xid = models.BigIntegerField(_("checkpoint transaction horizon"), default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        ordering = ("key",)
        constraints = [
            models.CheckConstraint(
                condition=Q(balance__gte=0) | Q(may_go_negative=True), name="ledger_account_overdraft"
            ),
            models.CheckConstraint(
                condition=Q(is_hot=False) | Q(may_go_negative=True), name="ledger_account_hot_unchecked"
            ),
            models.CheckConstraint(condition=Q(normal_side__in=NormalSide.values), name="ledger_account_normal_side"),
        ]

    def __str__(self) -> str:
        return f"{self.key} {self.display_name}"

    @property
    def display_name(self) -> str:
        return account_display_name(code=self.code, sub=self.sub)


class Journal(models.Model):
    kind = models.CharField(_("kind"), max_length=40)
    reference = models.CharField(_("reference"), max_length=128)
    posted_on = models.DateField(_("posted on"))
    idempotency_key = models.CharField(_("idempotency key"), max_length=128, null=True, blank=True)
    # sha256 of kind, reference, date and legs: a replay under the same key must match it.
    fingerprint = models.CharField(_("fingerprint"), max_length=64)
    memo = models.TextField(_("memo"), blank=True, default="")
    reverses = models.OneToOneField(
        "self",
        verbose_name=_("reverses"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reversed_by",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("journal")
        verbose_name_plural = _("journals")
        ordering = ("-id",)
        # Meta-level index and constraint: no extra varchar_pattern_ops twins to maintain on every posting.
        indexes = [models.Index(fields=["reference"], name="ledger_journal_reference")]
        constraints = [
            models.UniqueConstraint(fields=["idempotency_key"], name="ledger_journal_idempotency_key"),
            models.CheckConstraint(condition=~Q(reverses=models.F("id")), name="ledger_journal_not_self_reversing"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.kind} {self.reference}"


class Entry(models.Model):
    journal = models.ForeignKey(Journal, verbose_name=_("journal"), on_delete=models.PROTECT, related_name="entries")
    account = models.ForeignKey(
        Account, verbose_name=_("account"), on_delete=models.PROTECT, related_name="entries", db_index=False
    )
    debit = models.DecimalField(_("debit"), default=0, **MONEY)
    credit = models.DecimalField(_("credit"), default=0, **MONEY)
    # The writing transaction's top-level id (PostgreSQL sets it; see migration 0002): what lets a hot
    # balance be checkpointed without locking out the postings in flight.
    transaction_id = models.BigIntegerField(_("transaction id"), editable=False, db_default=CURRENT_TRANSACTION_ID)

    class Meta:
        verbose_name = _("entry")
        verbose_name_plural = _("entries")
        ordering = ("id",)
        indexes = [
            models.Index(
                fields=["account", "transaction_id"], include=["debit", "credit"], name="ledger_entry_account_xid"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(Q(debit__gt=0) & Q(credit=0)) | (Q(debit=0) & Q(credit__gt=0)),
                name="ledger_entry_one_positive_side",
            ),
        ]

    def __str__(self) -> str:
        side = f"Dr {self.debit}" if self.debit else f"Cr {self.credit}"
        return f"{self.account_id} {side}"
