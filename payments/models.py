"""Payment orders, their event trail, channel callbacks, the settlement outbox, reconciliation and cases.

Rows are written only by `payments.services` (and `payments.handlers` for outbox delivery). The order's
state only moves forward (DOMAIN.md §7); every move is a conditional update plus a `PaymentOrderEvent`.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class PaymentOrder(models.Model):
    class Kind(models.TextChoices):
        PAYOUT = "PAYOUT", _("Payout")
        COLLECTION = "COLLECTION", _("Collection")

    class State(models.TextChoices):
        CREATED = "CREATED", _("Created")
        SUBMITTED = "SUBMITTED", _("Submitted")
        PROCESSING = "PROCESSING", _("Processing")
        SUCCEEDED = "SUCCEEDED", _("Succeeded")
        FAILED = "FAILED", _("Failed")
        REVERSED = "REVERSED", _("Reversed")

        @classmethod
        def final(cls) -> tuple[str, ...]:
            return (cls.SUCCEEDED, cls.FAILED, cls.REVERSED)

        @classmethod
        def in_flight(cls) -> tuple[str, ...]:
            """Sent (or about to be sent) to the channel and not yet answered for good: query, never resend."""
            return (cls.SUBMITTED, cls.PROCESSING)

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    idempotency_key = models.CharField(_("idempotency key"), max_length=128, unique=True)
    # sha256 of the canonical request: the same key with another payload is a conflict, not a replay.
    request_fingerprint = models.CharField(_("request fingerprint"), max_length=64)
    amount = models.DecimalField(_("amount"), max_digits=18, decimal_places=2)
    counterparty_account = models.CharField(_("counterparty account"), max_length=64)
    purpose = models.CharField(_("purpose"), max_length=64)
    reference = models.CharField(_("reference"), max_length=128, blank=True)
    channel = models.CharField(_("channel"), max_length=32)
    # Fixed when the submission is recorded, before the channel is called; never changes afterwards.
    channel_serial = models.CharField(_("channel serial"), max_length=64, null=True, blank=True, unique=True)
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.CREATED)
    channel_code = models.CharField(_("channel code"), max_length=16, blank=True)
    channel_message = models.CharField(_("channel message"), max_length=255, blank=True)
    query_attempts = models.PositiveIntegerField(_("query attempts"), default=0)
    next_query_at = models.DateTimeField(_("next query at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    finalized_at = models.DateTimeField(_("finalized at"), null=True, blank=True)
    reversed_at = models.DateTimeField(_("reversed at"), null=True, blank=True)
    # The channel's own booking time when it told us (callback); statements are dated by it.
    channel_settled_at = models.DateTimeField(_("channel settled at"), null=True, blank=True)
    reconciled_on = models.DateField(_("reconciled on"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("payment order")
        verbose_name_plural = _("payment orders")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_order_amount_positive"),
            models.CheckConstraint(
                condition=Q(channel_serial__isnull=False) | Q(state="CREATED"),
                name="payment_order_serial_once_submitted",
            ),
        ]
        indexes = [
            models.Index(
                fields=["state", "next_query_at"],
                name="payment_order_in_flight",
                condition=Q(state__in=["CREATED", "SUBMITTED", "PROCESSING"]),
            ),
            models.Index(fields=["channel", "finalized_at"], name="payment_order_channel_final"),
            models.Index(fields=["purpose", "reference"], name="payment_order_purpose_ref"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk} {self.amount} {self.get_state_display()}"

    @property
    def is_final(self) -> bool:
        return self.state in self.State.final()


class PaymentOrderEvent(models.Model):
    """One row per state change (and per notable answer): the order's audit trail, append-only."""

    class Source(models.TextChoices):
        CREATE = "CREATE", _("Created by the caller")
        SUBMIT = "SUBMIT", _("Submission answer")
        QUERY = "QUERY", _("Query answer")
        CALLBACK = "CALLBACK", _("Channel callback")
        RECOVERY = "RECOVERY", _("Recovery")
        OPERATOR = "OPERATOR", _("Operator")

    order = models.ForeignKey(PaymentOrder, on_delete=models.PROTECT, related_name="events", verbose_name=_("order"))
    from_state = models.CharField(_("from state"), max_length=16, blank=True)
    to_state = models.CharField(_("to state"), max_length=16)
    source = models.CharField(_("source"), max_length=16, choices=Source.choices)
    channel_code = models.CharField(_("channel code"), max_length=16, blank=True)
    note = models.CharField(_("note"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("payment order event")
        verbose_name_plural = _("payment order events")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.from_state or '-'} → {self.to_state} ({self.source})"


class ChannelCallback(models.Model):
    """Every authentic callback we received, with what we did with it (duplicates are kept, not applied)."""

    class Outcome(models.TextChoices):
        APPLIED = "APPLIED", _("Applied")
        DUPLICATE = "DUPLICATE", _("Duplicate of the final state")
        STALE = "STALE", _("Older than what we know")
        CONFLICT = "CONFLICT", _("Conflicts with the final state")
        UNKNOWN_ORDER = "UNKNOWN_ORDER", _("No such order")

    channel = models.CharField(_("channel"), max_length=32)
    channel_serial = models.CharField(_("channel serial"), max_length=64)
    status = models.CharField(_("status"), max_length=16)
    channel_code = models.CharField(_("channel code"), max_length=16, blank=True)
    amount = models.DecimalField(_("amount"), max_digits=18, decimal_places=2, null=True, blank=True)
    settled_at = models.DateTimeField(_("settled at"), null=True, blank=True)
    body = models.TextField(_("body"))
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices)
    order = models.ForeignKey(
        PaymentOrder,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="callbacks",
        verbose_name=_("order"),
    )
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)

    class Meta:
        verbose_name = _("channel callback")
        verbose_name_plural = _("channel callbacks")
        indexes = [models.Index(fields=["channel", "channel_serial"], name="channel_callback_serial")]

    def __str__(self) -> str:
        return f"{self.channel} {self.channel_serial} {self.status} ({self.outcome})"


