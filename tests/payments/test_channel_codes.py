"""Per-channel code mapping: only documented codes are Success or Failure; everything else is Unknown."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from payments.channels import CodeMap, Outcome
from payments.channels.bank_simulator import BANK_SIM_CODES


@pytest.mark.parametrize(
    ("code", "outcome"),
    [
        ("0000", Outcome.SUCCESS),
        ("1001", Outcome.FAILURE),
        ("1002", Outcome.FAILURE),
        ("1003", Outcome.FAILURE),
        ("2001", Outcome.UNKNOWN),
        ("9999", Outcome.UNKNOWN),
        ("", Outcome.UNKNOWN),
        (None, Outcome.UNKNOWN),
    ],
)
def test_bank_channel_codes_map_to_success_failure_or_unknown(code, outcome):
    assert BANK_SIM_CODES.outcome(code) == outcome


@given(st.text(max_size=8).filter(lambda code: code not in {"0000", "1001", "1002", "1003"}))
def test_any_code_the_adapter_does_not_know_is_unknown_never_a_failure(code):
    assert BANK_SIM_CODES.outcome(code) == Outcome.UNKNOWN


def test_a_code_cannot_mean_two_outcomes():
    with pytest.raises(ValueError, match="two outcomes"):
        CodeMap.of(success={"00"}, failure={"00"})
