"""Regulatory checks (DOMAIN.md §4): every violation with code, limit, actual and rule-set version."""

import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from common.errors import DomainError
from underwriting.regulation import (
    REG_APR_CEILING,
    REG_COFUND_RATIO,
    REG_INELIGIBLE_BORROWER,
    REG_LP_BALANCE_CAP,
    REG_NP_BALANCE_CAP,
    REG_PARTNER_CONCENTRATION,
    REG_ROLLOVER_LIMIT,
    REG_UPFRONT_DEDUCTION,
    apr_ceiling,
    check_cofunding,
    check_loan,
    check_partner_concentration,
    partner_concentration_status,
    partner_limit_from_capital,
    penalty_rate,
)
from underwriting.rulesets import RULE_SETS, InvalidRegulationInput, UnknownRuleSet, rule_set_get

D = Decimal
ROOT = Path(__file__).resolve().parents[2]


def natural(**overrides):
    """The contract's example borrower: income 90,000, 10,000 outstanding, asking 20,000.00."""
    arguments = {
        "borrower_kind": "NATURAL",
        "requested_amount": D("20000.00"),
        "outstanding_balance": D("10000"),
        "average_annual_income": D("90000"),
        "apr": D("0.18"),
        "own_share": D("1"),
        "upfront_deduction": D("0"),
        "rollovers": 0,
        "is_student": False,
        "has_income": True,
        "rule_set": "CN_MICROLOAN_2020",
    }
    arguments.update(overrides)
    return check_loan(**arguments)


def summary(violations):
    return [(v.code, v.limit, v.actual, v.rule_set) for v in violations]


# --- Balance caps ---------------------------------------------------------------------------------------


def test_income_of_90000_with_10000_outstanding_lets_20000_00_pass():
    assert natural(requested_amount=D("20000.00")) == []


def test_one_fen_more_breaks_the_cap_of_a_third_of_income():
    assert summary(natural(requested_amount=D("20000.01"))) == [
        ("REG_NP_BALANCE_CAP", D("30000.00"), D("30000.01"), "CN_MICROLOAN_2020")
    ]


def test_income_of_1200000_is_capped_at_300000():
    passes = natural(average_annual_income=D("1200000"), outstanding_balance=D("0"), requested_amount=D("300000.00"))
    fails = natural(average_annual_income=D("1200000"), outstanding_balance=D("0"), requested_amount=D("300000.01"))

    assert passes == []
    assert summary(fails) == [(REG_NP_BALANCE_CAP, D("300000.00"), D("300000.01"), "CN_MICROLOAN_2020")]


def test_a_third_of_income_is_rounded_down_to_the_fen():
    violations = natural(average_annual_income=D("200000"), outstanding_balance=D("0"), requested_amount=D("66666.67"))

    assert summary(violations) == [(REG_NP_BALANCE_CAP, D("66666.66"), D("66666.67"), "CN_MICROLOAN_2020")]


def test_legal_person_cap_is_1000000_with_affiliates():
    def legal(amount):
        return natural(
            borrower_kind="LEGAL",
            average_annual_income=None,
            outstanding_balance=D("400000"),
            requested_amount=amount,
            is_student=True,  # eligibility rules are for natural persons only
            has_income=False,
        )

    assert legal(D("600000.00")) == []
    assert summary(legal(D("600000.01"))) == [
        (REG_LP_BALANCE_CAP, D("1000000.00"), D("1000000.01"), "CN_MICROLOAN_2020")
    ]


def test_income_is_required_for_individuals_when_the_cap_depends_on_it():
    with pytest.raises(InvalidRegulationInput) as raised:
        natural(average_annual_income=None)

    assert raised.value.details["field"] == "average_annual_income"


# --- The other rules -------------------------------------------------------------------------------------


def test_every_violation_is_reported_not_only_the_first():
    violations = natural(
        requested_amount=D("20000.01"),
        apr=D("0.40"),
        own_share=D("0.2"),
        upfront_deduction=D("1200.00"),
        rollovers=3,
        is_student=True,
        has_income=False,
        age_in_years=17,
    )

    assert summary(violations) == [
        (REG_NP_BALANCE_CAP, D("30000.00"), D("30000.01"), "CN_MICROLOAN_2020"),
        (REG_COFUND_RATIO, D("0.30"), D("0.2"), "CN_MICROLOAN_2020"),
        (REG_APR_CEILING, D("0.240000"), D("0.400000"), "CN_MICROLOAN_2020"),
        (REG_UPFRONT_DEDUCTION, D("0.00"), D("1200.00"), "CN_MICROLOAN_2020"),
        (REG_ROLLOVER_LIMIT, 2, 3, "CN_MICROLOAN_2020"),
        (REG_INELIGIBLE_BORROWER, None, "STUDENT", "CN_MICROLOAN_2020"),
        (REG_INELIGIBLE_BORROWER, None, "NO_INCOME", "CN_MICROLOAN_2020"),
        (REG_INELIGIBLE_BORROWER, 18, 17, "CN_MICROLOAN_2020"),
    ]
    assert all(v.message for v in violations)


