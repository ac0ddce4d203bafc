"""Risk indicators: compute a date's tables, and the reference facts (partners, funding shares, loan origins)
that the apps above push so that the indicators can be cut by partner and channel."""

import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from ..exceptions import IndicatorInputInvalid
from ..indicators import compute
from ..indicators.definitions import DEFAULT_BAD, BadDefinition
from ..models import (
    FundingPartnerFact,
    IndicatorRun,
    IndicatorValue,
    LoanOrigination,
    ProductFundingFact,
    ScorecardVersion,
)

# Computed dates kept besides month ends: the dashboards read the latest, analysts compare month ends.
RECENT_DAYS_KEPT = 7


@transaction.atomic(durable=True)
def indicators_compute(*, as_of: date, bad: BadDefinition = DEFAULT_BAD) -> IndicatorRun:
    """Every indicator as of ``as_of``, replacing that date's rows in one transaction: computing a date
    twice gives the same rows, and readers see the old tables or the new ones, never half."""
    started = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM risk_models_indicatorvalue WHERE as_of = %s", [as_of])
    scope = compute.scope_for(as_of=as_of, bad=bad, baselines=_baselines())
    compute.compute(scope)
    counts = dict(
        IndicatorValue.objects.filter(as_of=as_of)
        .values_list("indicator")
        .annotate(rows=Count("id"))
        .values_list("indicator", "rows")
    )
    run, _created = IndicatorRun.objects.update_or_create(
        as_of=as_of,
        defaults={
            "computed_at": timezone.now(),
            "seconds": round(time.monotonic() - started, 3),
            "rows": sum(counts.values()),
            "indicators": dict(sorted(counts.items())),
            "dimensions": _dimensions(as_of),
        },
    )
    _older_dates_prune(as_of=as_of)
    return run


def _dimensions(as_of: date) -> dict[str, list[str]]:
    """What the dashboard's filters offer for this date: the products, channels and partners in its tables."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT array_agg(DISTINCT product_code) FILTER (WHERE product_code <> ''),
                   array_agg(DISTINCT channel) FILTER (WHERE channel <> ''),
                   array_agg(DISTINCT partner_code) FILTER (WHERE partner_code <> '')
            FROM risk_models_indicatorvalue WHERE as_of = %s
            """,
            [as_of],
        )
        products, channels, partners = cursor.fetchone()
    partners = set(partners or ()) | set(
        ProductFundingFact.objects.filter(is_own=False).values_list("partner_code", flat=True)
    )
    return {"products": sorted(products or ()), "channels": sorted(channels or ()), "partners": sorted(partners)}


def _baselines() -> list[tuple[str, tuple[float, ...], tuple[float, ...]]]:
    """Each card's training score deciles (edges) and their shares: the PSI baseline and the score bands."""
    rows = []
    for version, baseline in ScorecardVersion.objects.values_list("version", "baseline"):
        edges, shares = (baseline or {}).get("score_edges"), (baseline or {}).get("score_shares")
        if edges is not None and shares is not None and len(shares) == len(edges) + 1:
            rows.append((version, tuple(float(e) for e in edges), tuple(float(s) for s in shares)))
    return rows


def _older_dates_prune(*, as_of: date) -> None:
    """Keep the month ends and the last few computed dates; an older mid-month computation is superseded."""
    cutoff = as_of - timedelta(days=RECENT_DAYS_KEPT)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            DELETE FROM risk_models_indicatorvalue
            WHERE as_of < %(cutoff)s AND as_of <> (date_trunc('month', as_of) + interval '1 month - 1 day')::date
            """,
            {"cutoff": cutoff},
        )
    IndicatorRun.objects.filter(as_of__lt=cutoff).exclude(as_of__in=_month_ends_before(cutoff)).delete()


def _month_ends_before(cutoff: date) -> list[date]:
    return [
        run_date
        for run_date in IndicatorRun.objects.filter(as_of__lt=cutoff).values_list("as_of", flat=True)
        if (run_date + timedelta(days=1)).day == 1
    ]


def indicators_latest_date() -> date | None:
    """The date the books were last closed for: the newest loan-performance snapshot (servicing's close
    writes it last). risk_models cannot read servicing's business date; this is the same date, as data."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT max(snapshot_date) FROM risk_models_loanperformancesnapshot")
        (latest,) = cursor.fetchone()
    return latest


@dataclass(frozen=True)
class FundingPartnerTerms:
    """A funder as origination configured it."""

    partner_code: str
    name: str
    is_own: bool
    concentration_limit: Decimal | None


@transaction.atomic
def funding_terms_record(
    *, partners: Sequence[FundingPartnerTerms], product_shares: Mapping[str, Mapping[str, Decimal]]
) -> None:
    """Record the funders (with their concentration limits) and each product's funding shares, replacing what
    was recorded for them before. Joins the caller's transaction; repeating it changes nothing."""
    now = timezone.now()
    own = {p.partner_code for p in partners if p.is_own}
    for partner in partners:
        limit = partner.concentration_limit
        if limit is not None and Decimal(limit) <= 0:
            raise IndicatorInputInvalid(
                _("A concentration limit must be positive (partner %(partner)s).") % {"partner": partner.partner_code},
                partner_code=partner.partner_code,
            )
        FundingPartnerFact.objects.update_or_create(
            partner_code=partner.partner_code,
            defaults={
                "name": partner.name,
                "is_own": partner.is_own,
                "concentration_limit": limit,
                "recorded_at": now,
            },
        )
    for product_code, shares in product_shares.items():
        total = sum((Decimal(share) for share in shares.values()), Decimal(0))
        if total != 1:
            raise IndicatorInputInvalid(
                _("The funding shares of %(product)s must sum to 1, not %(total)s.")
                % {"product": product_code, "total": total},
                product_code=product_code,
            )
        ProductFundingFact.objects.filter(product_code=product_code).delete()
        ProductFundingFact.objects.bulk_create(
            ProductFundingFact(
                product_code=product_code,
                partner_code=code,
                is_own=code in own,
                share=Decimal(share),
                recorded_at=now,
            )
            for code, share in shares.items()
        )


def loan_originations_record(*, links: Iterable[tuple[int, str]]) -> None:
    """Record which application each loan was opened for ((loan_id, application_reference) pairs); a link
    already recorded stays as it is. Joins the caller's transaction."""
    now = timezone.now()
    LoanOrigination.objects.bulk_create(
        (
            LoanOrigination(loan_id=int(loan_id), application_reference=str(reference), recorded_at=now)
            for loan_id, reference in links
        ),
        ignore_conflicts=True,
        batch_size=2000,
    )
