import pytest

from ledger.chart import CHART, Side, account_spec
from ledger.exceptions import UnknownAccount


def test_the_chart_holds_every_account_of_domain_section_8():
    assert set(CHART) == {
        "1002", "1012", "1303", "1132", "1134", "1901", "2902", "1304",
        "2241", "2202", "6011", "6051", "6021", "6421", "6701",
    }  # fmt: skip


def test_assets_and_expenses_are_debit_normal_and_the_rest_credit_normal():
    debit_normal = {code for code, account in CHART.items() if account.normal_side == Side.DEBIT}
    assert debit_normal == {"1002", "1012", "1132", "1134", "1303", "1901", "6421", "6701"}


def test_every_hot_account_may_go_negative_and_clearing_is_hot():
    assert CHART["1012"].is_hot
    assert all(account.may_go_negative for account in CHART.values() if account.is_hot)


def test_sub_account_takes_its_chart_codes_rules():
    spec = account_spec("1012.BANK_SIM")

    assert (spec.code, spec.sub, spec.normal_side, spec.is_hot) == ("1012", "BANK_SIM", Side.DEBIT, True)


@pytest.mark.parametrize("key", ["9999", "1012.", "1012.BAD KEY", "12", "", "1012.A.B", None])
def test_malformed_or_unknown_account_keys_are_refused(key):
    with pytest.raises(UnknownAccount):
        account_spec(key)
