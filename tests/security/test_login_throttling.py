"""Password guessing is throttled by django-axes on every way in: the borrower login page, the admin login and
the API's token endpoint. After AXES_FAILURE_LIMIT wrong passwords even the right one is refused for a while."""

import pytest
from django.conf import settings
from django.test import override_settings

from tests.lending import factories

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("axes_on")]

PASSWORD = "correct-horse-battery-9"  # tests.lending.factories.borrower's
LOCKED = (403, 429)


@pytest.fixture
def axes_on():
    from axes.handlers.proxy import AxesProxyHandler

    with override_settings(AXES_ENABLED=True):
        AxesProxyHandler.reset_attempts()
        yield
        AxesProxyHandler.reset_attempts()


def _guess_wrong(post, times: int) -> list[int]:
    return [post("not-the-password").status_code for _ in range(times)]


def _signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_the_borrower_login_locks_after_the_failure_limit(client):
    borrower = factories.borrower(username="alice")

    def post(password):
        return client.post("/accounts/login/", {"username": borrower.user.username, "password": password})

    failures = _guess_wrong(post, settings.AXES_FAILURE_LIMIT)
    response = post(PASSWORD)

    assert set(failures[:-1]) == {200}  # the form again, with an error
    assert failures[-1] in LOCKED  # the guess that reaches the limit locks
    assert response.status_code in LOCKED
    assert not _signed_in(client)


def test_below_the_limit_the_right_password_still_signs_in(client):
    borrower = factories.borrower(username="alice")

    def post(password):
        return client.post("/accounts/login/", {"username": borrower.user.username, "password": password})

    _guess_wrong(post, settings.AXES_FAILURE_LIMIT - 1)
    response = post(PASSWORD)

    assert response.status_code == 302
    assert _signed_in(client)


def test_the_admin_login_locks_after_the_failure_limit(client, django_user_model):
    django_user_model.objects.create_user(username="officer", password=PASSWORD, is_staff=True)

    def post(password):
        return client.post("/admin/login/?next=/admin/", {"username": "officer", "password": password})

    _guess_wrong(post, settings.AXES_FAILURE_LIMIT)
    response = post(PASSWORD)

    assert response.status_code in LOCKED
    assert not _signed_in(client)


def test_the_api_token_endpoint_locks_after_the_failure_limit(client):
    borrower = factories.borrower(username="alice")

    def post(password):
        return client.post("/api/v1/auth/token/", {"username": borrower.user.username, "password": password})

    failures = _guess_wrong(post, settings.AXES_FAILURE_LIMIT)
    response = post(PASSWORD)

    # Axes' backend refuses the locked account inside authenticate(), so DRF answers as for a wrong password:
    # no token, whatever the password.
    assert set(failures) == {400}
    assert response.status_code == 400
    assert "token" not in response.json()


def test_below_the_limit_the_api_token_endpoint_gives_a_token(client):
    borrower = factories.borrower(username="alice")

    def post(password):
        return client.post("/api/v1/auth/token/", {"username": borrower.user.username, "password": password})

    _guess_wrong(post, settings.AXES_FAILURE_LIMIT - 1)
    response = post(PASSWORD)

    assert response.status_code == 200
    assert response.json()["token"]


def _login(client, username: str, password: str, address: str):
    return client.post("/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=address)


def test_guessing_locks_the_account_from_every_address_and_the_address_for_every_account(client):
    """AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]: each is counted on its own."""
    factories.borrower(username="alice")
    factories.borrower(username="bob")
    _guess_wrong(lambda password: _login(client, "alice", password, "10.0.0.1"), settings.AXES_FAILURE_LIMIT)

    alice_elsewhere = _login(client, "alice", PASSWORD, "10.0.0.2")
    bob_from_there = _login(client, "bob", PASSWORD, "10.0.0.1")
    bob_elsewhere = _login(client, "bob", PASSWORD, "10.0.0.3")

    assert alice_elsewhere.status_code in LOCKED
    assert bob_from_there.status_code in LOCKED
    assert bob_elsewhere.status_code == 302
