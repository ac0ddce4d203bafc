"""Partner settlement: what we collected on a partner's behalf in a period — a statement and the payable journal."""

import csv
import io
from datetime import date
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Sum

from ..exceptions import PartnerSettlementExists, _
from ..models import PartnerSettlement, RepaymentAllocation
from . import posting

ZERO = Decimal("0.00")
STATEMENT_HEADER = ("value_date", "loan_id", "repayment_id", "installment", "component", "amount")


def _partner_allocations(*, partner_code: str, period_start: date, period_end: date):
    return RepaymentAllocation.objects.filter(
        funding__partner_code=partner_code,
        funding__is_own=False,
        repayment__status="SUCCEEDED",
        repayment__value_date__gte=period_start,
        repayment__value_date__lte=period_end,
    )


@transaction.atomic(durable=True)
def partner_settlement_create(*, partner_code: str, period_start: date, period_end: date) -> PartnerSettlement:
    """Total what was collected for ``partner_code`` in the period by component and pay it over (Dr 2241 / Cr 1002)."""
    totals = dict.fromkeys(("PRINCIPAL", "INTEREST", "PENALTY"), ZERO)
    for row in (
        _partner_allocations(partner_code=partner_code, period_start=period_start, period_end=period_end)
        .values("component")
        .annotate(total=Sum("amount"))
    ):
        totals[row["component"]] = row["total"]
    total = sum(totals.values(), ZERO)
    try:
        with transaction.atomic():
            settlement = PartnerSettlement.objects.create(
                partner_code=partner_code,
                period_start=period_start,
                period_end=period_end,
                principal=totals["PRINCIPAL"],
                interest=totals["INTEREST"],
                penalty=totals["PENALTY"],
                total=total,
            )
    except IntegrityError as exc:
        raise PartnerSettlementExists(
            _("This partner's period is already settled."), partner=partner_code, period_start=period_start
        ) from exc
    settlement.journal_id = posting.post(
        posting.Legs().move(debit=f"2241.{partner_code}", credit="1002", amount=total),
        kind="PARTNER_SETTLEMENT",
        reference=f"partner:{partner_code}",
        posted_on=period_end,
        idempotency_key=f"partner-settlement:{partner_code}:{period_start.isoformat()}:{period_end.isoformat()}",
    )
    settlement.save(update_fields=["journal_id"])
    return settlement


def partner_statement_csv(*, partner_code: str, period_start: date, period_end: date) -> str:
    """The statement: one line per allocation made on the partner's behalf in the period, then totals."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(STATEMENT_HEADER)
    totals = dict.fromkeys(("PRINCIPAL", "INTEREST", "PENALTY"), ZERO)
    rows = (
        _partner_allocations(partner_code=partner_code, period_start=period_start, period_end=period_end)
        .select_related("repayment", "installment")
        .order_by("repayment__value_date", "repayment_id", "installment__number", "component")
    )
    for row in rows:
        writer.writerow(
            (row.repayment.value_date.isoformat(), row.repayment.loan_id, row.repayment_id,
             row.installment.number if row.installment else "", row.component, str(row.amount))
        )  # fmt: skip
        totals[row.component] += row.amount
    for component, amount in totals.items():
        writer.writerow(("TOTAL", "", "", "", component, str(amount)))
    return out.getvalue()
