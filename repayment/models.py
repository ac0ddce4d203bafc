"""Loan accounts and their servicing: schedule, co-lending shares, repayments, events and close-of-business records.

Money columns hold the whole loan unless named ``own_*`` (our share, the part our books carry: DOMAIN.md §8).
Rows that close-of-business writes for a million loans a night (accruals) carry no foreign-key constraints:
the key checks are most of an insert's cost (PERFORMANCE.md), and the rows are written only by set-based SQL
that reads the ids from the tables they would point at.
"""

from decimal import Decimal

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

MONEY = {"max_digits": 18, "decimal_places": 2}
RATE = {"max_digits": 9, "decimal_places": 6}
ZERO = Decimal("0.00")


class BusinessDate(models.Model):
    """The servicing calendar: the date close-of-business last completed. Nothing in servicing reads the wall clock.

    A single row (id = 1), advanced only by close-of-business: when the close of a date starts, that date is
    closed for new business (payments from then on are value-dated the next day), and a loan whose partition
    has not been processed yet is caught up inline before any write (`services.cob.loan_catch_up`).
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    business_date = models.DateField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="business_date_single_row")]

    def __str__(self) -> str:
        return self.business_date.isoformat()


class Bucket(models.TextChoices):
    """Delinquency buckets by days past due (DOMAIN.md §9)."""

    C = "C", "C"
    M1 = "M1", "M1"
    M2 = "M2", "M2"
    M3 = "M3", "M3"
    M4 = "M4", "M4"
    M5 = "M5", "M5"
    M6 = "M6", "M6"
    M6_PLUS = "M6+", "M6+"


class Loan(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "ACTIVE", _("Active")
        SETTLED = "SETTLED", _("Settled")
        WRITTEN_OFF = "WRITTEN_OFF", _("Written off")

    payout_order_id = models.BigIntegerField(_("payout order"), unique=True)
    # lending's ids: repayment imports nothing of lending, so these are plain values, not foreign keys.
    borrower_id = models.BigIntegerField(_("borrower"), db_index=True)
    application_reference = models.CharField(_("application"), max_length=64)
    product_code = models.CharField(_("product"), max_length=32)
    grade = models.CharField(_("grade"), max_length=8, blank=True, default="")
    scorecard_version = models.CharField(_("scorecard version"), max_length=64, blank=True, default="")
    principal = models.DecimalField(_("principal"), **MONEY)
    annual_rate = models.DecimalField(_("annual rate"), **RATE)
    term = models.PositiveSmallIntegerField(_("term (months)"))
    method = models.CharField(_("repayment method"), max_length=20)
    day_count = models.CharField(_("day count"), max_length=8)
    disbursed_on = models.DateField(_("disbursed on"))
    first_due_on = models.DateField(_("first due on"))
    maturity_on = models.DateField(_("maturity"))
    # What a rebuild needs to keep of the schedule in force (repayment.rebuild): its level and broken period.
    level_payment = models.DecimalField(_("level payment"), null=True, blank=True, **MONEY)
    level_principal = models.DecimalField(_("level principal"), null=True, blank=True, **MONEY)
    first_period_days = models.PositiveSmallIntegerField(_("first period days"), null=True, blank=True)
    # min(annual rate × multiplier, the rule set's APR ceiling), fixed at opening (DOMAIN.md §4).
    penalty_multiplier = models.DecimalField(_("penalty multiplier"), max_digits=5, decimal_places=2)
    penalty_rate = models.DecimalField(_("penalty rate"), **RATE)
    apr_ceiling = models.DecimalField(_("APR ceiling"), **RATE)
    rule_set = models.CharField(_("rule set"), max_length=32)
    grace_days = models.PositiveSmallIntegerField(_("grace days"))
    allocation_strategy = models.CharField(_("allocation strategy"), max_length=32)
    prepayment_mode = models.CharField(_("prepayment mode"), max_length=16)
    rollover_limit = models.PositiveSmallIntegerField(_("rollover limit"))
    write_off_dpd = models.PositiveSmallIntegerField(_("write off at DPD"))
    debit_account = models.CharField(_("debit account"), max_length=64, blank=True)
    # Funding shares in order (ours first, then partners as lending listed them): the largest-remainder
    # splits of close-of-business SQL read them from here (function repayment_split_first).
    shares = models.JSONField(_("shares"), default=list)
    lead_partner = models.CharField(_("lead partner"), max_length=16, blank=True, help_text="first partner funder")
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.ACTIVE)
    outstanding_principal = models.DecimalField(_("outstanding principal"), **MONEY)
    own_outstanding_principal = models.DecimalField(_("our outstanding principal"), **MONEY)
    overdue_principal = models.DecimalField(_("overdue principal"), default=ZERO, **MONEY)
    overdue_amount = models.DecimalField(_("overdue amount"), default=ZERO, **MONEY)
    penalty_outstanding = models.DecimalField(_("penalty outstanding"), default=ZERO, **MONEY)
    overpayment_balance = models.DecimalField(_("overpayment held"), default=ZERO, **MONEY)
    provision_amount = models.DecimalField(_("loss allowance (ours)"), default=ZERO, **MONEY)
    dpd = models.PositiveIntegerField(_("days past due"), default=0)
    max_dpd = models.PositiveIntegerField(_("highest DPD ever"), default=0)
    bucket = models.CharField(_("bucket"), max_length=3, choices=Bucket.choices, default=Bucket.C)
    first_installment_max_dpd = models.PositiveIntegerField(_("first installment's highest DPD"), default=0)
    first_installment_paid_on = models.DateField(_("first installment paid on"), null=True, blank=True)
    rollover_count = models.PositiveSmallIntegerField(_("rollovers"), default=0)
    # The last business date whose close this loan went through inline (a borrower's write caught it up);
    # partitions skip a loan already closed for their date.
    cob_date = models.DateField(_("closed through"))
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    opened_at = models.DateTimeField(_("opened at"), auto_now_add=True)

    class Meta:
        verbose_name = _("loan")
        verbose_name_plural = _("loans")
        ordering = ("-id",)
        indexes = [models.Index(fields=["status", "id"], name="repayment_loan_status_id")]
        constraints = [
            models.CheckConstraint(condition=Q(principal__gt=0), name="loan_principal_positive"),
            models.CheckConstraint(
                condition=Q(outstanding_principal__gte=0) & Q(outstanding_principal__lte=F("principal")),
                name="loan_outstanding_within_principal",
            ),
            models.CheckConstraint(condition=Q(overpayment_balance__gte=0), name="loan_overpayment_not_negative"),
            models.CheckConstraint(
                condition=Q(rollover_count__lte=F("rollover_limit")), name="loan_rollovers_within_limit"
            ),
        ]

    def __str__(self) -> str:
        return f"L{self.pk} {self.principal} {self.status}"

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE


class LoanFunding(models.Model):
    """One funder's part of a loan (DOMAIN.md §5): its share, what it put up, and what it is still owed."""

    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="fundings")
    position = models.PositiveSmallIntegerField(help_text="0 = ours, then partners in lending's order")
    partner_code = models.CharField(_("funder"), max_length=16)
    is_own = models.BooleanField(_("ours"))
    share = models.DecimalField(_("share"), max_digits=7, decimal_places=6)
    funded_principal = models.DecimalField(_("funded principal"), **MONEY)
    outstanding_principal = models.DecimalField(_("outstanding principal"), **MONEY)

    class Meta:
        verbose_name = _("loan funding")
        verbose_name_plural = _("loan fundings")
        ordering = ("loan", "position")
        constraints = [
            models.UniqueConstraint(fields=["loan", "position"], name="loan_funding_position"),
            models.UniqueConstraint(fields=["loan", "partner_code"], name="loan_funding_partner"),
            models.CheckConstraint(condition=Q(outstanding_principal__gte=0), name="loan_funding_outstanding_ok"),
        ]

    def __str__(self) -> str:
        return f"{self.partner_code} {self.share}"

    @property
    def account(self) -> str:
        """Where this funder's collections are credited: our receivable, or the partner's payable."""
        return "1303" if self.is_own else f"2241.{self.partner_code}"


