"""Production settings: HTTPS only with HSTS, and every cookie Secure, HttpOnly and SameSite — checked on the
settings and on real responses rendered with them. (`check --deploy` is tests/config/test_settings.py's.)"""

import importlib

import pytest
from django.test import override_settings

from tests.lending import factories

pytestmark = pytest.mark.django_db

SECURITY_SETTINGS = [
    "SECURE_PROXY_SSL_HEADER",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SECURE_CONTENT_TYPE_NOSNIFF",
    "SECURE_REFERRER_POLICY",
    "SECURE_CROSS_ORIGIN_OPENER_POLICY",
    "X_FRAME_OPTIONS",
    "SESSION_COOKIE_SECURE",
    "SESSION_COOKIE_HTTPONLY",
    "SESSION_COOKIE_SAMESITE",
    "SESSION_COOKIE_AGE",
    "CSRF_COOKIE_SECURE",
    "CSRF_COOKIE_HTTPONLY",
    "CSRF_COOKIE_SAMESITE",
    "LANGUAGE_COOKIE_SECURE",
    "LANGUAGE_COOKIE_HTTPONLY",
    "LANGUAGE_COOKIE_SAMESITE",
    "DEBUG",
]


@pytest.fixture(scope="module")
def production():
    return importlib.import_module("config.settings.production")


def test_production_is_https_only_with_a_year_of_hsts(production):
    assert production.DEBUG is False
    assert production.SECURE_SSL_REDIRECT is True
    assert production.SECURE_PROXY_SSL_HEADER == ("HTTP_X_FORWARDED_PROTO", "https")
    assert production.SECURE_HSTS_SECONDS >= 31536000
    assert production.SECURE_HSTS_INCLUDE_SUBDOMAINS is True
    assert production.SECURE_HSTS_PRELOAD is True


@pytest.mark.parametrize("cookie", ["SESSION", "CSRF", "LANGUAGE"])
def test_every_cookie_is_secure_httponly_and_same_site(production, cookie):
    assert getattr(production, f"{cookie}_COOKIE_SECURE") is True
    assert getattr(production, f"{cookie}_COOKIE_HTTPONLY") is True
    assert getattr(production, f"{cookie}_COOKIE_SAMESITE") in ("Lax", "Strict")


def test_a_session_does_not_outlive_a_working_day(production):
    assert production.SESSION_COOKIE_AGE <= 12 * 60 * 60


@pytest.fixture
def production_security(production):
    with override_settings(**{name: getattr(production, name) for name in SECURITY_SETTINGS}):
        yield


def _https(client, method: str, path: str, data=None):
    return getattr(client, method)(path, data or {}, HTTP_X_FORWARDED_PROTO="https")


@pytest.mark.usefixtures("production_security")
def test_a_plain_http_request_is_sent_to_https(client):
    response = client.get("/accounts/login/")

    assert response.status_code == 301
    assert response["Location"].startswith("https://")


@pytest.mark.usefixtures("production_security")
def test_responses_carry_hsts_and_the_cookies_their_flags(client):
    borrower = factories.borrower(username="alice")
    page = _https(client, "get", "/accounts/login/")
    signed_in = client.post(
        "/accounts/login/",
        {"username": "alice", "password": "correct-horse-battery-9"},
        HTTP_X_FORWARDED_PROTO="https",
    )
    language = client.post("/i18n/setlang/", {"language": "en"}, HTTP_X_FORWARDED_PROTO="https")

    assert borrower.user.pk == int(client.session["_auth_user_id"])
    assert page["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert page["X-Frame-Options"] == "DENY"
    assert page["X-Content-Type-Options"] == "nosniff"
    cookies = {**page.cookies, **signed_in.cookies, **language.cookies}
    for name in ("csrftoken", "sessionid", "django_language"):
        morsel = cookies[name]
        assert (morsel["secure"], morsel["httponly"], morsel["samesite"]) == (True, True, "Lax"), name