@pytest.mark.parametrize(
    ("apr", "passes"),
    [(D("0.24"), True), (D("0.2400004999"), True), (D("0.2400005"), False), (D("0.388007"), False)],
)
def test_apr_passes_when_rounded_half_up_to_six_places_it_is_at_most_24_percent(apr, passes):
    assert (natural(apr=apr) == []) is passes


def test_a_product_may_select_the_36_percent_ceiling():
    assert natural(apr=D("0.30"), selected_apr_ceiling=D("0.36")) == []
    assert summary(natural(apr=D("0.360001"), selected_apr_ceiling=D("0.36"))) == [
        (REG_APR_CEILING, D("0.36"), D("0.360001"), "CN_MICROLOAN_2020")
    ]


def test_a_ceiling_the_rule_set_does_not_offer_cannot_be_selected():
    with pytest.raises(InvalidRegulationInput):
        apr_ceiling(rule_set="CN_MICROLOAN_2020", selected=D("0.30"))
    with pytest.raises(InvalidRegulationInput):
        apr_ceiling(rule_set="CN_BANK_INTERNET_2021", selected=D("0.36"))


def test_two_rollovers_are_allowed():
    assert natural(rollovers=2) == []


def test_own_share_of_30_percent_passes_and_29_percent_fails():
    assert natural(own_share=D("0.30")) == []
    assert summary(natural(own_share=D("0.29"))) == [(REG_COFUND_RATIO, D("0.30"), D("0.29"), "CN_MICROLOAN_2020")]


# --- Rule sets --------------------------------------------------------------------------------------------


def test_bank_rule_set_caps_a_consumer_line_at_200000_and_wants_partners_to_fund_30_percent():
    violations = natural(
        rule_set="CN_BANK_INTERNET_2021",
        average_annual_income=None,
        outstanding_balance=D("150000"),
        requested_amount=D("50000.01"),
        own_share=D("0.75"),
    )

    assert summary(violations) == [
        (REG_NP_BALANCE_CAP, D("200000.00"), D("200000.01"), "CN_BANK_INTERNET_2021"),
        (REG_COFUND_RATIO, D("0.30"), D("0.25"), "CN_BANK_INTERNET_2021"),
    ]


def test_microloan_2024_caps_online_consumer_loans_at_200000():
    violations = natural(
        rule_set="CN_MICROLOAN_2024",
        average_annual_income=D("3000000"),
        outstanding_balance=D("0"),
        requested_amount=D("200000.01"),
    )

    assert summary(violations) == [(REG_NP_BALANCE_CAP, D("200000.00"), D("200000.01"), "CN_MICROLOAN_2024")]


def test_the_rule_set_comes_from_settings(settings):
    settings.REGULATORY_RULESET = "CN_MICROLOAN_2024"

    violations = natural(
        rule_set=None, average_annual_income=D("3000000"), outstanding_balance=D("0"), requested_amount=D("250000.00")
    )

    assert [v.rule_set for v in violations] == ["CN_MICROLOAN_2024"]
    assert rule_set_get().code == "CN_MICROLOAN_2024"


