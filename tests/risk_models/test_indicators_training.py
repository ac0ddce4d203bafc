"""train_scorecard --from-portfolio: the training frame is our own decision facts joined with the matured
performance of the loans they led to."""

import json
from datetime import date
from io import StringIO

import numpy as np
import pytest
from django.core.management import CommandError, call_command

from risk_models.indicators.definitions import BadDefinition, bad_definition_parse
from risk_models.indicators.portfolio import training_frame
from risk_models.models import DecisionFact, ScorecardVersion
from risk_models.services import loan_originations_record

from .portfolio import snapshot_row, snapshots_insert

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _own_loan_register(monkeypatch):
    """book() registers its loans in the shared portfolio table: give each test a copy, so that the hand-built
    portfolio of the other indicator tests stays as they wrote it."""
    from . import portfolio

    monkeypatch.setattr(portfolio, "LOANS", dict(portfolio.LOANS))


MONTH_ENDS = [date(2024, m, d) for m, d in ((1, 31), (2, 29), (3, 31), (4, 30), (5, 31), (6, 30), (7, 31))]


def book(loans: int = 600, *, seed: int = 5) -> dict[int, bool]:
    """January loans followed to MOB6 (matured on 07-31), plus June loans (not matured unless bad).

    A bad loan reaches DPD 40 at MOB3; low income and the "west" region make bad likelier.
    """
    from django.utils import timezone

    from . import portfolio

    rng = np.random.default_rng(seed)
    outcomes, rows, links = {}, [], []
    for loan_id in range(1, loans + 1):
        income = float(rng.lognormal(11, 0.5))
        region = str(rng.choice(["north", "south", "west"]))
        bad = bool(rng.random() < 1 / (1 + np.exp(-(-1.0 - 1.5 * (np.log(income) - 11) + (region == "west")))))
        june = loan_id % 10 == 0
        disbursed = date(2024, 6, 3) if june else date(2024, 1, 5)
        portfolio.LOANS[loan_id] = {
            "product_code": "P1",
            "grade": "B",
            "disbursed_on": disbursed,
            "principal": "1000.00",
        }
        reference = f"APP-{loan_id}"
        DecisionFact.objects.create(
            application_reference=reference, decided_at=timezone.now(), decided_on=disbursed, outcome="APPROVED",
            product_code="P1", channel="WEB", amount="1000.00", approved_amount="1000.00", term=6, score=600,
            pd="0.1", grade="B", scorecard_version="SC-T",
            characteristics={"income": f"{income:.2f}", "region": region, "term": 6},
        )  # fmt: skip
        links.append((loan_id, reference))
        outcomes[loan_id] = bad
        for day in MONTH_ENDS:
            if day < disbursed:
                continue
            mob = day.month - disbursed.month
            dpd = 40 if bad and mob >= 3 else 0
            rows.append(snapshot_row(day, loan_id, "1000.00", dpd, dpd, "PAID_ON_TIME", 0))
    loan_originations_record(links=links)
    snapshots_insert(rows)
    return outcomes


def test_the_frame_holds_matured_loans_with_their_scored_characteristics():
    outcomes = book(loans=200)

    frame = training_frame(as_of=date(2024, 7, 31), bad=BadDefinition(dpd=30, months=6))

    # January loans all matured (window closes 07-31); June loans only if already bad (never: bad at MOB3)
    january = [loan for loan in outcomes if loan % 10]
    assert len(frame) == len(january)
    assert frame["bad"].sum() == sum(outcomes[loan] for loan in january)
    assert frame["income"].dtype.kind == "f"  # recorded as decimal text, read back as a number
    assert set(frame["region"]) == {"north", "south", "west"}
    assert "term" not in frame  # the same for every loan: nothing to learn from it


def test_a_loan_bad_inside_its_window_counts_before_the_window_closes():
    outcomes = book(loans=200)

    # as of 04-30, no January window has closed: only loans already bad (DPD 40 at MOB3) are matured
    frame = training_frame(as_of=date(2024, 4, 30), bad=BadDefinition(dpd=30, months=6))

    assert len(frame) == sum(bad for loan, bad in outcomes.items() if loan % 10)
    assert frame["bad"].eq(1).all()


def test_train_scorecard_from_portfolio_registers_a_candidate(quick_report):
    book(loans=600)
    out = StringIO()

    call_command(
        "train_scorecard", "--from-portfolio", "--as-of", "2024-07-31", "--bad", "ever DPD30+ within 6 months",
        stdout=out,
    )  # fmt: skip

    figures = json.loads(out.getvalue().strip().splitlines()[-1])
    version = ScorecardVersion.objects.get(version=figures["version"])
    assert version.status == "CANDIDATE"
    assert version.target == "bad"
    assert version.source_name == "portfolio as of 2024-07-31: ever DPD30+ within 6 months (540 loans)"
    assert figures["train_auc"] > 0.6


def test_from_portfolio_refuses_a_bad_definition_it_cannot_read():
    with pytest.raises(CommandError, match="TRAINING_OPTIONS_INVALID"):
        call_command("train_scorecard", "--from-portfolio", "--as-of", "2024-07-31", "--bad", "often late")


def test_csv_and_portfolio_training_are_alternatives():
    with pytest.raises(CommandError, match="either"):
        call_command("train_scorecard", "--from-portfolio", "--data", "x.csv", "--target", "bad")


@pytest.mark.parametrize(
    ("text", "dpd", "months"),
    [
        ("ever DPD30+ within 6 months", 30, 6),
        ("EVER dpd 90+ within 12 months", 90, 12),
        ("ever DPD7+ within 1 month", 7, 1),
    ],
)
def test_bad_definitions_read_as_threshold_and_window(text, dpd, months):
    assert bad_definition_parse(text) == BadDefinition(dpd=dpd, months=months)
