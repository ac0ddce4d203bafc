"""Reads of the computed indicator tables for the dashboards: which date to show, the filter choices, and
cells summed over a filter. Every rate is computed from the summed numerators and denominators."""

from dataclasses import dataclass
from datetime import date

from django.db.models import Q, QuerySet, Sum
from django.db.models.functions import TruncMonth

from ..models import IndicatorRun, IndicatorValue, ProductFundingFact, ScorecardVersion

MEASURES = {
    "count_numerator": Sum("count_numerator"),
    "count_denominator": Sum("count_denominator"),
    "amount_numerator": Sum("amount_numerator"),
    "amount_denominator": Sum("amount_denominator"),
}


@dataclass(frozen=True)
class Slice:
    """What the analyst asked to see: a date range of periods and, optionally, one product, partner, channel."""

    as_of: date
    date_from: date
    date_to: date
    product: str = ""
    partner: str = ""
    channel: str = ""


def indicator_run_for(*, on_or_before: date | None = None) -> IndicatorRun | None:
    """The computation to show: the latest one on or before the range's end (the latest of all without one)."""
    runs = IndicatorRun.objects.all()
    if on_or_before is not None:
        runs = runs.filter(as_of__lte=on_or_before)
    return runs.order_by("-as_of").first()


def filter_choices(*, run: IndicatorRun) -> dict[str, list[str]]:
    """Products, partners and channels that occur in the computation's tables (recorded when computed)."""
    dimensions = run.dimensions or {}
    return {name: list(dimensions.get(name) or ()) for name in ("products", "partners", "channels")}


def products_funded_by(partner: str) -> list[str]:
    return list(ProductFundingFact.objects.filter(partner_code=partner).values_list("product_code", flat=True))


def cells(
    indicator: str,
    view: Slice,
    *,
    by: tuple[str, ...] = ("period",),
    monthly: bool = False,
    in_range: bool = True,
    dimensions: bool = True,
) -> list[dict]:
    """The indicator's cells of ``view.as_of`` summed by ``by`` (``period`` becomes its month with
    ``monthly``). ``dimensions=False`` ignores the product / partner / channel filter (partner limits)."""
    rows = IndicatorValue.objects.filter(as_of=view.as_of, indicator=indicator)
    if in_range:
        rows = rows.filter(period__gte=view.date_from, period__lte=view.date_to)
    if dimensions:
        rows = _sliced(rows, view)
    fields = list(by)
    if monthly and "period" in fields:
        rows = rows.annotate(month=TruncMonth("period"))
        fields[fields.index("period")] = "month"
    summed = rows.values(*fields).annotate(**MEASURES).order_by(*fields)
    result = []
    for row in summed:
        if "month" in row:
            row["period"] = row.pop("month")
        result.append(row)
    return result


def _sliced(rows: QuerySet, view: Slice) -> QuerySet:
    if view.product:
        rows = rows.filter(product_code=view.product)
    if view.channel:
        rows = rows.filter(channel=view.channel)
    if view.partner:
        # A loan belongs to a partner it is led by, or to a product the partner co-funds.
        rows = rows.filter(
            Q(partner_code=view.partner) | Q(product_code__in=products_funded_by(view.partner)) & ~Q(product_code="")
        )
    return rows


def partner_limits(*, as_of: date) -> dict[str, object]:
    """Each partner's concentration limit as the date's tables carried it."""
    return dict(
        IndicatorValue.objects.filter(as_of=as_of, indicator="PARTNER")
        .exclude(partner_code="")
        .values_list("partner_code", "amount_denominator")
        .distinct()
    )


def scorecard_baselines(*, versions) -> dict[str, tuple[list[float], list[float]]]:
    """(score edges, training shares) of each card: the PSI baseline and the bands' bounds."""
    baselines = {}
    for version, baseline in ScorecardVersion.objects.filter(version__in=list(versions)).values_list(
        "version", "baseline"
    ):
        edges, shares = (baseline or {}).get("score_edges"), (baseline or {}).get("score_shares")
        if edges is not None and shares is not None:
            baselines[version] = ([float(e) for e in edges], [float(s) for s in shares])
    return baselines