class SettlementOutbox(models.Model):
    """A final state waiting to be delivered to the settlement handler of the order's purpose.

    Written in the same transaction as the final state; a worker claims it with a lease, calls the
    handler outside that transaction and marks it delivered (handlers are idempotent per order and state).
    """

    order = models.ForeignKey(PaymentOrder, on_delete=models.PROTECT, related_name="outbox", verbose_name=_("order"))
    state = models.CharField(_("state"), max_length=16, choices=PaymentOrder.State.choices)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    claimed_until = models.DateTimeField(_("claimed until"), null=True, blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("settlement outbox row")
        verbose_name_plural = _("settlement outbox")
        constraints = [models.UniqueConstraint(fields=["order", "state"], name="settlement_outbox_once_per_state")]
        indexes = [
            models.Index(
                fields=["next_attempt_at"], name="settlement_outbox_pending", condition=Q(delivered_at__isnull=True)
            )
        ]

    def __str__(self) -> str:
        return f"order {self.order_id} {self.state} ({'delivered' if self.delivered_at else 'pending'})"


class ReconciliationRun(models.Model):
    """One reconciled (channel, day): the statement's checksum and what was found. Re-runs change nothing."""

    channel = models.CharField(_("channel"), max_length=32)
    statement_date = models.DateField(_("statement date"))
    statement_sha256 = models.CharField(_("statement checksum"), max_length=64)
    lines = models.PositiveIntegerField(_("statement lines"))
    matched = models.PositiveIntegerField(_("matched"))
    long = models.PositiveIntegerField(_("long (长款)"))
    short = models.PositiveIntegerField(_("short (短款)"))
    amount_mismatch = models.PositiveIntegerField(_("amount mismatch"))
    status_mismatch = models.PositiveIntegerField(_("status mismatch"))
    cases_opened = models.PositiveIntegerField(_("cases opened"))
    collections_settled = models.DecimalField(_("collections settled"), max_digits=18, decimal_places=2)
    channel_fees = models.DecimalField(_("channel fees"), max_digits=18, decimal_places=2)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("reconciliation run")
        verbose_name_plural = _("reconciliation runs")
        constraints = [
            models.UniqueConstraint(fields=["channel", "statement_date"], name="reconciliation_run_once_per_day")
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.statement_date}"


class PaymentCase(models.Model):
    """Something an operator must look at: a statement line we could not match, or a conflicting callback.

    A case with a suspense amount has put that amount on 1901 (short) or 2902 (long); resolving it posts
    the journal that clears the suspense against the account the operator chooses.
    """

    class Kind(models.TextChoices):
        LONG = "LONG", _("Long (长款)")
        SHORT = "SHORT", _("Short (短款)")
        AMOUNT_MISMATCH = "AMOUNT_MISMATCH", _("Amount mismatch")
        STATUS_MISMATCH = "STATUS_MISMATCH", _("Status mismatch")
        CALLBACK_CONFLICT = "CALLBACK_CONFLICT", _("Conflicting channel answer")

    class Status(models.TextChoices):
        OPEN = "OPEN", _("Open")
        RESOLVED = "RESOLVED", _("Resolved")

    class SuspenseSide(models.TextChoices):
        NONE = "", _("No suspense")
        SHORT = "SHORT", _("Short suspense 1901")
        LONG = "LONG", _("Long suspense 2902")

    # Deduplicates re-runs: the same finding on the same day (or the same conflict) is one case.
    case_key = models.CharField(_("case key"), max_length=200, unique=True)
    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.OPEN)
    channel = models.CharField(_("channel"), max_length=32)
    channel_serial = models.CharField(_("channel serial"), max_length=64, blank=True)
    order = models.ForeignKey(
        PaymentOrder,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases",
        verbose_name=_("order"),
    )
    statement_date = models.DateField(_("statement date"), null=True, blank=True)
    statement_status = models.CharField(_("statement status"), max_length=16, blank=True)
    statement_amount = models.DecimalField(
        _("statement amount"), max_digits=18, decimal_places=2, null=True, blank=True
    )
    order_state = models.CharField(_("our state"), max_length=16, blank=True)
    order_amount = models.DecimalField(_("our amount"), max_digits=18, decimal_places=2, null=True, blank=True)
    suspense_side = models.CharField(
        _("suspense side"), max_length=8, choices=SuspenseSide.choices, default=SuspenseSide.NONE, blank=True
    )
    suspense_amount = models.DecimalField(_("suspense amount"), max_digits=18, decimal_places=2, default=0)
    suspense_journal_id = models.BigIntegerField(_("suspense journal"), null=True, blank=True)
    description = models.TextField(_("description"), blank=True)
    opened_at = models.DateTimeField(_("opened at"), auto_now_add=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("resolved by"),
    )
    resolution_account = models.CharField(_("cleared against"), max_length=64, blank=True)
    resolution_note = models.TextField(_("resolution note"), blank=True)
    resolution_journal_id = models.BigIntegerField(_("resolution journal"), null=True, blank=True)

    class Meta:
        verbose_name = _("payment case")
        verbose_name_plural = _("payment cases")
        permissions = [("resolve_paymentcase", _("Can resolve payment cases"))]
        constraints = [
            models.CheckConstraint(condition=Q(suspense_amount__gte=0), name="payment_case_suspense_not_negative"),
            models.CheckConstraint(
                condition=Q(status="OPEN") | Q(resolved_at__isnull=False), name="payment_case_resolved_has_time"
            ),
        ]
        indexes = [models.Index(fields=["status", "kind"], name="payment_case_queue")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.channel} {self.channel_serial}"
