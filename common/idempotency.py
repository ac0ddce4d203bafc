"""HTTP Idempotency-Key for money-moving POSTs (CONTRACT.md §5).

Usage on a DRF view method::

    class ApplicationListApi(APIView):
        @idempotent(scope="applications.create")
        def post(self, request): ...

A key is scoped per user and per endpoint (``scope``). The request's fingerprint (method, path, body) is
stored with the key, so that:

- a replay with the same key and body returns the first response (status and body, byte for byte the same
  JSON) with the header ``Idempotent-Replayed: true``;
- the same key with another body (or another path under the same scope) → 409 ``IDEMPOTENCY_KEY_REUSED``;
- a duplicate arriving while the first is still running waits for it (up to ``wait_seconds``, 5 s) and
  returns its response, else 409 ``IDEMPOTENCY_KEY_IN_PROGRESS``.

Responses below 500 (including domain errors such as a 409 cap violation) are stored: they are the answer
to that request. A server error or a crash releases the key so that the client may retry. A key left in
flight by a process that died is taken over after ``STALE_AFTER``; the handler's own unique constraint
(e.g. an application's idempotency key) still guarantees one effect in that case.
"""

import functools
import hashlib
import json
import re
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.utils import timezone
from rest_framework.exceptions import APIException
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from .errors import ConflictError, DomainError
from .models import IdempotentRequest

HEADER = "Idempotency-Key"
REPLAY_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255
_KEY_PATTERN = re.compile(r"^[\x20-\x7e]+$")
STALE_AFTER = timedelta(seconds=60)
POLL_SECONDS = 0.02


class IdempotencyKeyRequired(DomainError):
    code = "IDEMPOTENCY_KEY_REQUIRED"
    http_status = 400


class IdempotencyKeyReused(ConflictError):
    code = "IDEMPOTENCY_KEY_REUSED"


class IdempotencyKeyInProgress(ConflictError):
    code = "IDEMPOTENCY_KEY_IN_PROGRESS"