class Installment(models.Model):
    class Status(models.TextChoices):
        PENDING = "PENDING", _("Not yet due")
        DUE = "DUE", _("Due")
        PAID = "PAID", _("Paid")
        CANCELLED = "CANCELLED", _("Cancelled")

    # No index of its own: the unique (loan, number) index serves lookups by loan, and close-of-business reads
    # through the partial indexes below — a plain loan-id index would tempt the planner into reading all twelve.
    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="installments", db_index=False)
    number = models.PositiveSmallIntegerField(_("number"))
    period_start = models.DateField(_("period start"))
    due_date = models.DateField(_("due date"))
    principal = models.DecimalField(_("principal"), **MONEY)
    interest = models.DecimalField(_("interest"), **MONEY)
    # Our split of the interest (DOMAIN.md §5): what close-of-business accrues into 1132, pro rata.
    own_interest = models.DecimalField(_("our interest"), **MONEY)
    principal_paid = models.DecimalField(_("principal paid"), default=ZERO, **MONEY)
    interest_paid = models.DecimalField(_("interest paid"), default=ZERO, **MONEY)
    penalty_accrued = models.DecimalField(_("penalty accrued"), default=ZERO, **MONEY)
    own_penalty_accrued = models.DecimalField(_("our penalty accrued"), default=ZERO, **MONEY)
    penalty_paid = models.DecimalField(_("penalty paid"), default=ZERO, **MONEY)
    # Penalty is settled in segments when part of the overdue principal is paid: the penalty for the days
    # up to `penalty_base_on` (at the principal then overdue) is `penalty_base`; later days run on what is left.
    penalty_base_on = models.DateField(_("penalty segment start"))
    penalty_base = models.DecimalField(_("penalty of earlier segments"), default=ZERO, **MONEY)
    # Set when a payment recognised the rest of the period's interest at once (paid early, prepaid).
    accrual_closed = models.BooleanField(_("accrual closed"), default=False)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    paid_on = models.DateField(_("paid on"), null=True, blank=True)

    class Meta:
        verbose_name = _("installment")
        verbose_name_plural = _("installments")
        ordering = ("loan", "number")
        indexes = [
            # Partial indexes on unpaid installments (PERFORMANCE.md), so that a step reads a partition's
            # current rows instead of twelve per loan: accrual and mark-due find the pending installments by
            # due date (the period start rides along); penalty, ageing, auto-debit and the allowance read only
            # the installments due and unpaid.
            models.Index(
                fields=["loan", "due_date"],
                include=["period_start"],
                condition=Q(status="PENDING"),
                name="repayment_inst_pending",
            ),
            models.Index(fields=["loan", "due_date"], condition=Q(status="DUE"), name="repayment_inst_due"),
        ]
        constraints = [
            # Numbers are never reused: a rebuilt schedule continues after the highest, cancelled rows included.
            models.UniqueConstraint(fields=["loan", "number"], name="installment_number_per_loan"),
            models.CheckConstraint(
                condition=Q(principal_paid__lte=F("principal")), name="installment_principal_paid_ok"
            ),
            models.CheckConstraint(condition=Q(interest_paid__lte=F("interest")), name="installment_interest_paid_ok"),
            models.CheckConstraint(
                condition=Q(penalty_paid__lte=F("penalty_accrued")), name="installment_penalty_paid_ok"
            ),
            # A prepayment on a period's first day leaves a zero-day stub: start == due date.
            models.CheckConstraint(condition=Q(period_start__lte=F("due_date")), name="installment_period_ok"),
        ]

    def __str__(self) -> str:
        return f"L{self.loan_id}#{self.number} {self.due_date}"

    @property
    def principal_unpaid(self) -> Decimal:
        return self.principal - self.principal_paid

    @property
    def interest_unpaid(self) -> Decimal:
        return self.interest - self.interest_paid

    @property
    def penalty_unpaid(self) -> Decimal:
        return self.penalty_accrued - self.penalty_paid

    @property
    def owed(self) -> Decimal:
        return self.principal_unpaid + self.interest_unpaid + self.penalty_unpaid


