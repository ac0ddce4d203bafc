import pytest

from lending.permissions import credit_officer_group_ensure
from tests.lending import factories
from tests.payments.conftest import channel_settings  # noqa: F401 (the payment core's fixture: short timeouts)


@pytest.fixture
def scorecard(db):
    """The demo card (German credit, protected columns left out), trained and activated for this test."""
    from tests.lending.scorecards import activate_demo_scorecard

    return activate_demo_scorecard()


@pytest.fixture
def cash_product(db):
    return factories.product("CASH12")


@pytest.fixture
def colending_product(db):
    own = factories.own_entity()
    icbc = factories.partner_bank("ICBC")
    cmb = factories.partner_bank("CMB")
    return factories.product(
        "COLEND", terms=(12, 24), method="EQUAL_PRINCIPAL", fundings=[(own, "0.3"), (icbc, "0.4"), (cmb, "0.3")]
    )


@pytest.fixture
def borrower(db):
    return factories.borrower(username="alice")


@pytest.fixture
def credit_officer(db, django_user_model):
    officer = django_user_model.objects.create_user(username="officer", password="officer-pass-2024", is_staff=True)
    officer.groups.add(credit_officer_group_ensure())
    return officer
