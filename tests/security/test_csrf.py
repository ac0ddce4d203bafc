"""CSRF: every form the project renders carries the token, and every URL refuses a POST without one — except
the two that are not driven by a browser session (the bank's signed callbacks, the API's token login)."""

import re
from pathlib import Path

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

ROOT = Path(__file__).resolve().parents[2]
# Not session-driven: the channel's callback is authenticated by its HMAC signature, the token endpoint by
# the credentials in its body (it sets no cookie), so neither can be ridden by a cross-site request.
EXEMPT = {"api/v1/payments/callbacks/<str:channel>/", "api/v1/auth/token/"}
PLACEHOLDERS = {"int": "1", "str": "x", "slug": "x"}
TOKEN = "k" * 32  # a CSRF secret: the cookie and the form field carry the same one

pytestmark = pytest.mark.django_db


def _template_files() -> list[Path]:
    skip = {".venv", "node_modules", "var", "static"}
    return [p for p in ROOT.rglob("*.html") if not skip & set(p.relative_to(ROOT).parts)]


def _post_forms(html: str) -> list[str]:
    return [
        form
        for form in re.findall(r"<form\b.*?</form>", html, flags=re.S | re.I)
        if re.search(r"method\s*=\s*[\"']?post", form, flags=re.I)
    ]


def test_every_post_form_in_the_templates_carries_the_csrf_token():
    forms = {path: _post_forms(path.read_text()) for path in _template_files()}

    missing = [
        str(path.relative_to(ROOT)) for path, found in forms.items() for form in found if "csrf_token" not in form
    ]

    assert sum(map(len, forms.values())) >= 8  # the borrower, analyst and admin forms were found
    assert missing == []


def _routes(patterns=None, prefix: str = "") -> list[str]:
    routes = []
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(entry, URLResolver):
            if str(entry.pattern) == "admin/":
                continue  # its routes are regular expressions; the admin's forms are covered below
            routes += _routes(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            routes.append(prefix + str(entry.pattern))
    return routes


def _url(route: str) -> str:
    return "/" + re.sub(r"<(\w+):\w+>", lambda m: PLACEHOLDERS[m.group(1)], route)


ROUTES = [route for route in _routes() if route not in EXEMPT]
ADMIN_URLS = [
    "/admin/login/",
    "/admin/logout/",
    "/admin/password_change/",
    "/admin/lending/borrower/",
    "/admin/auth/user/add/",
]


@pytest.fixture
def csrf_client(django_user_model, scorecard):
    """A signed-in superuser's browser that really checks CSRF (the test client skips it unless told)."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(django_user_model.objects.create_superuser(username="root", password="a-long-password-2024"))
    return client


@pytest.mark.parametrize("url", [_url(route) for route in ROUTES] + ADMIN_URLS)
def test_a_post_without_the_token_is_refused_and_with_it_is_let_through(csrf_client, url):
    without = csrf_client.post(url, {"anything": "1"})
    csrf_client.cookies["csrftoken"] = TOKEN
    with_token = csrf_client.post(url, {"anything": "1", "csrfmiddlewaretoken": TOKEN})

    assert without.status_code == 403
    assert with_token.status_code != 403  # the refusal was the missing token, nothing else (a superuser asks)


def test_an_anonymous_login_post_without_the_token_is_refused():
    response = Client(enforce_csrf_checks=True).post("/accounts/login/", {"username": "a", "password": "b"})

    assert response.status_code == 403
