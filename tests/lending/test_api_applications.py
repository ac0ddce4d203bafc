"""`/api/v1/` origination endpoints (CONTRACT.md §5): tokens, products, applications, idempotency, isolation."""

from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.db import connection
from rest_framework.test import APIClient

from lending.models import Application
from tests.lending import factories

pytestmark = pytest.mark.usefixtures("scorecard")

BODY = {"product": "CASH12", "amount": "5000.00", "term": 12, "purpose": "CONSUMPTION", "annual_income": "90000.00"}


def client_for(borrower) -> APIClient:
    client = APIClient()
    token = client.post(
        "/api/v1/auth/token/",
        {"username": borrower.user.username, "password": "correct-horse-battery-9"},
        format="json",
    ).data["token"]
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return api


def apply(api, body=None, key="key-1"):
    return api.post("/api/v1/applications/", body or BODY, format="json", HTTP_IDEMPOTENCY_KEY=key)


def test_token_login_then_products_lists_active_products_with_rate_band(borrower, cash_product):
    response = client_for(borrower).get("/api/v1/products/")

    assert response.status_code == 200
    [product] = response.json()
    assert product == {
        "code": "CASH12",
        "name": "Cash loan CASH12",
        "min_amount": "1000.00",
        "max_amount": "200000.00",
        "terms": [3, 6, 12],
        "method": "EQUAL_INSTALLMENT",
        "min_rate": "0.108000",
        "max_rate": "0.230000",
    }


def test_an_application_is_decided_in_the_response(borrower, cash_product):
    response = apply(client_for(borrower))

    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "DECIDED"
    assert body["decision"]["outcome"] == "APPROVED"
    assert body["decision"]["approved_amount"] == "5000.00"
    assert abs(Decimal(body["decision"]["apr"]) - Decimal(body["decision"]["annual_rate"])) < Decimal("0.0001")
    assert body["decision"]["grade"] in "ABCD"
    assert len(body["schedule_preview"]) == 12
    assert set(body["schedule_preview"][0]) >= {"number", "due_date", "principal", "interest", "payment"}


def test_a_cap_failure_is_a_rejected_outcome_with_reasons_not_an_error(cash_product):
    applicant = factories.borrower(income="30000.00")  # cap 10,000

    response = apply(client_for(applicant), {**BODY, "amount": "10000.01", "annual_income": "30000.00"})

    assert response.status_code == 201
    decision = response.json()["decision"]
    assert decision["outcome"] == "REJECTED"
    [cap] = [r for r in decision["reasons"] if r["code"] == "REG_NP_BALANCE_CAP"]
    assert cap == {
        "code": "REG_NP_BALANCE_CAP",
        "message": cap["message"],
        "limit": "10000.00",
        "actual": "10000.01",
        "rule_set": "CN_MICROLOAN_2020",
    }
    assert cap["message"]
    assert decision["approved_amount"] is None


def test_replay_with_the_same_key_returns_the_first_response(borrower, cash_product):
    api = client_for(borrower)

    first = apply(api)
    replay = apply(api)

    assert replay.status_code == 201
    assert replay.content == first.content  # byte for byte: the body is rendered once and stored as sent
    assert replay["Content-Type"] == first["Content-Type"] == "application/json"
    assert replay["Idempotent-Replayed"] == "true"
    assert Application.objects.count() == 1


def test_the_same_key_with_another_body_is_409(borrower, cash_product):
    api = client_for(borrower)
    apply(api)

    response = apply(api, {**BODY, "amount": "5000.01"})

    assert response.status_code == 409
    assert response.json()["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert Application.objects.count() == 1


def test_a_post_without_an_idempotency_key_is_400(borrower, cash_product):
    response = client_for(borrower).post("/api/v1/applications/", BODY, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "IDEMPOTENCY_KEY_REQUIRED"


@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_duplicate_submits_make_one_application(scorecard):
    factories.product("CASH12")
    applicant = factories.borrower(username="racer")
    api = client_for(applicant)
    token = api._credentials["HTTP_AUTHORIZATION"]

    def submit(_):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=token)
        try:
            response = apply(client, key="same-key")
            return response.status_code, response.json()
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=50) as pool:
        results = list(pool.map(submit, range(50)))

    assert Application.objects.count() == 1
    assert {status for status, _ in results} == {201}
    assert len({body["id"] for _, body in results}) == 1


