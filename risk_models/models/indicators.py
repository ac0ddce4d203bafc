"""Risk-indicator tables (DOMAIN.md §9) and the reference facts they need from the apps above.

`IndicatorValue` is one cell of an indicator as of a computed date: additive measures (counts and amounts,
numerator and denominator) at the grain of the dashboard's filters, so that any filter sums cells and
divides once — a rate is never averaged. `compute_indicators --date D` replaces every row of ``as_of = D``
(idempotent per date); `IndicatorRun` records what that computation wrote.

The reference facts arrive through risk_models.services (risk_models imports nothing of ours):
`FundingPartnerFact` / `ProductFundingFact` (partners' concentration limits and each product's funding
shares, from origination) and `LoanOrigination` (which application a loan came from: the key that joins a
loan's performance to its decision, its channel and its score).
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

MONEY = {"max_digits": 18, "decimal_places": 2}
TOTAL = {"max_digits": 22, "decimal_places": 2}


class Indicator(models.TextChoices):
    APPROVAL = "APPROVAL", _("Approval rate")
    APPROVAL_BY_BAND = "APPROVAL_BY_BAND", _("Approval rate by score band")
    SCORE_PSI = "SCORE_PSI", _("Score stability (PSI)")
    SCORE_OUTCOME = "SCORE_OUTCOME", _("Scores of matured loans")
    DISBURSED = "DISBURSED", _("Disbursed")
    OUTSTANDING = "OUTSTANDING", _("Outstanding principal")
    DPD_BUCKET = "DPD_BUCKET", _("DPD bucket distribution")
    OVERDUE = "OVERDUE", _("Overdue rate (coincident)")
    OVERDUE_LAGGED = "OVERDUE_LAGGED", _("Overdue rate (lagged)")
    FPD = "FPD", _("First payment default")
    VINTAGE = "VINTAGE", _("Vintage")
    FLOW = "FLOW", _("Flow rate")
    PARTNER = "PARTNER", _("Partner concentration")


class IndicatorRun(models.Model):
    """One computation of every indicator for a date: when, how long, how many rows of each."""

    as_of = models.DateField(unique=True)
    computed_at = models.DateTimeField()
    seconds = models.FloatField()
    rows = models.PositiveIntegerField()
    indicators = models.JSONField(default=dict)  # {indicator: rows}
    # The values each filter can take in this date's tables: {"products": [...], "channels": [...], ...}
    dimensions = models.JSONField(default=dict)

    class Meta:
        ordering = ["-as_of"]

    def __str__(self) -> str:
        return f"indicators as of {self.as_of}"


class IndicatorValue(models.Model):
    """One cell: an indicator for a period and a combination of dimensions, as of a computed date.

    ``period`` is a day (applications, disbursements, observation dates) or the first day of a month
    (vintage and FPD cohorts, monthly model monitoring). ``key`` is the indicator's own axis: a DPD bucket,
    a months-on-book, a flow (``M1>M2``), a DPD threshold, a score band or a score. A blank dimension means
    "not applicable or unknown" (a loan whose application is not known has no channel).
    """

    as_of = models.DateField()
    indicator = models.CharField(max_length=24, choices=Indicator.choices)
    period = models.DateField()
    product_code = models.CharField(max_length=32, blank=True, default="")
    partner_code = models.CharField(max_length=16, blank=True, default="")
    channel = models.CharField(max_length=32, blank=True, default="")
    grade = models.CharField(max_length=8, blank=True, default="")
    scorecard_version = models.CharField(max_length=64, blank=True, default="")
    key = models.CharField(max_length=32, blank=True, default="")
    count_numerator = models.BigIntegerField(default=0)
    count_denominator = models.BigIntegerField(default=0)
    amount_numerator = models.DecimalField(default=0, **TOTAL)
    amount_denominator = models.DecimalField(default=0, **TOTAL)
    # Not additive (e.g. a baseline share of a score bucket); carried as is.
    value = models.FloatField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "as_of",
                    "indicator",
                    "period",
                    "product_code",
                    "partner_code",
                    "channel",
                    "grade",
                    "scorecard_version",
                    "key",
                ],
                name="risk_models_indicator_cell_once",
            ),
        ]
        indexes = [models.Index(fields=["as_of", "indicator", "period"], name="risk_models_indicator_read")]

    def __str__(self) -> str:
        return f"{self.indicator} {self.period} {self.key} as of {self.as_of}"


class FundingPartnerFact(models.Model):
    """A funding partner as origination configured it: its concentration limit (REG_PARTNER_CONCENTRATION)."""

    partner_code = models.CharField(max_length=16, unique=True)
    name = models.CharField(max_length=100, blank=True)
    is_own = models.BooleanField(default=False)
    concentration_limit = models.DecimalField(null=True, blank=True, **MONEY)
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["-is_own", "partner_code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(concentration_limit__isnull=True) | Q(concentration_limit__gt=0),
                name="risk_models_partner_limit_positive",
            ),
        ]

    def __str__(self) -> str:
        return self.partner_code


class ProductFundingFact(models.Model):
    """Which share of a product's loans a funder puts up: splits the partners' part of a loan between them."""

    product_code = models.CharField(max_length=32)
    partner_code = models.CharField(max_length=16)
    is_own = models.BooleanField(default=False)
    share = models.DecimalField(max_digits=7, decimal_places=6)
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["product_code", "-is_own", "partner_code"]
        constraints = [
            models.UniqueConstraint(fields=["product_code", "partner_code"], name="risk_models_product_funder_once"),
            models.CheckConstraint(condition=Q(share__gt=0, share__lte=1), name="risk_models_product_share_0_1"),
        ]

    def __str__(self) -> str:
        return f"{self.product_code} {self.partner_code} {self.share}"


class LoanOrigination(models.Model):
    """Which application a loan was opened for: joins performance snapshots to decision facts."""

    loan_id = models.BigIntegerField(unique=True)
    application_reference = models.CharField(max_length=64, unique=True)
    recorded_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"L{self.loan_id} ← {self.application_reference}"
