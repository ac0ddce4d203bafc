"""A new application with its field history, audit events and offer, written in one statement.

The application API's hot path writes five or seven rows per request; through the ORM each is a compiled
INSERT and a round trip, and each historical row another pass through django-simple-history's signal. Here
they are one data-modifying CTE whose text is built once per shape from the models' own metadata (so a new
field is written without touching this file), with every value prepared by its field exactly as the ORM
prepares it. The rows are the ones the ORM and django-simple-history would write:
tests/lending/test_application_rows.py compares them column by column.
"""

import threading

from django.db import DEFAULT_DB_ALIAS, connection
from django.db.models import Model
from django.utils import timezone
from simple_history.models import HistoricalRecords

from ..models import Application, ApplicationEvent, Offer

_HISTORY_ONLY = {"history_id", "history_date", "history_change_reason", "history_type", "history_user"}


def _insert_fields(model: type[Model]) -> list:
    return [f for f in model._meta.concrete_fields if not f.primary_key]


def _history_columns(model: type[Model]) -> list[str]:
    """The columns the historical table copies from the model's row."""
    historical = model.history.model
    return [f.column for f in historical._meta.concrete_fields if f.name not in _HISTORY_ONLY]


def _quoted(columns) -> str:
    return ", ".join(connection.ops.quote_name(c) for c in columns)


def _history_insert(model: type[Model], source: str) -> str:
    columns = _history_columns(model)
    return (
        f"INSERT INTO {model.history.model._meta.db_table} "  # noqa: S608 — constants; values are parameters
        f"({_quoted(columns)}, history_date, history_change_reason, history_type, history_user_id) "
        f"SELECT {_quoted(columns)}, %s, NULL, '+', %s FROM {source}"
    )


def _values_row(fields, *, parent_column: str | None = None) -> str:
    placeholders = ("(SELECT id FROM app)" if f.column == parent_column else "%s" for f in fields)
    return f"({', '.join(placeholders)})"


_APPLICATION_FIELDS = _insert_fields(Application)
_EVENT_FIELDS = _insert_fields(ApplicationEvent)
_OFFER_FIELDS = _insert_fields(Offer)
_statements: dict[tuple[int, bool], str] = {}
_statements_lock = threading.Lock()


def _statement(*, events: int, with_offer: bool) -> str:
    key = (events, with_offer)
    sql = _statements.get(key)
    if sql is None:
        event_parent = ApplicationEvent._meta.get_field("application").column
        offer_parent = Offer._meta.get_field("application").column
        parts = [
            f"app AS (INSERT INTO {Application._meta.db_table} "  # noqa: S608 — constants; values are parameters
            f"({_quoted(f.column for f in _APPLICATION_FIELDS)}) "
            f"VALUES ({', '.join(['%s'] * len(_APPLICATION_FIELDS))}) RETURNING *)",
            f"app_history AS ({_history_insert(Application, 'app')})",
        ]
        if events:
            rows = ", ".join([_values_row(_EVENT_FIELDS, parent_column=event_parent)] * events)
            parts.append(
                f"events AS (INSERT INTO {ApplicationEvent._meta.db_table} "  # noqa: S608 — constants; values are parameters
                f"({_quoted(f.column for f in _EVENT_FIELDS)}) VALUES {rows})"
            )
        if with_offer:
            parts.append(
                f"offer AS (INSERT INTO {Offer._meta.db_table} "  # noqa: S608 — constants; values are parameters
                f"({_quoted(f.column for f in _OFFER_FIELDS)}) "
                f"VALUES {_values_row(_OFFER_FIELDS, parent_column=offer_parent)} RETURNING *)"
            )
            parts.append(f"offer_history AS ({_history_insert(Offer, 'offer')})")
        offer_id = "(SELECT id FROM offer)" if with_offer else "NULL"
        sql = "WITH " + ",\n".join(parts) + f"\nSELECT app.id, {offer_id} FROM app"
        with _statements_lock:
            _statements[key] = sql
    return sql


def _prepared(instance: Model, fields, *, skip_column: str | None = None) -> list:
    return [f.get_db_prep_save(f.pre_save(instance, True), connection) for f in fields if f.column != skip_column]


def _history_user_id(instance: Model) -> int | None:
    """Whom django-simple-history would record: the instance's `_history_user`, else the request's user."""
    user = getattr(instance, "_history_user", None)
    if user is None:
        request = getattr(HistoricalRecords.context, "request", None)
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
    return user.pk


def application_rows_insert(
    application: Application, *, events: list[ApplicationEvent], offer: Offer | None = None
) -> None:
    """Insert the application, its '+' history row, its events, and the offer with its history row."""
    history_date = timezone.now()
    event_parent = ApplicationEvent._meta.get_field("application").column
    offer_parent = Offer._meta.get_field("application").column
    params = [*_prepared(application, _APPLICATION_FIELDS), history_date, _history_user_id(application)]
    for event in events:
        params += _prepared(event, _EVENT_FIELDS, skip_column=event_parent)
    if offer is not None:
        params += _prepared(offer, _OFFER_FIELDS, skip_column=offer_parent)
        params += [history_date, _history_user_id(offer)]
    with connection.cursor() as cursor:
        cursor.execute(_statement(events=len(events), with_offer=offer is not None), params)
        application_id, offer_id = cursor.fetchone()
    _saved(application, application_id)
    for event in events:
        event.application_id = application_id
    if offer is not None:
        offer.application = application
        _saved(offer, offer_id)


def _saved(instance: Model, pk: int) -> None:
    instance.pk = pk
    instance._state.adding = False
    instance._state.db = DEFAULT_DB_ALIAS
