"""Schemathesis over the whole published OpenAPI schema, in process through Django's WSGI application: whatever
the generated path, query, headers or body, no response is a server error and every documented response
matches its schema and content type."""

import pytest
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, given, settings
from rest_framework.authtoken.models import Token

from lending import services
from tests.lending import factories

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

# The checks this suite holds the API to; undocumented 4xx codes (401, 404, 409 …) are allowed, a 5xx never.
CHECKS = ("not_a_server_error", "response_schema_conformance", "content_type_conformance")


def published_operations() -> list[tuple[str, str]]:
    from drf_spectacular.generators import SchemaGenerator

    paths = SchemaGenerator().get_schema(request=None, public=True)["paths"]
    return [(path, method.upper()) for path, item in paths.items() for method in item]


@pytest.fixture
def api_schema():
    """The schema bound to the WSGI application. As Django's test client does, requests must not close the
    test's database connection (it holds the test's transaction)."""
    import schemathesis
    from django.core import signals
    from django.db import close_old_connections
    from drf_spectacular.generators import SchemaGenerator

    schema = schemathesis.openapi.from_dict(SchemaGenerator().get_schema(request=None, public=True))
    schema.app = get_wsgi_application()
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield schema
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.fixture
def borrower_token(scorecard, cash_product):
    borrower = factories.borrower(username="fuzzed")
    services.application_submit(borrower_id=borrower.pk, product_code="CASH12", amount="5000.00", term=12)
    return Token.objects.create(user=borrower.user).key


def test_every_published_operation_is_fuzzed():
    operations = published_operations()

    assert len(operations) >= 13  # a new endpoint joins this test by being published
    assert ("POST", "/api/v1/loans/{loan_id}/repayments/") in [(m, p) for p, m in operations]


@pytest.mark.parametrize(("path", "method"), published_operations(), ids=lambda value: str(value))
def test_no_generated_request_fails_the_server_or_the_schema(api_schema, borrower_token, path, method):
    from schemathesis.checks import load_all_checks
    from schemathesis.specs.openapi import checks as openapi_checks

    load_all_checks()
    chosen = [getattr(openapi_checks, name, None) for name in CHECKS]
    from schemathesis.checks import not_a_server_error

    chosen[0] = not_a_server_error
    operation = api_schema[path][method]

    @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(case=operation.as_strategy())
    def check(case):
        case.call_and_validate(headers={"Authorization": f"Token {borrower_token}"}, checks=chosen)

    check()
