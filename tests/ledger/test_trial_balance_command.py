import json
from datetime import date
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from .conftest import transfer


def trial_balance_output(*args: str) -> dict:
    out = StringIO()
    call_command("trial_balance", *args, stdout=out)
    lines = out.getvalue().strip().splitlines()
    assert len(lines) == 1  # one JSON line, nothing else
    return json.loads(lines[0])


@pytest.mark.django_db
def test_trial_balance_prints_totals_and_accounts_as_strings():
    transfer(debit="1012.BANK_SIM", credit="1002", amount="100.00")
    transfer(debit="1303", credit="1012.BANK_SIM", amount="60.00", posted_on=date(2024, 2, 1))

    output = trial_balance_output()

    assert output["debits"] == output["credits"] == "160.00"
    assert output["balanced"] is True
    assert output["accounts"]["1012.BANK_SIM"] == {
        "normal_side": "DEBIT",
        "debits": "100.00",
        "credits": "60.00",
        "balance": "40.00",
    }
    assert output["accounts"]["1002"]["balance"] == "-100.00"


@pytest.mark.django_db
def test_trial_balance_as_of_a_date_leaves_out_later_journals():
    transfer(debit="1012", credit="1002", amount="100.00", posted_on=date(2024, 1, 31))
    transfer(debit="1303", credit="1012", amount="60.00", posted_on=date(2024, 2, 1))

    output = trial_balance_output("--date", "2024-01-31")

    assert (output["debits"], output["credits"]) == ("100.00", "100.00")
    assert "1303" not in output["accounts"]


@pytest.mark.django_db
def test_trial_balance_of_empty_books_is_zero_and_balanced():
    assert trial_balance_output() == {"debits": "0.00", "credits": "0.00", "balanced": True, "accounts": {}}


def test_trial_balance_refuses_a_malformed_date():
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("trial_balance", "--date", "31/01/2024")
