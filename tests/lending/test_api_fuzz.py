"""Schemathesis over the application endpoints: whatever the body, headers or ids, never a 500."""

import pytest
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, given, settings
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from lending import services
from tests.lending import factories

pytestmark = pytest.mark.usefixtures("scorecard")

OPERATIONS = [
    ("/api/v1/applications/", "GET"),
    ("/api/v1/applications/", "POST"),
    ("/api/v1/applications/{application_id}/", "GET"),
    ("/api/v1/applications/{application_id}/accept/", "POST"),
    ("/api/v1/products/", "GET"),
]


@pytest.fixture
def api_schema():
    import schemathesis

    return schemathesis.openapi.from_dict(SchemaGenerator().get_schema(request=None, public=True))


@pytest.mark.parametrize(("path", "method"), OPERATIONS, ids=[f"{m} {p}" for p, m in OPERATIONS])
def test_no_generated_request_makes_the_server_fail(api_schema, cash_product, path, method):
    borrower = factories.borrower(username="fuzzed")
    services.application_submit(borrower_id=borrower.pk, product_code="CASH12", amount="5000.00", term=12)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=borrower.user).key}")
    operation = api_schema[path][method]

    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(case=operation.as_strategy())
    def check(case):
        headers = {f"HTTP_{name.upper().replace('-', '_')}": value for name, value in (case.headers or {}).items()}
        kwargs = {"data": case.body, "format": "json"} if case.media_type == "application/json" else {}
        if case.media_type and case.media_type != "application/json" and isinstance(case.body, dict):
            kwargs = {"data": case.body}
        response = client.generic(
            method, case.formatted_path, **_encode(kwargs, case.media_type), QUERY_STRING=_query(case.query), **headers
        )
        assert response.status_code < 500, (case.formatted_path, case.body, response.content[:500])

    check()


def _encode(kwargs: dict, media_type: str | None) -> dict:
    import json
    from urllib.parse import urlencode

    if "data" not in kwargs:
        return {}
    if media_type == "application/json":
        return {"data": json.dumps(kwargs["data"]), "content_type": "application/json"}
    body = kwargs["data"]
    if isinstance(body, dict):
        pairs = [(k, v if isinstance(v, str) else json.dumps(v)) for k, v in body.items()]
        return {"data": urlencode(pairs), "content_type": "application/x-www-form-urlencoded"}
    return {"data": str(body), "content_type": media_type or "text/plain"}


def _query(query) -> str:
    from urllib.parse import urlencode

    return urlencode(query or {}, doseq=True)


@pytest.mark.parametrize(
    ("body", "key"),
    [
        ({"product": "CASH12\x00", "amount": "1000", "term": 3}, "k1"),
        ({"product": "CASH12", "amount": "1000", "term": 3, "characteristics": {"hou\x00sing": "own\x00"}}, "k2"),
        ({"product": "CASH12", "amount": "1000", "term": 3}, "k\x003"),
        ({"product": "CASH12", "amount": "1e400", "term": 3}, "k4"),
        ({"product": "CASH12", "amount": "NaN", "term": 99999999999999999999}, "k5"),
    ],
)
def test_nul_bytes_and_absurd_numbers_are_refused_with_400(borrower, cash_product, body, key):
    client = APIClient()
    client.force_authenticate(borrower.user)

    response = client.post("/api/v1/applications/", body, format="json", HTTP_IDEMPOTENCY_KEY=key)

    assert response.status_code == 400