def test_without_django_the_default_rule_set_is_cn_microloan_2020():
    environment = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    completed = subprocess.run(
        [sys.executable, "-c", "from underwriting.rulesets import rule_set_get; print(rule_set_get().code)"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )

    assert completed.stdout.strip() == "CN_MICROLOAN_2020"


def test_unknown_rule_set_is_refused():
    with pytest.raises(UnknownRuleSet) as raised:
        natural(rule_set="CN_WILD_WEST")

    assert raised.value.code == "UNKNOWN_RULE_SET"


def test_every_rule_set_refuses_upfront_deduction_and_has_a_ceiling_of_at_most_36_percent():
    for rules in RULE_SETS.values():
        assert rules.upfront_deduction_allowed is False
        assert rules.apr_ceiling in rules.selectable_apr_ceilings
        assert max(rules.selectable_apr_ceilings) <= D("0.36")


# --- Penalty rate -------------------------------------------------------------------------------------------


def test_penalty_rate_is_capped_by_the_rule_sets_ceiling():
    assert penalty_rate(annual_rate=D("0.18"), multiplier=D("1.5"), rule_set="CN_MICROLOAN_2020") == D("0.24")
    assert penalty_rate(
        annual_rate=D("0.18"), multiplier=D("1.5"), rule_set="CN_MICROLOAN_2020", selected_apr_ceiling=D("0.36")
    ) == D("0.270000")
    assert penalty_rate(annual_rate=D("0.10"), multiplier=D("1.5"), rule_set="CN_MICROLOAN_2020") == D("0.150000")


# --- Co-funding on amounts --------------------------------------------------------------------------------------


def test_own_share_is_checked_on_the_funded_amounts():
    assert check_cofunding(principal=D("1000.01"), own_amount=D("300.01"), rule_set="CN_MICROLOAN_2020") == []
    assert summary(check_cofunding(principal=D("1000.01"), own_amount=D("300.00"), rule_set="CN_MICROLOAN_2020")) == [
        (REG_COFUND_RATIO, D("300.01"), D("300.00"), "CN_MICROLOAN_2020")
    ]


def test_a_loan_funded_alone_needs_no_partner_share_even_under_bank_rules():
    assert check_cofunding(principal=D("1000.00"), own_amount=D("1000.00"), rule_set="CN_BANK_INTERNET_2021") == []
    assert summary(
        check_cofunding(principal=D("1000.00"), own_amount=D("800.00"), rule_set="CN_BANK_INTERNET_2021")
    ) == [(REG_COFUND_RATIO, D("300.00"), D("200.00"), "CN_BANK_INTERNET_2021")]


# --- Partner concentration ---------------------------------------------------------------------------------------


def test_partner_at_90_percent_of_its_limit_raises_an_alert_not_a_violation():
    status = partner_concentration_status(
        partner_code="ICBC",
        current_balance=D("800000.00"),
        new_amount=D("100000.00"),
        limit=D("1000000.00"),
        rule_set="CN_MICROLOAN_2020",
    )

    assert (status.alert, status.violations, status.utilisation) == (True, (), D("0.9000"))


def test_partner_below_90_percent_raises_nothing():
    status = partner_concentration_status(
        partner_code="ICBC", current_balance=D("800000.00"), new_amount=D("99999.99"), limit=D("1000000.00")
    )

    assert (status.alert, status.violations) == (False, ())


def test_partner_over_its_limit_is_a_violation():
    violations = check_partner_concentration(
        partner_code="ICBC",
        current_balance=D("900000.00"),
        new_amount=D("100000.01"),
        limit=D("1000000.00"),
        rule_set="CN_MICROLOAN_2020",
    )

    assert summary(violations) == [(REG_PARTNER_CONCENTRATION, D("1000000.00"), D("1000000.01"), "CN_MICROLOAN_2020")]


def test_partner_co_funded_loans_may_not_pass_half_of_its_total_loans():
    violations = check_partner_concentration(
        partner_code="ICBC",
        current_balance=D("0"),
        new_amount=D("10.00"),
        limit=None,
        cofunded_loans_total=D("499995.00"),
        partner_total_loans=D("1000000.00"),
        rule_set="CN_MICROLOAN_2020",
    )

    assert summary(violations) == [(REG_PARTNER_CONCENTRATION, D("500000.00"), D("500005.00"), "CN_MICROLOAN_2020")]


def test_partner_limit_is_a_quarter_of_net_tier1_capital():
    assert partner_limit_from_capital(net_tier1_capital=D("4000000.02"), rule_set="CN_MICROLOAN_2020") == D(
        "1000000.00"
    )


# --- Bad input ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"borrower_kind": "ROBOT"}, "borrower_kind"),
        ({"apr": 0.18}, "apr"),
        ({"own_share": D("1.2")}, "own_share"),
        ({"rollovers": -1}, "rollovers"),
        ({"requested_amount": 20000.0}, "requested_amount"),
        ({"requested_amount": D("0")}, "requested_amount"),
        ({"requested_amount": D("1.001")}, "requested_amount"),
    ],
)
def test_bad_input_raises_a_domain_error_naming_the_field(overrides, field):
    with pytest.raises(DomainError) as raised:
        natural(**overrides)

    assert raised.value.details["field"] == field
