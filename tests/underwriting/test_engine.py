"""The decision engine on plain facts: every hard rule, the grade tables, the regulator's caps, worst wins."""

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from underwriting.engine import APPROVED, MANUAL_REVIEW, REJECTED, ScoreSnapshot, evaluate
from underwriting.facts import ApplicationFacts, ProductTerms
from underwriting.policy import ACTIVE_EXPERIMENT, POLICIES, Experiment

POLICY = POLICIES["CREDIT_POLICY_2024_V1"]
RULE_SET = "CN_MICROLOAN_2020"
PRODUCT = ProductTerms(
    code="CASH12",
    min_amount=Decimal("1000.00"),
    max_amount=Decimal("200000.00"),
    terms=(3, 6, 12),
    method="EQUAL_INSTALLMENT",
    rates_by_grade={"A": Decimal("0.108"), "B": Decimal("0.144"), "C": Decimal("0.18"), "D": Decimal("0.216")},
)


def make_facts(**overrides) -> ApplicationFacts:
    values = {
        "applicant_key": "42",
        "application_reference": "AP20240115-TEST",
        "decided_on": date(2024, 1, 15),
        "product": PRODUCT,
        "requested_amount": Decimal("20000.00"),
        "term": 12,
        "purpose": "CONSUMPTION",
        "date_of_birth": date(1990, 5, 17),
        "is_student": False,
        "employment": "EMPLOYED",
        "average_annual_income": Decimal("90000.00"),
        "income_evidence": "PAYSLIP",
        "outstanding_principal": Decimal("10000.00"),
        "characteristics": {"housing": "own"},
    }
    values.update(overrides)
    return ApplicationFacts(**values)


def score(grade: str = "A", points: int = 640) -> ScoreSnapshot:
    return ScoreSnapshot(score=points, pd=Decimal("0.0300"), grade=grade, version="TEST_CARD_1")


def decide(facts=None, grade="A"):
    return evaluate(facts=facts or make_facts(), policy=POLICY, score=score(grade), rule_set=RULE_SET)


def codes(evaluation) -> list[str]:
    return [r.code for r in evaluation.reasons]


def test_balance_cap_golden_case_20000_00_is_approved():
    evaluation = decide(make_facts(requested_amount=Decimal("20000.00")))

    assert evaluation.outcome == APPROVED
    assert evaluation.approved_amount == Decimal("20000.00")
    assert codes(evaluation) == []


def test_balance_cap_golden_case_20000_01_is_rejected_with_limit_and_actual():
    evaluation = decide(make_facts(requested_amount=Decimal("20000.01")))

    assert evaluation.outcome == REJECTED
    [cap] = [r for r in evaluation.reasons if r.code == "REG_NP_BALANCE_CAP"]
    assert (Decimal(cap.limit), Decimal(cap.actual), cap.rule_set) == (
        Decimal("30000.00"),
        Decimal("30000.01"),
        "CN_MICROLOAN_2020",
    )
    assert evaluation.approved_amount is None


def test_offers_in_flight_count_in_the_exposure():
    facts = make_facts(outstanding_principal=Decimal("0"), disbursing_amount=Decimal("10000.00"))

    assert "REG_NP_BALANCE_CAP" in codes(decide(replace(facts, requested_amount=Decimal("20000.01"))))
    assert decide(replace(facts, requested_amount=Decimal("20000.00"))).outcome == APPROVED


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"date_of_birth": date(2006, 1, 16)}, "POL_AGE"),
        ({"date_of_birth": date(1963, 1, 14)}, "POL_AGE"),
        ({"is_student": True}, "POL_STUDENT"),
        ({"employment": "UNEMPLOYED"}, "POL_NO_INCOME"),
        ({"is_blacklisted": True}, "POL_BLACKLIST"),
        ({"last_rejected_on": date(2024, 1, 9)}, "POL_COOL_DOWN"),
        ({"max_dpd": 1}, "POL_EXISTING_DPD"),
        ({"applications_last_7_days": 3}, "POL_APPLICATIONS_7_DAYS"),
        ({"applications_last_30_days": 6}, "POL_APPLICATIONS_30_DAYS"),
        ({"monthly_debt_payments": Decimal("3500.00")}, "POL_DEBT_TO_INCOME"),
    ],
)
def test_each_hard_rule_rejects_with_its_code(overrides, code):
    evaluation = decide(make_facts(requested_amount=Decimal("5000.00"), **overrides))

    assert evaluation.outcome == REJECTED
    assert code in codes(evaluation)


