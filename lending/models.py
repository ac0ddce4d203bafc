"""Origination: borrowers, products, funding partners, applications, offers, contracts and their audit trail."""

from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .identity import mask

MONEY = {"max_digits": 18, "decimal_places": 2}
RATE = {"max_digits": 9, "decimal_places": 6}
SHARE = {"max_digits": 7, "decimal_places": 6}


class Employment(models.TextChoices):
    EMPLOYED = "EMPLOYED", _("Employed")
    SELF_EMPLOYED = "SELF_EMPLOYED", _("Self-employed")
    RETIRED = "RETIRED", _("Retired (pension)")
    UNEMPLOYED = "UNEMPLOYED", _("Not working")


class IncomeEvidence(models.TextChoices):
    PAYSLIP = "PAYSLIP", _("Payslips")
    TAX_RECORD = "TAX_RECORD", _("Individual income tax records")
    BANK_STATEMENT = "BANK_STATEMENT", _("Bank statements")
    SOCIAL_INSURANCE = "SOCIAL_INSURANCE", _("Social insurance contributions")
    SELF_DECLARED = "SELF_DECLARED", _("Self-declared (no document)")


class Borrower(models.Model):
    """A natural person who borrows from us: the KYC facts and the answers the scorecard needs."""

    class Kind(models.TextChoices):
        NATURAL = "NATURAL", _("Natural person")
        LEGAL = "LEGAL", _("Legal person")

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="borrower")
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.NATURAL)
    full_name = models.CharField(_("full name"), max_length=100)
    id_number = models.CharField(_("ID number"), max_length=18, unique=True)
    date_of_birth = models.DateField(_("date of birth"))
    mobile = models.CharField(_("mobile number"), max_length=11)
    bank_card = models.CharField(_("bank card number"), max_length=19)
    employment = models.CharField(_("employment"), max_length=16, choices=Employment.choices)
    employer_name = models.CharField(_("employer"), max_length=100, blank=True)
    average_annual_income = models.DecimalField(_("average annual income (last 3 years)"), **MONEY)
    income_evidence = models.CharField(_("income evidence"), max_length=20, choices=IncomeEvidence.choices)
    is_student = models.BooleanField(_("student"), default=False)
    monthly_debt_payments = models.DecimalField(
        _("monthly repayments to other lenders"), default=Decimal("0.00"), **MONEY
    )
    # Answers to the active scorecard's characteristics ({name: value}); the card changes without a migration.
    characteristics = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(average_annual_income__gte=0), name="borrower_income_not_negative"),
            models.CheckConstraint(condition=Q(monthly_debt_payments__gte=0), name="borrower_debt_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.full_name} ({mask(self.id_number, keep_start=3, keep_end=2)})"


class FundingPartner(models.Model):
    """Who puts up the principal: our own entity (exactly one) and partner banks, each with a concentration limit."""

    code = models.CharField(max_length=16, unique=True, help_text="ledger sub-account of 2241, e.g. ICBC")
    name = models.CharField(max_length=100)
    is_own = models.BooleanField(default=False)
    # REG_PARTNER_CONCENTRATION: the most this partner may have outstanding with our borrowers.
    concentration_limit = models.DecimalField(null=True, blank=True, **MONEY)
    is_active = models.BooleanField(default=True)
    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["is_own"], condition=Q(is_own=True), name="funding_partner_one_own"),
            models.CheckConstraint(
                condition=Q(is_own=True) | Q(concentration_limit__isnull=False),
                name="funding_partner_bank_has_limit",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def payable_account(self) -> str:
        return f"2241.{self.code}"


class RepaymentMethod(models.TextChoices):
    EQUAL_INSTALLMENT = "EQUAL_INSTALLMENT", _("Equal installments (principal and interest)")
    EQUAL_PRINCIPAL = "EQUAL_PRINCIPAL", _("Equal principal")
    INTEREST_ONLY = "INTEREST_ONLY", _("Interest only, principal at the end")
    BULLET = "BULLET", _("Principal and interest at maturity")


class Product(models.Model):
    class DayCount(models.TextChoices):
        ACT_360 = "ACT/360", "ACT/360"
        ACT_365 = "ACT/365", "ACT/365"

    class Allocation(models.TextChoices):
        OLDEST_FIRST = "OLDEST_FIRST", _("Oldest installment first, all of it")
        PENALTY_INTEREST_PRINCIPAL = "PENALTY_INTEREST_PRINCIPAL", _("Penalty, then interest, then principal")
        INTEREST_PRINCIPAL_PENALTY = "INTEREST_PRINCIPAL_PENALTY", _("Interest, then principal, then penalty")

    class Prepayment(models.TextChoices):
        SHORTEN_TERM = "SHORTEN_TERM", _("Shorten the term")
        LOWER_PAYMENT = "LOWER_PAYMENT", _("Lower the payment")

    code = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=100)
    min_amount = models.DecimalField(**MONEY)
    max_amount = models.DecimalField(**MONEY)
    terms = ArrayField(models.PositiveSmallIntegerField(), help_text="months offered, e.g. 3,6,12")
    method = models.CharField(max_length=20, choices=RepaymentMethod.choices)
    day_count = models.CharField(max_length=8, choices=DayCount.choices, default=DayCount.ACT_360)
    # A flat monthly service fee as a fraction of principal, billed with each installment and counted in the APR.
    monthly_fee_rate = models.DecimalField(default=Decimal("0"), **RATE)
    penalty_multiplier = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal("1.50"))
    grace_days = models.PositiveSmallIntegerField(default=3)
    # DOMAIN.md / STYLE.md: penalty → interest → principal, oldest installment first.
    allocation_strategy = models.CharField(max_length=32, choices=Allocation.choices, default=Allocation.OLDEST_FIRST)
    prepayment_mode = models.CharField(max_length=16, choices=Prepayment.choices, default=Prepayment.SHORTEN_TERM)
    offer_valid_days = models.PositiveSmallIntegerField(default=7)
    # Servicing limits the loan carries: rollovers (展期) allowed, never more than the rule set allows, and the
    # DPD at which close-of-business writes the loan off (past M6, DOMAIN.md §9).
    rollover_limit = models.PositiveSmallIntegerField(default=2)
    write_off_dpd = models.PositiveSmallIntegerField(default=181)
    is_active = models.BooleanField(default=True)
    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(min_amount__gt=0), name="product_min_amount_positive"),
            models.CheckConstraint(condition=Q(max_amount__gte=models.F("min_amount")), name="product_amount_range"),
            models.CheckConstraint(condition=Q(monthly_fee_rate__gte=0), name="product_fee_not_negative"),
            models.CheckConstraint(condition=Q(penalty_multiplier__gte=1), name="product_penalty_multiplier_min"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class ProductRate(models.Model):
    """The annual rate a credit grade pays on this product."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="rates")
    grade = models.CharField(max_length=1, choices=[(g, g) for g in "ABCDE"])
    annual_rate = models.DecimalField(validators=[MinValueValidator(0), MaxValueValidator(1)], **RATE)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["product", "grade"], name="product_rate_one_per_grade"),
            models.CheckConstraint(condition=Q(annual_rate__gt=0, annual_rate__lt=1), name="product_rate_range"),
        ]
        ordering = ["grade"]

    def __str__(self) -> str:
        return f"{self.product.code} {self.grade}: {self.annual_rate}"


class ProductFunding(models.Model):
    """Who funds this product's loans and in which share (the shares of a product sum to 1)."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="fundings")
    partner = models.ForeignKey(FundingPartner, on_delete=models.PROTECT, related_name="product_fundings")
    share = models.DecimalField(**SHARE)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["product", "partner"], name="product_funding_partner_once"),
            models.CheckConstraint(condition=Q(share__gt=0, share__lte=1), name="product_funding_share_range"),
        ]

    def __str__(self) -> str:
        return f"{self.product.code} {self.partner.code} {self.share}"


