"""Staff areas need a permission, not only `is_staff`: the admin shows a staff user only the models their
permissions cover, and the analytics and dashboard pages need `risk_models.view_analytics` *and* staff status."""

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from lending.permissions import credit_officer_group_ensure
from tests.lending import factories

pytestmark = pytest.mark.django_db

ANALYTICS_PERMISSION = ("risk_models", "view_analytics")
STAFF_PREFIXES = ("analytics/", "dashboards/")
PLACEHOLDERS = {"job_id": "999999", "version": "no-such-version", "panel": "no-such-panel"}


def _staff_routes(patterns=None, prefix: str = "") -> list[str]:
    routes = []
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(entry, URLResolver):
            routes += _staff_routes(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern) and (prefix + str(entry.pattern)).startswith(STAFF_PREFIXES):
            routes.append(prefix + str(entry.pattern))
    return routes


def _url(route: str) -> str:
    path = route
    for name, value in PLACEHOLDERS.items():
        for converter in ("int", "str", "slug"):
            path = path.replace(f"<{converter}:{name}>", value)
    assert "<" not in path, f"no placeholder for {route}"
    return "/" + path


def _user(django_user_model, name: str, *, is_staff: bool, permissions=()):
    user = django_user_model.objects.create_user(username=name, password="a-long-password-2024", is_staff=is_staff)
    for app_label, codename in permissions:
        user.user_permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    return user


STAFF_URLS = [_url(route) for route in _staff_routes()]


def test_the_analytics_and_dashboard_areas_are_found():
    assert any(url.startswith("/analytics/") for url in STAFF_URLS)
    assert "/dashboards/" in STAFF_URLS


@pytest.mark.parametrize("url", STAFF_URLS)
def test_an_analytics_page_refuses_everyone_but_staff_analysts(client, django_user_model, url):
    anonymous = client.get(url)
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith("/accounts/login/")
    refusals = {
        "borrower": factories.borrower(username="bob").user,
        "staff without the permission": _user(django_user_model, "clerk", is_staff=True),
        "permission without staff status": _user(
            django_user_model, "ex-staff", is_staff=False, permissions=[ANALYTICS_PERMISSION]
        ),
    }
    for who, user in refusals.items():
        client.force_login(user)
        assert client.get(url).status_code == 403, who
        assert client.post(url).status_code in (403, 405), who

    client.force_login(_user(django_user_model, "analyst", is_staff=True, permissions=[ANALYTICS_PERMISSION]))
    assert client.get(url).status_code in (200, 404, 405)  # let in: the placeholder object may not exist


def _changelists() -> list[tuple[str, str, str]]:
    return [
        (
            model._meta.app_label,
            model._meta.model_name,
            reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist"),
        )
        for model in admin.site._registry
    ]


def test_a_staff_user_without_permissions_sees_no_model_in_the_admin(client, django_user_model):
    client.force_login(_user(django_user_model, "clerk", is_staff=True))

    index = client.get("/admin/")

    assert index.status_code == 200
    assert not index.context["app_list"]
    for _app, _model, url in _changelists():
        assert client.get(url).status_code == 403, url


def test_a_credit_officer_opens_exactly_the_admin_pages_their_permissions_cover(client, django_user_model):
    officer = _user(django_user_model, "officer", is_staff=True)
    officer.groups.add(credit_officer_group_ensure())
    client.force_login(officer)
    officer = django_user_model.objects.get(pk=officer.pk)  # fresh permission cache

    opened = {url for _app, _model, url in _changelists() if client.get(url).status_code == 200}

    allowed = {
        url
        for app, model, url in _changelists()
        if officer.has_perm(f"{app}.view_{model}") or officer.has_perm(f"{app}.change_{model}")
    }
    assert opened == allowed
    assert reverse("admin:ledger_journal_changelist") not in opened
    assert reverse("admin:payments_paymentorder_changelist") not in opened


def test_the_admin_turns_away_a_signed_in_borrower(client):
    client.force_login(factories.borrower(username="bob").user)

    response = client.get("/admin/")

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
