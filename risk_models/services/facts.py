"""Facts pushed by the apps above (underwriting's decisions); they join the caller's transaction."""

from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.db import connection
from django.utils.translation import gettext as _
from psycopg.types.json import Jsonb

from common.money import money

from ..exceptions import DecisionFactInvalid
from ..models import DecisionFact

# Written in this order; a later decision for the same application replaces every column but the reference.
FACT_COLUMNS = (
    "application_reference",
    "decided_at",
    "decided_on",
    "outcome",
    "product_code",
    "channel",
    "amount",
    "approved_amount",
    "term",
    "score",
    "pd",
    "grade",
    "scorecard_version",
    "variant",
    "reason_codes",
    "characteristics",
)
JSON_COLUMNS = frozenset({"reason_codes", "characteristics"})
# Built once per process: the ORM's bulk upsert compiled the same statement on every application (a measurable
# share of the application API's CPU).
UPSERT_SQL = (
    f"INSERT INTO {DecisionFact._meta.db_table} ({', '.join(FACT_COLUMNS)}, recorded_at, updated_at) "  # noqa: S608
    f"VALUES ({', '.join(['%s'] * len(FACT_COLUMNS))}, now(), now()) "
    "ON CONFLICT (application_reference) DO UPDATE SET "
    + ", ".join(f"{name} = EXCLUDED.{name}" for name in FACT_COLUMNS[1:])
    + ", updated_at = now() RETURNING id"
)


def decision_fact_record(
    *,
    application_reference: str,
    decided_at: datetime,
    decided_on: date,
    outcome: str,
    product_code: str,
    channel: str,
    amount: Decimal,
    term: int,
    score: int | None,
    pd: Decimal | None,
    grade: str | None,
    scorecard_version: str | None,
    variant: str | None,
    reason_codes: list[str],
    characteristics: dict,
    approved_amount: Decimal | None = None,
) -> DecisionFact:
    """One row per application: a later decision (after manual review) replaces the earlier one.

    A single INSERT … ON CONFLICT DO UPDATE, so concurrent or repeated calls leave exactly one row.
    """
    if outcome not in DecisionFact.Outcome.values:
        raise DecisionFactInvalid(_("Unknown decision outcome %(outcome)s.") % {"outcome": outcome}, outcome=outcome)
    fact = DecisionFact(
        application_reference=application_reference,
        decided_at=decided_at,
        decided_on=decided_on,
        outcome=outcome,
        product_code=product_code,
        channel=channel or "",
        amount=money(amount, field="amount"),
        approved_amount=money(approved_amount, field="approved_amount") if approved_amount else None,
        term=int(term),
        score=int(score) if score is not None else None,
        pd=_probability(pd),
        grade=grade or "",
        scorecard_version=scorecard_version or "",
        variant=variant or "",
        reason_codes=[str(code) for code in reason_codes or []],
        characteristics=_json_ready(characteristics or {}),
    )
    values = [Jsonb(getattr(fact, name)) if name in JSON_COLUMNS else getattr(fact, name) for name in FACT_COLUMNS]
    with connection.cursor() as cursor:
        cursor.execute(UPSERT_SQL, values)
        (fact.pk,) = cursor.fetchone()
    return fact


def decision_fact_outcome_record(*, application_reference: str, bad: bool, observed_on: date) -> None:
    """The matured outcome of a decided application (bad = 1), which monitoring's KS and AUC read."""
    updated = DecisionFact.objects.filter(application_reference=application_reference).update(
        matured_bad=bool(bad), outcome_observed_on=observed_on
    )
    if not updated:
        raise DecisionFactInvalid(
            _("No decision fact for application %(reference)s.") % {"reference": application_reference},
            application_reference=application_reference,
        )


def _probability(value) -> Decimal | None:
    if value is None:
        return None
    try:
        probability = Decimal(str(value))
    except InvalidOperation as exc:
        raise DecisionFactInvalid(_("PD must be a number."), pd=str(value)) from exc
    if not Decimal(0) <= probability <= Decimal(1):
        raise DecisionFactInvalid(_("PD must lie between 0 and 1."), pd=str(value))
    return probability


def _json_ready(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_ready(v) for v in value]
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value
