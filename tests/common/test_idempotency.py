"""The HTTP Idempotency-Key layer (CONTRACT.md §5) on a minimal money-moving view."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory, force_authenticate
from rest_framework.views import APIView

from common.errors import ConflictError
from common.idempotency import idempotent, request_fingerprint
from common.models import IdempotentRequest

factory = APIRequestFactory()


class Counter:
    def __init__(self):
        self.calls = 0
        self.lock = threading.Lock()


def make_view(counter: Counter, *, gate: threading.Event | None = None, started: threading.Event | None = None,
              fail_with: Exception | None = None, wait_seconds: float = 5.0):  # fmt: skip
    class TransferApi(APIView):
        @idempotent(scope="test.transfer", wait_seconds=wait_seconds)
        def post(self, request):
            with counter.lock:
                counter.calls += 1
                number = counter.calls
            if started is not None:
                started.set()
            if gate is not None:
                assert gate.wait(10)
            if fail_with is not None:
                raise fail_with
            return Response({"transfer": number, "amount": request.data.get("amount")}, status=201)

    return TransferApi.as_view()


def post(view, user, body, key="key-1"):
    request = factory.post("/transfers/", body, format="json", **({"HTTP_IDEMPOTENCY_KEY": key} if key else {}))
    force_authenticate(request, user=user)
    response = view(request)
    response.render()
    return response


@pytest.fixture
def user(db):
    return get_user_model().objects.create_user(username="payer", password="x-long-password-1")


def test_replay_with_same_key_and_body_returns_the_first_response(user):
    counter = Counter()
    view = make_view(counter)

    first = post(view, user, {"amount": "100.00"})
    replay = post(view, user, {"amount": "100.00"})

    assert counter.calls == 1
    assert (
        (replay.status_code, replay.data)
        == (first.status_code, first.data)
        == (201, {"transfer": 1, "amount": "100.00"})
    )
    assert replay["Idempotent-Replayed"] == "true"


def test_same_key_with_another_body_is_409_key_reused(user):
    view = make_view(Counter())
    post(view, user, {"amount": "100.00"})

    response = post(view, user, {"amount": "100.01"})

    assert response.status_code == 409
    assert response.data["code"] == "IDEMPOTENCY_KEY_REUSED"


def test_missing_key_is_400_and_nothing_runs(user):
    counter = Counter()

    response = post(make_view(counter), user, {"amount": "1.00"}, key=None)

    assert response.status_code == 400
    assert response.data["code"] == "IDEMPOTENCY_KEY_REQUIRED"
    assert counter.calls == 0


def test_keys_are_scoped_per_user(user):
    other = get_user_model().objects.create_user(username="other", password="x-long-password-2")
    counter = Counter()
    view = make_view(counter)

    post(view, user, {"amount": "5.00"})
    response = post(view, other, {"amount": "5.00"})

    assert response.status_code == 201
    assert counter.calls == 2


def test_a_domain_refusal_is_stored_and_replayed(user):
    counter = Counter()
    view = make_view(counter, fail_with=ConflictError("cap exceeded", code="REG_NP_BALANCE_CAP"))

    first = post(view, user, {"amount": "9.00"})
    replay = post(view, user, {"amount": "9.00"})

    assert first.status_code == replay.status_code == 409
    assert replay.data == first.data
    assert counter.calls == 1


def test_a_server_error_releases_the_key_so_the_client_may_retry(user):
    counter = Counter()
    failing = make_view(counter, fail_with=RuntimeError("database fell over"))

    with pytest.raises(RuntimeError):
        post(failing, user, {"amount": "3.00"})

    assert not IdempotentRequest.objects.exists()
    assert post(make_view(counter), user, {"amount": "3.00"}).status_code == 201


@pytest.mark.django_db(transaction=True)
def test_duplicate_in_flight_waits_for_the_first_and_returns_its_response():
    user = get_user_model().objects.create_user(username="waiter", password="x-long-password-3")
    counter, gate, started = Counter(), threading.Event(), threading.Event()
    view = make_view(counter, gate=gate, started=started)

    def first():
        try:
            return post(view, user, {"amount": "7.00"})
        finally:
            connection.close()

    def duplicate():
        try:
            assert started.wait(10)
            threading.Timer(0.2, gate.set).start()  # let the first finish while the duplicate is waiting
            return post(view, user, {"amount": "7.00"})
        finally:
            connection.close()

    with ThreadPoolExecutor(2) as pool:
        a, b = pool.submit(first), pool.submit(duplicate)
        responses = [a.result(), b.result()]

    assert [r.status_code for r in responses] == [201, 201]
    assert responses[0].data == responses[1].data
    assert counter.calls == 1


@pytest.mark.django_db(transaction=True)
def test_duplicate_still_in_flight_after_the_wait_is_409_in_progress():
    user = get_user_model().objects.create_user(username="impatient", password="x-long-password-4")
    counter, gate, started = Counter(), threading.Event(), threading.Event()
    view = make_view(counter, gate=gate, started=started, wait_seconds=0.2)

    def first():
        try:
            return post(view, user, {"amount": "8.00"})
        finally:
            connection.close()

    with ThreadPoolExecutor(1) as pool:
        future = pool.submit(first)
        assert started.wait(10)
        try:
            response = post(view, user, {"amount": "8.00"})
        finally:
            gate.set()
        assert future.result().status_code == 201

    assert response.status_code == 409
    assert response.data["code"] == "IDEMPOTENCY_KEY_IN_PROGRESS"
    assert counter.calls == 1


def test_fingerprint_ignores_key_order_but_not_values():
    a = request_fingerprint(method="POST", path="/x/", body={"a": "1", "b": "2"})
    b = request_fingerprint(method="post", path="/x/", body={"b": "2", "a": "1"})
    c = request_fingerprint(method="POST", path="/x/", body={"a": "1", "b": "3"})

    assert a == b != c