class Purpose(models.TextChoices):
    CONSUMPTION = "CONSUMPTION", _("Everyday consumption")
    HOME_IMPROVEMENT = "HOME_IMPROVEMENT", _("Home furnishing and repairs")
    TRAVEL = "TRAVEL", _("Travel")
    MEDICAL = "MEDICAL", _("Medical expenses")
    EDUCATION_TRAINING = "EDUCATION_TRAINING", _("Vocational training")


class ApprovalReason(models.TextChoices):
    """Why an officer approved a referred application (required with a note)."""

    INCOME_VERIFIED = "INCOME_VERIFIED", _("Income verified from documents")
    EMPLOYMENT_VERIFIED = "EMPLOYMENT_VERIFIED", _("Employment verified with the employer")
    ACCEPTABLE_RISK = "ACCEPTABLE_RISK", _("Risk acceptable on the whole file")


class RejectionReason(models.TextChoices):
    """Why an officer declined a referred application (required with a note)."""

    INCOME_NOT_VERIFIED = "INCOME_NOT_VERIFIED", _("Income could not be verified")
    DOCUMENTS_INCONSISTENT = "DOCUMENTS_INCONSISTENT", _("Documents are inconsistent")
    NOT_AFFORDABLE = "NOT_AFFORDABLE", _("Repayments not affordable")
    SUSPECTED_FRAUD = "SUSPECTED_FRAUD", _("Suspected fraud")
    NO_RESPONSE = "NO_RESPONSE", _("Requested information not provided")


