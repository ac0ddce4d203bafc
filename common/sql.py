"""Hand-written SELECTs read back into model instances, for the few statements a hot path runs per request.

The ORM compiles a query anew on every call; on the application API that compilation cost more CPU than
PostgreSQL's work. A statement whose text is built once from `_meta` (`select_list`) and whose row is
turned into instances exactly as the ORM does it (`instance_from_row`) keeps the models the source of truth.
"""

from django.db import DEFAULT_DB_ALIAS, connections


def select_list(model, alias: str) -> str:
    """The model's columns, in `_meta` order, for a hand-written SELECT (`instance_from_row` reads them back)."""
    quote = connections[DEFAULT_DB_ALIAS].ops.quote_name
    return ", ".join(f"{alias}.{quote(f.column)}" for f in model._meta.concrete_fields)


def instance_from_row(model, values, using: str = DEFAULT_DB_ALIAS):
    """A model instance from the columns of `select_list`, as the ORM builds it (field converters applied,
    e.g. JSON decoded)."""
    connection = connections[using]
    fields = model._meta.concrete_fields
    converted = []
    for field, value in zip(fields, values, strict=True):
        for converter in connection.ops.get_db_converters(field) + field.get_db_converters(connection):
            value = converter(value, field, connection)
        converted.append(value)
    return model.from_db(using, [f.attname for f in fields], converted)
