import pytest

from tests.payments.conftest import (  # the payment core's fixtures
    captured_tasks,  # noqa: F401 (orders enqueue nothing: no broker needed)
    start_simulator,  # noqa: F401 (the real bank simulator process)
)


@pytest.fixture
def scorecard(db):
    """The origination tests' demo card, active for this test (trained once per test process)."""
    from tests.lending.scorecards import activate_demo_scorecard

    return activate_demo_scorecard()


@pytest.fixture
def cash_product(db):
    from tests.lending import factories

    return factories.product("CASH12")