class Application(models.Model):
    """进件: a borrower's request for a loan and where it stands. Statuses only move forward (`TRANSITIONS`)."""

    class Status(models.TextChoices):
        SUBMITTED = "SUBMITTED", _("Submitted")
        IN_REVIEW = "IN_REVIEW", _("With a credit officer")
        INFO_REQUESTED = "INFO_REQUESTED", _("More information requested")
        DECIDED = "DECIDED", _("Decided")
        OFFER_ACCEPTED = "OFFER_ACCEPTED", _("Offer accepted")
        DISBURSING = "DISBURSING", _("Paying out")
        DISBURSED = "DISBURSED", _("Paid out")
        DISBURSEMENT_FAILED = "DISBURSEMENT_FAILED", _("Payout failed")
        WITHDRAWN = "WITHDRAWN", _("Withdrawn")
        EXPIRED = "EXPIRED", _("Expired")

    class Outcome(models.TextChoices):
        APPROVED = "APPROVED", _("Approved")
        REJECTED = "REJECTED", _("Declined")
        MANUAL_REVIEW = "MANUAL_REVIEW", _("Manual review")

    reference = models.CharField(max_length=32, unique=True)
    borrower = models.ForeignKey(Borrower, on_delete=models.PROTECT, related_name="applications")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="applications")
    requested_amount = models.DecimalField(**MONEY)
    term = models.PositiveSmallIntegerField()
    purpose = models.CharField(max_length=20, choices=Purpose.choices, default=Purpose.CONSUMPTION)
    channel = models.CharField(max_length=8, choices=[("WEB", "web"), ("API", "API")], default="WEB")
    annual_income = models.DecimalField(**MONEY)
    characteristics = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.SUBMITTED)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, blank=True)
    decision = models.ForeignKey(
        "underwriting.DecisionRecord", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    review_flags = ArrayField(models.CharField(max_length=40), default=list, blank=True)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    idempotency_key = models.CharField(max_length=255, null=True, blank=True)
    submitted_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(excluded_fields=["updated_at"])

    TRANSITIONS: dict[str, frozenset[str]] = {
        Status.SUBMITTED: frozenset({Status.DECIDED, Status.IN_REVIEW, Status.WITHDRAWN}),
        Status.IN_REVIEW: frozenset({Status.DECIDED, Status.INFO_REQUESTED, Status.WITHDRAWN}),
        # The one way back: the borrower answered the officer's question.
        Status.INFO_REQUESTED: frozenset({Status.IN_REVIEW, Status.DECIDED, Status.WITHDRAWN, Status.EXPIRED}),
        Status.DECIDED: frozenset({Status.OFFER_ACCEPTED, Status.WITHDRAWN, Status.EXPIRED}),
        Status.OFFER_ACCEPTED: frozenset({Status.DISBURSING}),
        Status.DISBURSING: frozenset({Status.DISBURSED, Status.DISBURSEMENT_FAILED}),
        Status.DISBURSED: frozenset(),
        Status.DISBURSEMENT_FAILED: frozenset(),
        Status.WITHDRAWN: frozenset(),
        Status.EXPIRED: frozenset(),
    }
    # DOMAIN.md §4: accepted offers still being paid out count in the borrower's exposure.
    IN_FLIGHT = (Status.OFFER_ACCEPTED, Status.DISBURSING)
    REVIEW_QUEUE = (Status.IN_REVIEW, Status.INFO_REQUESTED)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["borrower", "idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="application_idempotency_key_per_borrower",
            ),
            models.CheckConstraint(condition=Q(requested_amount__gt=0), name="application_amount_positive"),
        ]
        indexes = [
            models.Index(fields=["borrower", "submitted_at"], name="application_recent_idx"),
            models.Index(fields=["status", "submitted_at"], name="application_queue_idx"),
        ]
        permissions = [
            ("review_application", "Can work the credit review queue (assign, approve, reject, request info)"),
            ("view_borrower_pii", "Can see ID and bank card numbers unmasked"),
        ]

    def __str__(self) -> str:
        return self.reference

    def can_move_to(self, status: str) -> bool:
        return status in self.TRANSITIONS[self.status]


