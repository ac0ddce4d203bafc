"""Operations admin: read-only lists, the case resolution form (posts a journal), the reversal form."""

import pytest
from django.contrib.auth.models import Permission, User
from django.urls import reverse

from ledger.models import Journal
from payments import services
from payments.models import PaymentCase, PaymentOrder
from tests.payments.factories import new_payout

pytestmark = pytest.mark.django_db

HEADER = "serial,amount,status,settled_at\n"


@pytest.fixture
def succeeded(captured_tasks, channel, settled_here) -> PaymentOrder:
    order = new_payout("admin-1", "150.00")
    services.order_submit(order_id=order.pk)
    order.refresh_from_db()
    return order


@pytest.fixture
def short_case(succeeded) -> PaymentCase:
    """Our success is missing from an (empty) statement of its day: a 短款 case with 150.00 in suspense."""
    day = succeeded.finalized_at.date()
    services.reconciliation_run(channel="BANK_SIM", statement_date=day, statement_text=HEADER)
    return PaymentCase.objects.get()


@pytest.mark.parametrize(
    "model", ["paymentorder", "paymentcase", "reconciliationrun", "settlementoutbox", "channelcallback"]
)
def test_every_payments_list_opens(admin_client, short_case, model):
    response = admin_client.get(reverse(f"admin:payments_{model}_changelist"))

    assert response.status_code == 200


def test_an_order_page_shows_its_trail_and_offers_the_reversal(admin_client, succeeded):
    response = admin_client.get(reverse("admin:payments_paymentorder_change", args=[succeeded.pk]))

    assert response.status_code == 200
    assert reverse("admin:payments_order_reverse", args=[succeeded.pk]) in response.content.decode()
    assert response.content.decode().count("SUCCEEDED") >= 1


def test_an_operator_resolves_a_case_and_the_suspense_is_cleared(admin_client, short_case):
    url = reverse("admin:payments_case_resolve", args=[short_case.pk])

    response = admin_client.post(url, {"counter_account": "1012.BANK_SIM", "note": "the bank booked it next day"})

    assert response.status_code == 302
    short_case.refresh_from_db()
    assert short_case.status == "RESOLVED"
    assert Journal.objects.get(pk=short_case.resolution_journal_id).kind == "SUSPENSE_CLEARED"


def test_resolving_needs_the_resolve_permission(client, short_case):
    clerk = User.objects.create_user("clerk", password="x", is_staff=True)
    clerk.user_permissions.add(Permission.objects.get(codename="view_paymentcase"))
    client.force_login(clerk)

    response = client.post(reverse("admin:payments_case_resolve", args=[short_case.pk]), {"note": "x"})

    assert response.status_code == 403
    short_case.refresh_from_db()
    assert short_case.status == "OPEN"


def test_an_operator_reverses_a_returned_payout(admin_client, succeeded):
    url = reverse("admin:payments_order_reverse", args=[succeeded.pk])

    response = admin_client.post(url, {"note": "returned: account closed"})

    assert response.status_code == 302
    succeeded.refresh_from_db()
    assert succeeded.state == "REVERSED"