def request_fingerprint(*, method: str, path: str, body: Any) -> str:
    """A stable digest of what the request asks for: key order and form vs JSON encoding do not matter."""
    if hasattr(body, "lists"):  # a QueryDict from a form post
        body = {name: values if len(values) != 1 else values[0] for name, values in body.lists()}
    canonical = json.dumps(
        {"method": method.upper(), "path": path, "body": body}, sort_keys=True, cls=DjangoJSONEncoder
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def idempotent(scope: str, *, wait_seconds: float = 5.0) -> Callable:
    """Decorate a DRF view method (``post``) so that each Idempotency-Key takes effect once."""

    def decorator(handler: Callable) -> Callable:
        @functools.wraps(handler)
        def wrapper(view, request, *args, **kwargs):
            key = _key_from(request)
            fingerprint = request_fingerprint(method=request.method, path=request.path, body=request.data)
            deadline = time.monotonic() + wait_seconds
            while True:
                claimed = _claim(user_id=request.user.pk, scope=scope, key=key, fingerprint=fingerprint)
                if claimed is not None:
                    request.idempotency_key = key
                    return _run_and_store(claimed, view, handler, request, *args, **kwargs)
                existing = IdempotentRequest.objects.filter(user_id=request.user.pk, scope=scope, key=key).first()
                if existing is None:
                    continue  # the first attempt failed and released the key between our insert and our read
                if existing.fingerprint != fingerprint:
                    raise IdempotencyKeyReused(
                        "This Idempotency-Key was already used for a different request.", key=key
                    )
                if existing.state == IdempotentRequest.State.COMPLETED:
                    return _replay(existing)
                if _take_over_if_stale(existing):
                    request.idempotency_key = key
                    return _run_and_store(existing.pk, view, handler, request, *args, **kwargs)
                if time.monotonic() >= deadline:
                    raise IdempotencyKeyInProgress(
                        "A request with this Idempotency-Key is still being processed; retry shortly.", key=key
                    )
                time.sleep(POLL_SECONDS)

        return wrapper

    return decorator


def _key_from(request) -> str:
    key = (request.headers.get(HEADER) or "").strip()
    if not key:
        raise IdempotencyKeyRequired(f"The {HEADER} header is required for this request.")
    if len(key) > MAX_KEY_LENGTH or not _KEY_PATTERN.match(key):
        raise IdempotencyKeyRequired(
            f"The {HEADER} header must be 1 to {MAX_KEY_LENGTH} printable ASCII characters (a UUID is ideal)."
        )
    return key


_TABLE = IdempotentRequest._meta.db_table
# Every money-moving POST runs these two statements: written once here rather than compiled by the ORM per
# request, and the claim is a single statement (no savepoint, no exception) whoever wins.
_CLAIM_SQL = f"""
    INSERT INTO {_TABLE} (user_id, scope, key, fingerprint, state, started_at)
    VALUES (%s, %s, %s, %s, %s, %s)
    ON CONFLICT (user_id, scope, key) DO NOTHING
    RETURNING id
"""  # noqa: S608 — composed of constants; values are bound parameters
_COMPLETE_SQL = f"""
    UPDATE {_TABLE} SET state = %s, response_status = %s, response_body = %s, completed_at = %s WHERE id = %s
"""  # noqa: S608 — composed of constants; values are bound parameters


def _claim(*, user_id: int, scope: str, key: str, fingerprint: str) -> int | None:
    """The id of our new IN_PROGRESS row, or None when the key is already taken (by us earlier or another)."""
    with connection.cursor() as cursor:
        cursor.execute(
            _CLAIM_SQL,
            [user_id, scope, key, fingerprint, IdempotentRequest.State.IN_PROGRESS, timezone.now()],
        )
        row = cursor.fetchone()
    return row[0] if row else None


def _take_over_if_stale(existing: IdempotentRequest) -> bool:
    """A first attempt whose process died never completes; let one later duplicate run it again."""
    now = timezone.now()
    if existing.started_at > now - STALE_AFTER:
        return False
    updated = IdempotentRequest.objects.filter(
        pk=existing.pk, state=IdempotentRequest.State.IN_PROGRESS, started_at=existing.started_at
    ).update(started_at=now)
    return updated == 1


def _run_and_store(claimed_id: int, view, handler: Callable, request, *args, **kwargs) -> Response:
    try:
        response = handler(view, request, *args, **kwargs)
    except (DomainError, APIException) as exc:
        # A refusal is the answer to this request: a replay must get the same refusal.
        response = view.handle_exception(exc)
    except BaseException:
        IdempotentRequest.objects.filter(pk=claimed_id).delete()
        raise
    if response.status_code >= 500:
        IdempotentRequest.objects.filter(pk=claimed_id).delete()
        return response
    # Rendered once: the bytes stored are the bytes sent, now and on every replay.
    body = JSONRenderer().render(response.data)
    with connection.cursor() as cursor:
        cursor.execute(
            _COMPLETE_SQL,
            [IdempotentRequest.State.COMPLETED, response.status_code, body.decode(), timezone.now(), claimed_id],
        )
    headers = {name: value for name, value in response.headers.items() if name.lower() != "content-type"}
    return StoredJsonResponse(response.data, body=body, status=response.status_code, headers=headers)


def _replay(existing: IdempotentRequest) -> Response:
    body = existing.response_body.encode()
    return StoredJsonResponse(
        json.loads(body), body=body, status=existing.response_status, headers={REPLAY_HEADER: "true"}
    )


class StoredJsonResponse(Response):
    """A response whose JSON is already rendered (the stored body): sent as is when JSON is what the client
    accepts, rendered like any other response otherwise (e.g. the browsable API)."""

    def __init__(self, data, *, body: bytes, **kwargs):
        super().__init__(data, **kwargs)
        self.stored_body = body

    @property
    def rendered_content(self):
        renderer = getattr(self, "accepted_renderer", None)
        if type(renderer) is JSONRenderer and getattr(self, "accepted_media_type", None) == renderer.media_type:
            self["Content-Type"] = renderer.media_type
            return self.stored_body
        return super().rendered_content
