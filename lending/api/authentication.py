"""Token authentication for the origination API: the token's user and borrower profile in one query."""

from django.contrib.auth import get_user_model
from django.db import DEFAULT_DB_ALIAS, connection
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import SessionAuthentication, TokenAuthentication

from common.sql import instance_from_row, select_list

from ..models import Borrower


class BorrowerTokenAuthentication(TokenAuthentication):
    """`Authorization: Token …`: the token compared by key (no password hashing), its user and the user's
    borrower profile read together, in one statement written once rather than compiled per request."""

    _sql = None

    @classmethod
    def _statement(cls) -> str:
        if cls._sql is None:
            user_model, token_model = get_user_model(), cls().get_model()
            cls._sql = (
                f"SELECT {select_list(user_model, 'u')}, "  # noqa: S608 — constants; values are parameters
                f"b.id IS NOT NULL, {select_list(Borrower, 'b')} "
                f"FROM {token_model._meta.db_table} t "
                f"JOIN {user_model._meta.db_table} u ON u.id = t.user_id "
                f"LEFT JOIN {Borrower._meta.db_table} b ON b.user_id = u.id "
                f"WHERE t.key = %s"
            )
        return cls._sql

    def authenticate_credentials(self, key):
        with connection.cursor() as cursor:
            cursor.execute(self._statement(), [key])
            row = cursor.fetchone()
        if row is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        user_model = get_user_model()
        width = len(user_model._meta.concrete_fields)
        user = instance_from_row(user_model, row[:width])
        if not user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        has_borrower, borrower_row = row[width], row[width + 1 :]
        borrower = instance_from_row(Borrower, borrower_row) if has_borrower else None
        # What `select_related("user__borrower")` leaves behind: `user.borrower` costs no query (None → no profile).
        Borrower._meta.get_field("user").remote_field.set_cached_value(user, borrower)
        if borrower is not None:
            Borrower._meta.get_field("user").set_cached_value(borrower, user)
        token = self.get_model()(key=key, user=user)
        token._state.adding, token._state.db = False, DEFAULT_DB_ALIAS
        return (user, token)


# Token first, so that a request without credentials gets 401 rather than 403 (as in settings).
AUTHENTICATION_CLASSES = [BorrowerTokenAuthentication, SessionAuthentication]


class BorrowerTokenScheme(OpenApiAuthenticationExtension):
    """The OpenAPI security scheme of the borrower token: the same header as DRF's token, under its own name
    (two classes may not share the `tokenAuth` component)."""

    target_class = BorrowerTokenAuthentication
    name = "borrowerToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": 'A borrower\'s API token with the prefix "Token", e.g. `Token 9944b0…`.',
        }