def test_unauthenticated_requests_are_401(cash_product):
    client = APIClient()

    assert client.get("/api/v1/products/").status_code == 401
    response = client.post("/api/v1/applications/", BODY, format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert response.status_code == 401
    assert response.json()["code"] == "NOT_AUTHENTICATED"


def test_another_borrowers_application_is_404(borrower, cash_product):
    mine = apply(client_for(borrower)).json()
    stranger = client_for(factories.borrower(username="mallory"))

    assert stranger.get(f"/api/v1/applications/{mine['id']}/").status_code == 404
    accept = stranger.post(
        f"/api/v1/applications/{mine['id']}/accept/",
        {"contract_terms": True, "repayment_authorisation": True, "credit_report": True, "personal_information": True},
        format="json",
        HTTP_IDEMPOTENCY_KEY="steal",
    )
    assert accept.status_code == 404
    assert stranger.get("/api/v1/applications/").json() == []


def test_invalid_fields_are_400_with_field_errors(borrower, cash_product):
    response = apply(client_for(borrower), {"product": "CASH12", "amount": "12.345", "term": "x", "purpose": "NOPE"})

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "VALIDATION_ERROR"
    assert set(body["details"]) >= {"amount", "term", "purpose"}


def test_domain_field_errors_are_400_too(borrower, cash_product):
    response = apply(client_for(borrower), {**BODY, "amount": "500.00", "term": 7})

    assert response.status_code == 400
    assert set(response.json()["details"]) == {"amount", "term"}


def test_get_returns_my_application_with_its_decision(borrower, cash_product):
    api = client_for(borrower)
    created = apply(api).json()

    fetched = api.get(f"/api/v1/applications/{created['id']}/")

    assert fetched.status_code == 200
    assert fetched.json() == created


def test_the_openapi_schema_and_offline_docs_are_served(borrower):
    client = APIClient()
    client.force_authenticate(borrower.user)

    schema = client.get("/api/schema/")
    docs = client.get("/api/docs/")

    assert schema.status_code == 200
    assert b"/api/v1/applications/{application_id}/accept/" in schema.content
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "swagger-ui" in html
    assert "cdn." not in html
    assert "unpkg" not in html
    assert "jsdelivr" not in html
    assert "/static/drf_spectacular_sidecar/" in html


CONSENTS = {
    "contract_terms": True,
    "repayment_authorisation": True,
    "credit_report": True,
    "personal_information": True,
}


def test_accept_is_202_and_starts_the_payout(borrower, cash_product):
    api = client_for(borrower)
    created = apply(api).json()

    response = api.post(
        f"/api/v1/applications/{created['id']}/accept/", CONSENTS, format="json", HTTP_IDEMPOTENCY_KEY="accept-1"
    )

    assert response.status_code == 202
    assert response.json() == {"application_id": created["id"], "disbursement_status": "DISBURSING", "loan_id": None}


def test_accept_failing_the_cap_recheck_is_409_with_the_violations(cash_product):
    applicant = factories.borrower(income="90000.00")
    api = client_for(applicant)
    first = apply(api, {**BODY, "amount": "20000.00"}, key="a").json()
    second = apply(api, {**BODY, "amount": "20000.00"}, key="b").json()
    api.post(f"/api/v1/applications/{first['id']}/accept/", CONSENTS, format="json", HTTP_IDEMPOTENCY_KEY="acc-a")

    response = api.post(
        f"/api/v1/applications/{second['id']}/accept/", CONSENTS, format="json", HTTP_IDEMPOTENCY_KEY="acc-b"
    )

    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "REG_NP_BALANCE_CAP"
    [violation] = body["details"]["violations"]
    assert (violation["limit"], violation["actual"], violation["rule_set"]) == (
        "30000.00",
        "40000.00",
        "CN_MICROLOAN_2020",
    )


def test_accept_without_every_consent_is_400_with_the_missing_fields(borrower, cash_product):
    api = client_for(borrower)
    created = apply(api).json()

    response = api.post(
        f"/api/v1/applications/{created['id']}/accept/",
        {**CONSENTS, "credit_report": False},
        format="json",
        HTTP_IDEMPOTENCY_KEY="accept-2",
    )

    assert response.status_code == 400
    assert response.json()["code"] == "CONSENT_REQUIRED"
    assert set(response.json()["details"]) == {"credit_report"}


def _serialized(application_id: int) -> dict:
    from lending.api.views import ApplicationOutputSerializer, application_representation
    from lending.selectors import application_get_for_borrower

    application = Application.objects.get(pk=application_id)
    application = application_get_for_borrower(borrower_id=application.borrower_id, application_id=application_id)
    return ApplicationOutputSerializer(application_representation(application)).data


def test_the_response_is_what_the_output_serializer_would_render(cash_product):
    approved = factories.borrower(username="approved")
    declined = factories.borrower(username="declined", is_student=True)
    referred = factories.borrower(username="referred", income="250000.00", evidence="SELF_DECLARED")
    bodies = [
        apply(client_for(approved)).json(),
        apply(client_for(declined)).json(),
        apply(client_for(referred), {**BODY, "annual_income": "250000.00"}).json(),
    ]

    assert [b["decision"]["outcome"] for b in bodies] == ["APPROVED", "REJECTED", "MANUAL_REVIEW"]
    for body in bodies:
        assert body == _serialized(body["id"])


def test_an_accepted_application_reads_as_the_serializer_renders_it(borrower, cash_product):
    api = client_for(borrower)
    created = apply(api).json()
    api.post(
        f"/api/v1/applications/{created['id']}/accept/",
        {"contract_terms": True, "repayment_authorisation": True, "credit_report": True, "personal_information": True},
        format="json",
        HTTP_IDEMPOTENCY_KEY="accept-1",
    )

    fetched = api.get(f"/api/v1/applications/{created['id']}/").json()

    assert fetched["status"] == "DISBURSING"
    assert fetched == _serialized(created["id"])


def test_a_decision_costs_a_fixed_handful_of_statements(borrower, cash_product):
    """Token, idempotency claim, the applicant's facts, decision record, risk fact, the application's rows
    (one statement), idempotency completion — plus the transaction's savepoint and its release here."""
    from django.test.utils import CaptureQueriesContext

    api = client_for(borrower)
    apply(api, key="warm-up")  # the product's terms and the card are then cached in this process

    with CaptureQueriesContext(connection) as queries:
        response = apply(api, {**BODY, "amount": "6000.00"}, key="counted")

    assert response.status_code == 201
    statements = [q["sql"] for q in queries.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))]
    assert len(statements) == 7, "\n".join(statements)


def test_the_token_of_a_deactivated_user_is_401(borrower, cash_product):
    api = client_for(borrower)
    borrower.user.is_active = False
    borrower.user.save()

    response = apply(api)

    assert response.status_code == 401
    assert response.json()["code"] == "AUTHENTICATION_FAILED"


def test_a_token_of_a_user_without_a_borrower_profile_cannot_apply(cash_product, django_user_model):
    from rest_framework.authtoken.models import Token

    staff = django_user_model.objects.create_user(username="staff", password="staff-pass-2024")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=staff).key}")

    response = apply(api)

    assert response.status_code == 403
    assert response.json()["code"] == "BORROWER_PROFILE_MISSING"