def test_hard_rules_pass_just_inside_their_limits():
    facts = make_facts(
        requested_amount=Decimal("5000.00"),
        date_of_birth=date(2006, 1, 15),  # 18 today
        last_rejected_on=date(2024, 1, 8),  # 7 days ago
        applications_last_7_days=2,
        applications_last_30_days=5,
    )

    assert decide(facts).outcome == APPROVED


def test_debt_to_income_counts_the_new_payment():
    # 5,000 a month of income; 20,000 over 12 months at 10.8% costs about 1,761 a month (35%).
    facts = make_facts(average_annual_income=Decimal("60000.00"), outstanding_principal=Decimal("0"))

    assert decide(replace(facts, monthly_debt_payments=Decimal("700.00"))).outcome == APPROVED
    rejected = decide(replace(facts, monthly_debt_payments=Decimal("800.00")))
    [dti] = [r for r in rejected.reasons if r.code == "POL_DEBT_TO_INCOME"]
    assert Decimal(dti.limit) == Decimal("0.50")
    assert Decimal(dti.actual) > Decimal("0.50")


def test_student_is_also_ineligible_under_the_regulation():
    evaluation = decide(make_facts(is_student=True, requested_amount=Decimal("5000.00")))

    assert {"POL_STUDENT", "REG_INELIGIBLE_BORROWER"} <= set(codes(evaluation))


def test_every_failed_rule_is_reported_not_only_the_first():
    facts = make_facts(is_blacklisted=True, max_dpd=30, requested_amount=Decimal("25000.00"))

    assert {"POL_BLACKLIST", "POL_EXISTING_DPD", "REG_NP_BALANCE_CAP"} <= set(codes(decide(facts)))


def test_grade_d_goes_to_review_and_grade_e_is_rejected():
    facts = make_facts(requested_amount=Decimal("5000.00"))

    assert decide(facts, grade="D").outcome == MANUAL_REVIEW
    assert decide(facts, grade="E").outcome == REJECTED


def test_reject_wins_over_review():
    facts = make_facts(requested_amount=Decimal("5000.00"), max_dpd=3)

    assert decide(facts, grade="D").outcome == REJECTED


def test_price_follows_the_grade():
    facts = make_facts(requested_amount=Decimal("5000.00"))

    assert decide(facts, grade="A").terms.annual_rate == Decimal("0.108")
    assert decide(facts, grade="C").terms.annual_rate == Decimal("0.18")


def test_grade_limit_reduces_the_amount_and_says_so():
    facts = make_facts(
        requested_amount=Decimal("80000.00"),
        average_annual_income=Decimal("600000.00"),
        outstanding_principal=Decimal("0"),
    )

    evaluation = decide(facts, grade="C")  # C may borrow half the product maximum: 100,000

    assert evaluation.outcome == APPROVED
    assert evaluation.approved_amount == Decimal("80000.00")
    reduced = decide(replace(facts, requested_amount=Decimal("150000.00")), grade="C")
    assert reduced.approved_amount == Decimal("100000.00")
    assert "POL_AMOUNT_REDUCED" in codes(reduced)


def test_self_declared_high_income_is_referred():
    facts = make_facts(
        requested_amount=Decimal("5000.00"), income_evidence="SELF_DECLARED", average_annual_income=Decimal("250000.00")
    )

    evaluation = decide(facts)

    assert evaluation.outcome == MANUAL_REVIEW
    assert "POL_INCOME_UNVERIFIED" in codes(evaluation)


