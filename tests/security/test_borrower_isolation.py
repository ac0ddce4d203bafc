"""Borrower isolation: every borrower-facing page and API endpoint that takes an object id answers another
borrower's id with 404 (never 403, which would confirm the id exists) and changes nothing.

The endpoints are found by walking the URLconf, so a new object endpoint fails this test until it is listed here.
"""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

from lending import services as lending_services
from lending.models import Application
from payments.models import PaymentOrder
from repayment.models import Repayment
from repayment.services import repayment_request
from tests.lending import factories
from tests.lending.test_acceptance import CONSENTS, MONDAY
from tests.repayment.support import business_date_set, open_loan

pytestmark = pytest.mark.django_db

# Staff areas (own permission tests in test_staff_access.py) and the channel callbacks (signed, no user).
# The password-reset link carries a signed token, not an object id.
NOT_BORROWER_FACING = ("admin/", "analytics/", "dashboards/", "api/v1/payments/callbacks/", "accounts/reset/")

# route → (kind of object, methods a stranger tries); a POST carries a valid body, so only ownership can refuse it.
PAGES = {
    "applications/<int:application_id>/": ("application", ["GET"]),
    "applications/<int:application_id>/offer/": ("application", ["GET", "POST"]),
    "loans/<int:loan_id>/repay/": ("loan", ["GET", "POST"]),
}
API = {
    "api/v1/applications/<int:application_id>/": ("application", ["GET"]),
    "api/v1/applications/<int:application_id>/accept/": ("application", ["POST"]),
    "api/v1/loans/<int:loan_id>/": ("loan", ["GET"]),
    "api/v1/loans/<int:loan_id>/schedule/": ("loan", ["GET"]),
    "api/v1/loans/<int:loan_id>/payoff-quote/": ("loan", ["GET"]),
    "api/v1/loans/<int:loan_id>/repayments/": ("loan", ["POST"]),
    "api/v1/repayments/<int:repayment_id>/": ("repayment", ["GET"]),
}
POST_BODIES = {
    "applications/<int:application_id>/offer/": dict.fromkeys(CONSENTS, "on"),
    "loans/<int:loan_id>/repay/": {"amount": "100.00", "kind": "REGULAR"},
    "api/v1/applications/<int:application_id>/accept/": {"consents": CONSENTS},
    "api/v1/loans/<int:loan_id>/repayments/": {"amount": "100.00", "kind": "REGULAR"},
}


def _routes(patterns=None, prefix: str = "") -> list[str]:
    routes = []
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(entry, URLResolver):
            routes += _routes(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            routes.append(prefix + str(entry.pattern))
    return routes


def test_every_borrower_facing_route_with_an_object_id_is_covered_here():
    with_ids = {route for route in _routes() if "<" in route and not route.startswith(NOT_BORROWER_FACING)}

    assert with_ids == set(PAGES) | set(API)


@pytest.fixture
def owners_objects(scorecard):
    """Alice's application (decided), loan and repayment; what a stranger will ask for by id."""
    factories.product("CASH12")
    alice = factories.borrower(username="alice")
    application = lending_services.application_submit(
        borrower_id=alice.pk, product_code="CASH12", amount="6000.00", term=6, submitted_at=MONDAY
    )
    business_date_set(date(2024, 1, 1))
    loan = open_loan(borrower_id=alice.pk)
    repayment = repayment_request(
        loan_id=loan.pk, amount=Decimal("100.00"), kind="REGULAR", idempotency_key="alice-pays"
    )
    return {"owner": alice, "application": application.pk, "loan": loan.pk, "repayment": repayment.pk}


def _url(route: str, object_id: int) -> str:
    return "/" + route.split("<", 1)[0] + str(object_id) + route.split(">", 1)[1]


def _state() -> tuple:
    return (
        list(Application.objects.order_by("pk").values_list("pk", "status")),
        Repayment.objects.count(),
        PaymentOrder.objects.count(),
    )


@pytest.mark.parametrize(("route", "method"), [(r, m) for r, (_kind, ms) in PAGES.items() for m in ms])
def test_a_page_answers_another_borrowers_id_with_404(client, owners_objects, route, method):
    kind, _methods = PAGES[route]
    url = _url(route, owners_objects[kind])
    client.force_login(owners_objects["owner"].user)
    assert client.get(url).status_code == 200  # the id is right: its owner sees it
    client.force_login(factories.borrower(username="mallory").user)
    before = _state()

    response = client.get(url) if method == "GET" else client.post(url, POST_BODIES[route])

    assert response.status_code == 404
    assert _state() == before


@pytest.mark.parametrize(("route", "method"), [(r, m) for r, (_kind, ms) in API.items() for m in ms])
def test_an_api_endpoint_answers_another_borrowers_id_with_404(owners_objects, route, method):
    kind, _methods = API[route]
    url = _url(route, owners_objects[kind])
    owner, stranger = APIClient(), APIClient()
    owner.force_authenticate(owners_objects["owner"].user)
    stranger.force_authenticate(factories.borrower(username="mallory").user)
    if method == "GET":
        assert owner.get(url).status_code == 200  # the id is right: its owner sees it
    before = _state()

    if method == "GET":
        response = stranger.get(url)
    else:
        response = stranger.post(url, POST_BODIES[route], format="json", HTTP_IDEMPOTENCY_KEY="mallory-1")

    assert response.status_code == 404
    assert _state() == before


def test_list_endpoints_show_a_borrower_only_their_own(owners_objects):
    stranger = APIClient()
    stranger.force_authenticate(factories.borrower(username="mallory").user)

    assert stranger.get("/api/v1/applications/").json() in (
        [],
        {"count": 0, "next": None, "previous": None, "results": []},
    )
    assert stranger.get("/api/v1/loans/").json() == []
