"""The forward-only state machine (DOMAIN.md §7) as data."""

import itertools

from hypothesis import given
from hypothesis import strategies as st

from payments import states
from payments.models import PaymentOrder

ALL_STATES = list(states.TRANSITIONS)


def test_the_state_machine_names_the_models_states():
    assert set(ALL_STATES) == set(PaymentOrder.State.values)
    assert set(states.FINAL) == set(PaymentOrder.State.final())


def test_the_documented_path_and_reversal_are_allowed():
    path = [states.CREATED, states.SUBMITTED, states.PROCESSING, states.SUCCEEDED, states.REVERSED]
    assert all(states.may_move(a, b) for a, b in itertools.pairwise(path))
    assert states.may_move(states.PROCESSING, states.FAILED)
    assert states.may_move(states.SUBMITTED, states.SUCCEEDED)


def test_nothing_leaves_a_failure_and_nothing_reverses_a_failure():
    assert not any(states.may_move(states.FAILED, target) for target in ALL_STATES)
    assert not states.may_move(states.PROCESSING, states.REVERSED)


@given(st.lists(st.sampled_from(ALL_STATES), min_size=1, max_size=12))
def test_any_accepted_walk_only_moves_forward(walk):
    current = states.CREATED
    for target in walk:
        if states.may_move(current, target):
            assert states.RANK[target] > states.RANK[current]
            current = target
    assert current != states.CREATED or all(t != states.SUBMITTED for t in walk)