class InstallmentShare(models.Model):
    """One funder's part of one installment: principal and interest as split at billing, and what it was paid."""

    installment = models.ForeignKey(Installment, on_delete=models.PROTECT, related_name="shares")
    funding = models.ForeignKey(LoanFunding, on_delete=models.PROTECT, related_name="installment_shares")
    principal = models.DecimalField(**MONEY)
    interest = models.DecimalField(**MONEY)
    principal_paid = models.DecimalField(default=ZERO, **MONEY)
    interest_paid = models.DecimalField(default=ZERO, **MONEY)
    penalty_paid = models.DecimalField(default=ZERO, **MONEY)

    class Meta:
        verbose_name = _("installment share")
        verbose_name_plural = _("installment shares")
        constraints = [
            models.UniqueConstraint(fields=["installment", "funding"], name="installment_share_per_funder"),
        ]

    def __str__(self) -> str:
        return f"{self.installment} {self.funding.partner_code}"


class DebitAgreement(models.Model):
    """The borrower's signed authorisation (代扣协议) to collect dues from an account automatically."""

    loan = models.OneToOneField(Loan, on_delete=models.PROTECT, related_name="debit_agreement")
    account = models.CharField(_("account"), max_length=64)
    signed_on = models.DateField(_("signed on"))
    revoked_on = models.DateField(_("revoked on"), null=True, blank=True)

    class Meta:
        verbose_name = _("debit agreement")
        verbose_name_plural = _("debit agreements")

    def __str__(self) -> str:
        return f"L{self.loan_id} → {self.account}"


