"""Underwriting's writes: make a decision (and record it), replay one.

`decide` joins the caller's transaction (lending's `application_submit` is the durable entry point): the
decision record and the application it decides are committed together or not at all.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection
from django.utils import timezone

from risk_models import services as risk_services

from . import engine
from .facts import ApplicationFacts
from .models import DecisionRecord
from .policy import ACTIVE_EXPERIMENT, Experiment, policy_by_version
from .reasons import Reason


def score_facts(*, facts: ApplicationFacts) -> engine.ScoreSnapshot:
    result = risk_services.score(
        characteristics=facts.characteristics, product_code=facts.product.code, applicant_key=facts.applicant_key
    )
    return engine.ScoreSnapshot(
        score=int(result.score),
        pd=Decimal(str(result.pd)),
        grade=result.grade,
        version=str(result.version),
        reasons=tuple(result.reasons),
        variant=getattr(result, "variant", None),
    )


def decide(
    *, facts: ApplicationFacts, decided_at: datetime, channel: str = "", experiment: Experiment = ACTIVE_EXPERIMENT
) -> DecisionRecord:
    variant, policy = experiment.policy_for(facts.applicant_key)
    score = score_facts(facts=facts)
    rule_set = settings.REGULATORY_RULESET
    evaluation = engine.evaluate(facts=facts, policy=policy, score=score, rule_set=rule_set)
    terms = evaluation.terms
    record = DecisionRecord(
        application_reference=facts.application_reference,
        applicant_key=facts.applicant_key,
        outcome=evaluation.outcome,
        reasons=[r.as_dict() for r in evaluation.reasons],
        facts=facts.to_snapshot(),
        score=score.as_dict(),
        grade=evaluation.grade,
        approved_amount=evaluation.approved_amount,
        annual_rate=terms.annual_rate if terms else None,
        apr=terms.apr if terms else None,
        debt_to_income=evaluation.debt_to_income,
        terms=terms_snapshot(terms) if terms else None,
        variant=variant,
        experiment=experiment.name,
        policy_version=policy.version,
        rule_set=rule_set,
        scorecard_version=score.version,
        engine_version=engine.ENGINE_VERSION,
        decided_at=decided_at,
    )
    _record_insert(record)
    decision_fact_push(record=record, outcome=record.outcome, approved_amount=record.approved_amount, channel=channel)
    return record


_RECORD_FIELDS = [f for f in DecisionRecord._meta.concrete_fields if not f.primary_key]
# One INSERT per decision on the application API's hot path: its text written once, each value prepared by
# its field exactly as the ORM would (JSON, decimals, times).
_RECORD_INSERT = (
    f"INSERT INTO {DecisionRecord._meta.db_table} "  # noqa: S608 — composed of constants; values are bound parameters
    f"({', '.join(connection.ops.quote_name(f.column) for f in _RECORD_FIELDS)}) "
    f"VALUES ({', '.join(['%s'] * len(_RECORD_FIELDS))}) RETURNING id"
)


def _record_insert(record: DecisionRecord) -> None:
    values = [f.get_db_prep_save(f.pre_save(record, True), connection) for f in _RECORD_FIELDS]
    with connection.cursor() as cursor:
        cursor.execute(_RECORD_INSERT, values)
        record.pk = cursor.fetchone()[0]
    record._state.adding = False
    record._state.db = DEFAULT_DB_ALIAS


def terms_snapshot(terms: engine.PricedTerms) -> dict[str, Any]:
    return {
        "amount": str(terms.amount),
        "annual_rate": str(terms.annual_rate),
        "apr": str(terms.apr),
        "term": terms.term,
        "method": terms.method,
        "monthly_fee": str(terms.monthly_fee),
        "total_interest": str(terms.total_interest),
        "total_fee": str(terms.total_fee),
        "total_repayment": str(terms.total_repayment),
        "schedule": [i.as_dict() for i in terms.installments],
    }


def decision_fact_push(
    *,
    record: DecisionRecord,
    outcome: str,
    approved_amount: Decimal | None,
    channel: str = "",
    decided_at: datetime | None = None,
) -> None:
    """Push the decision into risk_models' fact table; an officer's final answer replaces MANUAL_REVIEW there."""
    decided_at = decided_at or record.decided_at
    risk_services.decision_fact_record(
        application_reference=record.application_reference,
        decided_at=decided_at,
        decided_on=timezone.localdate(decided_at),
        outcome=outcome,
        product_code=record.facts["product"]["code"],
        channel=channel,
        amount=Decimal(record.facts["requested_amount"]),
        term=int(record.facts["term"]),
        score=record.score.get("score"),
        pd=Decimal(record.score["pd"]) if record.score.get("pd") is not None else None,
        grade=record.grade,
        scorecard_version=record.scorecard_version,
        variant=record.score.get("variant") or record.variant,
        reason_codes=[r["code"] for r in record.reasons],
        characteristics=record.facts.get("characteristics") or {},
        approved_amount=approved_amount,
    )


@dataclass(frozen=True)
class Replay:
    record: DecisionRecord
    evaluation: engine.Evaluation
    rescored: bool

    @property
    def matches(self) -> bool:
        terms = self.evaluation.terms
        return (
            self.evaluation.score.as_dict() == self.record.score
            and self.evaluation.outcome == self.record.outcome
            and [r.as_dict() for r in self.evaluation.reasons] == self.record.reasons
            and self.evaluation.approved_amount == self.record.approved_amount
            and (terms.apr if terms else None) == self.record.apr
            and (terms_snapshot(terms) if terms else None) == self.record.terms
        )


def decision_replay(*, decision_id: int, rescore: bool = False) -> Replay:
    """Run the engine again on the recorded inputs under the recorded versions.

    With `rescore` the scorecard is asked again through the same routing (champion/challenger by the same
    applicant key); a card changed since then shows as a different score version and the replay does not
    match. Without it the recorded score is used, so the replay checks the rules and pricing alone.
    """
    record = DecisionRecord.objects.get(pk=decision_id)
    facts = ApplicationFacts.from_snapshot(record.facts)
    score = engine.ScoreSnapshot.from_dict(record.score)
    if rescore:
        score = score_facts(facts=facts)
    evaluation = engine.evaluate(
        facts=facts, policy=policy_by_version(record.policy_version), score=score, rule_set=record.rule_set
    )
    return Replay(record=record, evaluation=evaluation, rescored=rescore)


def reasons_of(record: DecisionRecord) -> list[Reason]:
    return [Reason.from_dict(r) for r in record.reasons]
