"""Bulk writes: COPY on PostgreSQL, ``bulk_create`` elsewhere.

Django's ``bulk_create`` on PostgreSQL builds one large parameterised INSERT (array
quoting of every JSON and text value in Python); for tens of thousands of rows the binary
COPY protocol is several times faster. Primary keys are drawn from the table's sequence up
front so the caller can link child rows (claim lines to claims) without reading back.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, TypeVar

from django.db import connection, models

M = TypeVar("M", bound=models.Model)


def _db_value(field: models.Field, obj: models.Model) -> Any:  # type: ignore[type-arg]
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return field.pre_save(obj, add=True)
    value = getattr(obj, field.attname)
    # psycopg adapts these natively; skipping Django's per-value preparation is most of the
    # speed-up. Fields with their own conversion (EncryptedTextField) still go through it.
    if (value is None or isinstance(value, str | int | bool | Decimal | dt.date)) and not hasattr(
        field, "from_db_value"
    ):
        return value
    if isinstance(field, models.JSONField):
        return json.dumps(value, ensure_ascii=False, default=str)
    return field.get_db_prep_save(value, connection)


def copy_insert(objs: Sequence[M], *, assign_pks: bool = False) -> Sequence[M]:
    """Insert model instances of one model in bulk; with ``assign_pks`` each gets its id."""
    if not objs:
        return objs
    model = type(objs[0])
    if connection.vendor != "postgresql":
        return model.objects.bulk_create(objs, batch_size=1000)  # type: ignore[attr-defined,no-any-return]
    meta = model._meta
    table = meta.db_table
    with connection.cursor() as cursor:
        if assign_pks:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [table, meta.pk.column, len(objs)],
            )
            for obj, (pk,) in zip(objs, cursor.fetchall(), strict=True):
                obj.pk = pk
        fields = [f for f in meta.concrete_fields if not (f.primary_key and not assign_pks)]
        columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
        with cursor.cursor.copy(f"COPY {connection.ops.quote_name(table)} ({columns}) FROM STDIN") as copy:
            for obj in objs:
                copy.write_row([_db_value(f, obj) for f in fields])
    for obj in objs:
        obj._state.adding = False
        obj._state.db = connection.alias
    return objs
