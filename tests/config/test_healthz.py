from datetime import date

import pytest


@pytest.mark.django_db
def test_healthz_reports_database_broker_and_business_date(client, business_date):
    response = client.get("/healthz")

    assert response.status_code == 200
    body = response.json()
    assert body["database"] == "ok"
    assert body["broker"] == "ok"
    assert body["business_date"] == business_date.isoformat() == date(2024, 1, 31).isoformat()


@pytest.mark.django_db
def test_healthz_is_degraded_when_the_broker_is_down(client, settings):
    from config.celery import app

    app.conf.broker_url = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    try:
        response = client.get("/healthz")
    finally:
        app.conf.broker_url = settings.CELERY_BROKER_URL
    assert response.status_code == 503
    assert response.json()["broker"] == "down"