def test_apr_of_a_fee_free_offer_is_the_irr_of_its_schedule():
    facts = make_facts(requested_amount=Decimal("12000.00"), outstanding_principal=Decimal("0"))
    product = replace(PRODUCT, rates_by_grade={"A": Decimal("0.18")})

    evaluation = decide(replace(facts, product=product))

    assert evaluation.terms.apr == Decimal("0.180004")  # DOMAIN.md §3
    assert evaluation.terms.installments[0].payment == Decimal("1100.16")


def test_a_monthly_fee_counts_in_the_apr_and_can_breach_the_ceiling():
    product = replace(PRODUCT, rates_by_grade={"A": Decimal("0.18")}, monthly_fee_rate=Decimal("0.005"))
    facts = make_facts(requested_amount=Decimal("12000.00"), outstanding_principal=Decimal("0"), product=product)

    evaluation = decide(facts)

    assert evaluation.terms.apr > Decimal("0.24")
    assert "REG_APR_CEILING" in codes(evaluation)


def test_champion_challenger_is_a_stable_hash_of_the_applicant():
    experiment = Experiment(
        name="X", champion="CREDIT_POLICY_2024_V1", challenger="CREDIT_POLICY_2024_V2", challenger_percent=20
    )

    variants = [experiment.variant_for(str(key)) for key in range(2000)]

    assert variants == [experiment.variant_for(str(key)) for key in range(2000)]
    assert 300 < variants.count("CHALLENGER") < 500
    assert ACTIVE_EXPERIMENT.policy_for("7")[1].version in POLICIES


@settings(max_examples=50, deadline=None)
@given(
    amount=st.decimals(min_value=Decimal("1000"), max_value=Decimal("200000"), places=2),
    income=st.decimals(min_value=Decimal("0"), max_value=Decimal("2000000"), places=2),
    outstanding=st.decimals(min_value=Decimal("0"), max_value=Decimal("400000"), places=2),
    grade=st.sampled_from("ABCDE"),
)
def test_no_approved_offer_ever_breaks_the_cap_or_the_apr_ceiling(amount, income, outstanding, grade):
    facts = make_facts(requested_amount=amount, average_annual_income=income, outstanding_principal=outstanding)

    evaluation = decide(facts, grade=grade)

    if evaluation.outcome == APPROVED:
        cap = min(Decimal("300000"), income / 3)
        assert outstanding + evaluation.approved_amount <= cap
        assert evaluation.terms.apr <= Decimal("0.24")


def test_facts_round_trip_through_the_snapshot_exactly():
    facts = make_facts(last_rejected_on=date(2023, 12, 1), monthly_debt_payments=Decimal("12.34"))

    assert ApplicationFacts.from_snapshot(facts.to_snapshot()) == facts


def test_a_bullet_loan_pays_nothing_before_maturity_and_its_apr_is_not_inflated():
    product = replace(PRODUCT, method="BULLET", terms=(3,), rates_by_grade={"A": Decimal("0.12")})
    facts = make_facts(
        requested_amount=Decimal("10000.00"), term=3, outstanding_principal=Decimal("0"), product=product
    )

    terms = decide(facts).terms

    [only] = terms.installments
    assert only.payment == Decimal("10300.00")
    assert Decimal("0.118") < terms.apr < Decimal("0.12")  # (1 + x)³ = 1.03, x × 12 = 11.88%


def test_a_bullet_loan_carries_every_months_fee_at_maturity():
    product = replace(
        PRODUCT, method="BULLET", terms=(3,), rates_by_grade={"A": Decimal("0.12")}, monthly_fee_rate=Decimal("0.001")
    )
    facts = make_facts(
        requested_amount=Decimal("10000.00"), term=3, outstanding_principal=Decimal("0"), product=product
    )

    terms = decide(facts).terms

    assert terms.installments[0].fee == terms.total_fee == Decimal("30.00")
