"""
The one query behind every authenticated request: a live session by its key
hash, with its user and the user's sync state (for ETags and the change feed).

Hand-written SQL, because the ORM spent about 0.5 ms of CPU compiling this
select_related() query on every request, seven times what running it costs
(`python -m bench.run`; README, Performance). The SQL is built once from the
models' own fields, and rows become model instances as the ORM makes them:
the database's converters, then Model.from_db().
"""

import functools

from django.db import connection


@functools.cache
def _plan(vendor):
    from accounts.models import Session, User
    from todos.ledger import SyncState

    quote = connection.ops.quote_name
    columns, parts = [], []
    for alias, model in (("s", Session), ("u", User), ("y", SyncState)):
        fields = model._meta.concrete_fields
        first = len(columns)
        converters = []
        for field in fields:
            column = field.get_col(alias)
            found = [
                *connection.ops.get_db_converters(column),
                *column.get_db_converters(connection),
            ]
            if found:
                converters.append((len(columns), found, column))
            columns.append(f"{alias}.{quote(field.column)}")
        attnames = [field.attname for field in fields]
        pk_index = first + attnames.index(model._meta.pk.attname)
        parts.append((model, attnames, first, len(columns), pk_index, converters))
    sql = (
        f"SELECT {', '.join(columns)} "
        f"FROM {quote(Session._meta.db_table)} s "
        f"LEFT JOIN {quote(User._meta.db_table)} u "
        f"ON u.{quote('id')} = s.{quote('user_id')} "
        f"LEFT JOIN {quote(SyncState._meta.db_table)} y "
        f"ON y.{quote('user_id')} = u.{quote('id')} "
        f"WHERE s.{quote('key_hash')} = %s AND s.{quote('expire_date')} > %s"
    )
    return sql, parts


def find_session(key_hash, now):
    """The live session with this key hash (user and sync state attached), or None."""
    from accounts.models import User

    sql, parts = _plan(connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute(sql, [key_hash, connection.ops.adapt_datetimefield_value(now)])
        row = cursor.fetchone()
    if row is None:
        return None
    row = list(row)
    session, user, state = (_instance(row, *part) for part in parts)
    if user is not None:
        session.user = user
        if state is not None:
            user.syncstate = state
        else:
            # As select_related() would: known absent, no query on access.
            User.syncstate.related.set_cached_value(user, None)
    return session


def _instance(row, model, attnames, first, last, pk_index, converters):
    if row[pk_index] is None:  # no such row joined
        return None
    for index, functions, column in converters:
        for convert in functions:
            row[index] = convert(row[index], column, connection)
    return model.from_db(connection.alias, attnames, row[first:last])