class Repayment(models.Model):
    class Kind(models.TextChoices):
        REGULAR = "REGULAR", _("Regular repayment")
        PREPAYMENT_FULL = "PREPAYMENT_FULL", _("Full prepayment")
        PREPAYMENT_PARTIAL = "PREPAYMENT_PARTIAL", _("Partial prepayment")

    class Source(models.TextChoices):
        BORROWER = "BORROWER", _("Borrower")
        AUTO_DEBIT = "AUTO_DEBIT", _("Automatic debit")
        OVERPAYMENT = "OVERPAYMENT", _("Overpayment held")

    class Status(models.TextChoices):
        PENDING = "PENDING", _("Collecting")
        SUCCEEDED = "SUCCEEDED", _("Collected")
        FAILED = "FAILED", _("Failed")

    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="repayments")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    source = models.CharField(_("source"), max_length=12, choices=Source.choices)
    amount = models.DecimalField(_("amount"), **MONEY)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    idempotency_key = models.CharField(_("idempotency key"), max_length=160, unique=True)
    payment_order_id = models.BigIntegerField(_("collection order"), null=True, blank=True, unique=True)
    requested_on = models.DateField(_("requested on"))
    # For auto-debits: the business date whose close asked for it (one per loan and date).
    debit_on = models.DateField(_("debit for close of"), null=True, blank=True)
    value_date = models.DateField(_("value date"), null=True, blank=True)
    overpayment = models.DecimalField(_("overpayment held"), default=ZERO, **MONEY)
    channel = models.CharField(_("channel"), max_length=32, blank=True)
    requested_by_id = models.BigIntegerField(_("requested by"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    settled_at = models.DateTimeField(_("settled at"), null=True, blank=True)

    class Meta:
        verbose_name = _("repayment")
        verbose_name_plural = _("repayments")
        ordering = ("-id",)
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="repayment_amount_positive"),
            models.UniqueConstraint(
                fields=["loan", "debit_on"], condition=Q(source="AUTO_DEBIT"), name="repayment_one_auto_debit_a_day"
            ),
        ]
        indexes = [
            models.Index(fields=["loan"], condition=Q(status="PENDING"), name="repayment_pending_per_loan"),
        ]

    def __str__(self) -> str:
        return f"R{self.pk} L{self.loan_id} {self.amount} {self.status}"


class RepaymentAllocation(models.Model):
    """Where one repayment went: per installment, component and funder; overpayment rows have neither."""

    class Component(models.TextChoices):
        PRINCIPAL = "PRINCIPAL", _("Principal")
        INTEREST = "INTEREST", _("Interest")
        PENALTY = "PENALTY", _("Penalty")
        OVERPAYMENT = "OVERPAYMENT", _("Overpayment")

    repayment = models.ForeignKey(Repayment, on_delete=models.PROTECT, related_name="allocations")
    installment = models.ForeignKey(Installment, on_delete=models.PROTECT, null=True, blank=True)
    funding = models.ForeignKey(LoanFunding, on_delete=models.PROTECT, null=True, blank=True)
    component = models.CharField(max_length=12, choices=Component.choices)
    amount = models.DecimalField(**MONEY)

    class Meta:
        verbose_name = _("repayment allocation")
        verbose_name_plural = _("repayment allocations")
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="allocation_amount_positive")]

    def __str__(self) -> str:
        return f"{self.component} {self.amount}"


class LoanEvent(models.Model):
    """The loan's history as officers read it: opened, repaid, overdue, rebuilt, rolled over, closed."""

    class Kind(models.TextChoices):
        OPENED = "OPENED", _("Opened")
        REPAID = "REPAID", _("Repayment applied")
        PREPAID = "PREPAID", _("Prepayment applied")
        SCHEDULE_REBUILT = "SCHEDULE_REBUILT", _("Schedule rebuilt")
        ROLLED_OVER = "ROLLED_OVER", _("Rolled over")
        OVERPAYMENT_HELD = "OVERPAYMENT_HELD", _("Overpayment held")
        OVERPAYMENT_APPLIED = "OVERPAYMENT_APPLIED", _("Overpayment applied")
        OVERPAYMENT_REFUNDED = "OVERPAYMENT_REFUNDED", _("Overpayment refunded")
        COLLECTION_FAILED = "COLLECTION_FAILED", _("Collection failed")
        CAUGHT_UP = "CAUGHT_UP", _("Close-of-business caught up inline")
        SETTLED = "SETTLED", _("Settled")
        WRITTEN_OFF = "WRITTEN_OFF", _("Written off")

    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=24, choices=Kind.choices)
    business_date = models.DateField()
    repayment = models.ForeignKey(Repayment, on_delete=models.PROTECT, null=True, blank=True)
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("loan event")
        verbose_name_plural = _("loan events")
        ordering = ("id",)

    def __str__(self) -> str:
        return f"L{self.loan_id} {self.kind} {self.business_date}"


