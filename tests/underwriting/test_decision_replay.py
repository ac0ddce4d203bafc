"""A decision record is enough to reproduce its decision: replayed through the engine it gives the same answer."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from lending import services
from tests.lending import factories
from underwriting.models import DecisionRecord
from underwriting.services import decision_replay

MONDAY = datetime(2024, 1, 15, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture
def scored(db):
    from tests.lending.scorecards import activate_demo_scorecard

    activate_demo_scorecard()
    return factories.product("CASH12")


@pytest.mark.parametrize(
    ("borrower_kwargs", "amount"),
    [
        ({}, "5000.00"),  # approved
        ({"income": "30000.00"}, "10000.01"),  # rejected by the cap
        ({"is_student": True}, "5000.00"),  # rejected by eligibility
        ({"income": "250000.00", "evidence": "SELF_DECLARED"}, "5000.00"),  # referred
        ({"characteristics": factories.risky_characteristics()}, "150000.00"),  # a weak grade
    ],
)
def test_replaying_a_record_reproduces_outcome_reasons_and_terms(scored, borrower_kwargs, amount):
    applicant = factories.borrower(**borrower_kwargs)
    application = services.application_submit(
        borrower_id=applicant.pk, product_code="CASH12", amount=amount, term=12, submitted_at=MONDAY
    )

    replay = decision_replay(decision_id=application.decision_id, rescore=True)

    assert replay.matches
    assert replay.evaluation.outcome == application.decision.outcome


def test_a_tampered_record_no_longer_replays_to_the_same_decision(scored):
    applicant = factories.borrower(income="30000.00")
    application = services.application_submit(
        borrower_id=applicant.pk, product_code="CASH12", amount="10000.00", term=12, submitted_at=MONDAY
    )
    record = DecisionRecord.objects.get(pk=application.decision_id)
    record.facts["average_annual_income"] = "20000.00"
    record.save()

    assert not decision_replay(decision_id=record.pk).matches