class Offer(models.Model):
    """The priced terms an approved application may accept, APR first (the figure borrowers compare)."""

    application = models.OneToOneField(Application, on_delete=models.PROTECT, related_name="offer")
    amount = models.DecimalField(**MONEY)
    term = models.PositiveSmallIntegerField()
    method = models.CharField(max_length=20, choices=RepaymentMethod.choices)
    annual_rate = models.DecimalField(**RATE)
    apr = models.DecimalField(**RATE)
    grade = models.CharField(max_length=1)
    monthly_fee = models.DecimalField(**MONEY)
    total_interest = models.DecimalField(**MONEY)
    total_fee = models.DecimalField(**MONEY)
    total_repayment = models.DecimalField(**MONEY)
    schedule = models.JSONField()
    expires_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="offer_amount_positive")]

    def __str__(self) -> str:
        return f"{self.application.reference}: {self.amount} @ APR {self.apr}"

    @property
    def total_cost(self) -> Decimal:
        return self.total_interest + self.total_fee


class Contract(models.Model):
    """The signed loan contract: the HTML the borrower saw and consented to, and how the principal is funded."""

    application = models.OneToOneField(Application, on_delete=models.PROTECT, related_name="contract")
    number = models.CharField(max_length=32, unique=True)
    principal = models.DecimalField(**MONEY)
    annual_rate = models.DecimalField(**RATE)
    apr = models.DecimalField(**RATE)
    term = models.PositiveSmallIntegerField()
    method = models.CharField(max_length=20, choices=RepaymentMethod.choices)
    html = models.TextField()
    consents = models.JSONField(default=dict)
    accepted_at = models.DateTimeField()
    payout_idempotency_key = models.CharField(max_length=64, unique=True)
    payout_order_id = models.BigIntegerField(null=True, blank=True, unique=True)
    partner_funding_journal_id = models.BigIntegerField(null=True, blank=True)
    loan_id = models.BigIntegerField(null=True, blank=True)
    disbursed_on = models.DateField(null=True, blank=True)
    failure_reason = models.CharField(max_length=200, blank=True)
    history = HistoricalRecords()

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(principal__gt=0), name="contract_principal_positive")]

    def __str__(self) -> str:
        return self.number


class ContractFunding(models.Model):
    """One funder's part of a contract's principal, fixed once at disbursement (DOMAIN.md §5)."""

    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="fundings")
    partner = models.ForeignKey(FundingPartner, on_delete=models.PROTECT, related_name="contract_fundings")
    share = models.DecimalField(**SHARE)
    funded_amount = models.DecimalField(**MONEY)
    is_own = models.BooleanField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["contract", "partner"], name="contract_funding_partner_once"),
            models.CheckConstraint(condition=Q(funded_amount__gte=0), name="contract_funding_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.contract.number} {self.partner.code} {self.funded_amount}"


class ApplicationEvent(models.Model):
    """The audit trail: one row per transition or officer action, appended and never changed."""

    class Action(models.TextChoices):
        SUBMITTED = "SUBMITTED", _("Submitted")
        DECIDED = "DECIDED", _("Decided by the engine")
        REFERRED = "REFERRED", _("Referred to a credit officer")
        ASSIGNED = "ASSIGNED", _("Assigned")
        APPROVED = "APPROVED", _("Approved by an officer")
        REJECTED = "REJECTED", _("Declined by an officer")
        INFO_REQUESTED = "INFO_REQUESTED", _("Information requested")
        INFO_PROVIDED = "INFO_PROVIDED", _("Information provided")
        OFFER_ACCEPTED = "OFFER_ACCEPTED", _("Offer accepted")
        DISBURSING = "DISBURSING", _("Payout sent")
        DISBURSED = "DISBURSED", _("Paid out")
        DISBURSEMENT_FAILED = "DISBURSEMENT_FAILED", _("Payout failed")
        PAYOUT_REVERSED = "PAYOUT_REVERSED", _("Payout returned by the bank after success")
        WITHDRAWN = "WITHDRAWN", _("Withdrawn")
        EXPIRED = "EXPIRED", _("Expired")

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="events")
    action = models.CharField(max_length=24, choices=Action.choices)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True)
    reason_code = models.CharField(max_length=40, blank=True)
    note = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.application_id} {self.action}"


class ApplicationInReview(Application):
    """The credit officers' review queue in admin: referred applications, oldest first."""

    class Meta:
        proxy = True
        verbose_name = _("referred application")
        verbose_name_plural = _("review queue")