class OverpaymentRefund(models.Model):
    """Money held for a borrower (2202) paid back through a payout; the balance is released only on success."""

    class Status(models.TextChoices):
        PENDING = "PENDING", _("Paying out")
        SUCCEEDED = "SUCCEEDED", _("Refunded")
        FAILED = "FAILED", _("Failed")

    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="refunds")
    amount = models.DecimalField(**MONEY)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    payment_order_id = models.BigIntegerField(null=True, blank=True, unique=True)
    requested_on = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("overpayment refund")
        verbose_name_plural = _("overpayment refunds")
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive")]

    def __str__(self) -> str:
        return f"L{self.loan_id} refund {self.amount}"


class LoanRollover(models.Model):
    """展期: the rest of the principal rescheduled over a new term; at most the rule set's limit per loan."""

    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="rollovers")
    number = models.PositiveSmallIntegerField()
    rolled_on = models.DateField()
    term = models.PositiveSmallIntegerField()
    principal = models.DecimalField(**MONEY)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["loan", "number"], name="loan_rollover_number")]

    def __str__(self) -> str:
        return f"L{self.loan_id} rollover {self.number}"


class InterestAccrual(models.Model):
    """One day's interest accrued on one loan (whole loan and our share). Unique per (date, loan): a re-run
    of close-of-business inserts nothing twice, and only what it inserted is journalled."""

    pk = models.CompositePrimaryKey("accrued_on", "loan_id")
    accrued_on = models.DateField()
    loan_id = models.BigIntegerField()
    installment_id = models.BigIntegerField()
    amount = models.DecimalField(**MONEY)
    own_amount = models.DecimalField(**MONEY)

    class Meta:
        verbose_name = _("interest accrual")
        verbose_name_plural = _("interest accruals")

    def __str__(self) -> str:
        return f"L{self.loan_id} {self.accrued_on} {self.amount}"


class CobRun(models.Model):
    """Close-of-business of one business date: its partitions (fixed when it starts) and how long each step took."""

    class Status(models.TextChoices):
        RUNNING = "RUNNING", _("Running")
        COMPLETED = "COMPLETED", _("Completed")

    business_date = models.DateField(unique=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    partition_size = models.PositiveIntegerField()
    # [[lo, hi], …] loan-id ranges (each a whole lock bucket): stored so a resumed run reuses them.
    partitions = models.JSONField(default=list)
    loans = models.PositiveIntegerField(default=0)
    steps = models.JSONField(default=dict, blank=True)
    started_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("close-of-business run")
        verbose_name_plural = _("close-of-business runs")
        ordering = ("-business_date",)

    def __str__(self) -> str:
        return f"COB {self.business_date} {self.status}"


class CobStepPartition(models.Model):
    """A (date, step, partition) that is done. Written in the same transaction as the step's effects, so its
    presence is proof they committed, and a re-run or resumed run skips it."""

    business_date = models.DateField()
    step = models.CharField(max_length=16)
    partition = models.PositiveIntegerField()
    lo = models.BigIntegerField()
    hi = models.BigIntegerField()
    rows = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField()
    completed_at = models.DateTimeField()

    class Meta:
        verbose_name = _("close-of-business step")
        verbose_name_plural = _("close-of-business steps")
        constraints = [
            models.UniqueConstraint(fields=["business_date", "step", "partition"], name="cob_step_partition_once"),
        ]

    def __str__(self) -> str:
        return f"{self.business_date} {self.step} #{self.partition}"


class PartnerSettlement(models.Model):
    """What we collected on a partner's behalf in a period, and the journal that paid it over (Dr 2241 / Cr 1002)."""

    partner_code = models.CharField(max_length=16)
    period_start = models.DateField()
    period_end = models.DateField()
    principal = models.DecimalField(**MONEY)
    interest = models.DecimalField(**MONEY)
    penalty = models.DecimalField(**MONEY)
    total = models.DecimalField(**MONEY)
    journal_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("partner settlement")
        verbose_name_plural = _("partner settlements")
        constraints = [
            models.UniqueConstraint(
                fields=["partner_code", "period_start", "period_end"], name="partner_settlement_once_per_period"
            ),
            models.CheckConstraint(condition=Q(period_start__lte=F("period_end")), name="partner_settlement_period"),
        ]

    def __str__(self) -> str:
        return f"{self.partner_code} {self.period_start}…{self.period_end}"
