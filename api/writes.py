"""
A model mixin: Model.save() writes its row with an INSERT or UPDATE compiled
once.

Django compiles the statement of every save afresh. For a todo's 25
columns SQLInsertCompiler took ~1,000 Python calls, a fifth of a create
request's, and SQLUpdateCompiler ~750 of a move's (`python -m bench.calls
--only create,move`), most of them asking of each value whether it is an
expression and how to place it. For plain values a statement depends only
on the table, the columns, which of them are NULL (an UPDATE writes NULL
into its SQL) and what it returns. So Django compiles it the first time,
and every later save only prepares the values as Django does (the field's
pre_save(), then get_db_prep_save()) and runs it. Everything else about
save() (signals, the instance's state, what it does with the returned id
and the count of updated rows) is Django's, which calls _do_insert() and
_do_update() as before.

A row holding an expression (an F(), a database default, a function), a
column whose placeholder depends on its value (get_placeholder()), a model
that selects on save, a backend that cannot return the new id from the
INSERT: all go through Django's own compiler.
api/tests/test_writes.py holds the statements and their values to Django's.
"""

import functools

from django.db import connections
from django.db.models import sql


class WritesCompiledOnce:
    def _do_insert(self, manager, using, fields, returning_fields, raw):
        values = [
            getattr(self, field.attname) if raw else field.pre_save(self, add=True)
            for field in fields
        ]
        statement = _insert(type(self), using, tuple(fields), tuple(returning_fields))
        if statement is None or _any_expression(values):
            return super()._do_insert(manager, using, fields, returning_fields, raw)
        return statement.run(values, using)

    def _do_update(self, base_qs, using, pk_val, values, update_fields, forced_update):
        if (
            not values
            or (self._meta.select_on_save and not forced_update)
            or _any_expression(value for _, _, value in values)
        ):
            return super()._do_update(
                base_qs, using, pk_val, values, update_fields, forced_update
            )
        connection = connections[using]
        prepared = [
            field.get_db_prep_save(value, connection=connection)
            for field, _, value in values
        ]
        fields = tuple(field for field, _, _ in values)
        nulls = tuple(value is None for value in prepared)
        statement = _update(type(self), using, fields, nulls)
        if statement is None:
            statement = _Update(base_qs, pk_val, values, nulls)
            if not statement.plain:
                return super()._do_update(
                    base_qs, using, pk_val, values, update_fields, forced_update
                )
            _remember_update(type(self), using, fields, nulls, statement)
        return statement.run(prepared, pk_val, using) > 0


def _any_expression(values):
    return any(
        hasattr(value, "resolve_expression") or hasattr(value, "prepare_database_save")
        for value in values
    )


# --- INSERT ------------------------------------------------------------------


class _Insert:
    def __init__(self, model, using, fields, returning_fields):
        # Compiled from a row of plain NULLs: one "%s" per column.
        row = model.__new__(model)
        row.__dict__.update((field.attname, None) for field in fields)
        query = sql.InsertQuery(model)
        query.insert_values(fields, [row], raw=True)
        compiler = query.get_compiler(using=using)
        compiler.returning_fields = returning_fields
        [(self.sql, params)] = compiler.as_sql()
        self.fields = fields
        self.returning_params = compiler.returning_params
        self.plain = len(params) == len(fields) + len(self.returning_params)
        self.converters = [
            (position, functions, column)
            for position, (functions, column) in compiler.get_converters(
                [field.get_col(model._meta.db_table) for field in returning_fields]
            ).items()
        ]
        self.returns = bool(returning_fields)

    def run(self, values, using):
        connection = connections[using]
        params = [
            field.get_db_prep_save(value, connection=connection)
            for field, value in zip(self.fields, values, strict=True)
        ]
        with connection.cursor() as cursor:
            cursor.execute(self.sql, [*params, *self.returning_params])
            if not self.returns:
                return []
            row = list(
                connection.ops.fetch_returned_insert_columns(
                    cursor, self.returning_params
                )
            )
        for position, functions, column in self.converters:
            for convert in functions:
                row[position] = convert(row[position], column, connection)
        return [tuple(row)]


@functools.cache
def _insert(model, using, fields, returning_fields):
    """The compiled INSERT, or None where Django's compiler must be used."""
    if (
        returning_fields
        and not connections[using].features.can_return_columns_from_insert
    ):
        return None
    if any(getattr(field, "get_placeholder", None) for field in fields):
        return None  # a column whose placeholder may depend on its value
    statement = _Insert(model, using, fields, returning_fields)
    return statement if statement.plain else None


# --- UPDATE ------------------------------------------------------------------


class _Update:
    """
    Compiled by Django from the first row saved in its shape (its SQL holds
    no value but NULLs, which the shape fixes): the values take the place
    of that row's, and the id that of the WHERE's one parameter, in the
    type Django's lookup gave it.
    """

    def __init__(self, base_qs, pk_val, values, nulls):
        query = base_qs.filter(pk=pk_val).query.chain(sql.UpdateQuery)
        query.add_update_fields(values)
        compiler = query.get_compiler(base_qs.db)
        self.sql, params = compiler.as_sql()
        self.plain = (
            not query.related_updates
            and not any(
                getattr(field, "get_placeholder", None) for field, _, _ in values
            )
            and len(params) == nulls.count(False) + 1
        )
        self.id_type = type(params[-1]) if params else int

    def run(self, prepared, pk_val, using):
        params = [value for value in prepared if value is not None]
        params.append(self.id_type(pk_val))
        with connections[using].cursor() as cursor:
            cursor.execute(self.sql, params)
            return cursor.rowcount


# The compiled UPDATEs, by model, database, columns and which are NULL: a
# few shapes in use (a PATCH's fields, a whole row), though in principle
# as many as subsets of nullable columns; past this many they are forgotten
# and compiled again.
UPDATES_KEPT = 512
_updates = {}


def _update(model, using, fields, nulls):
    return _updates.get((model, using, fields, nulls))


def _remember_update(model, using, fields, nulls, statement):
    if len(_updates) >= UPDATES_KEPT:
        _updates.clear()
    _updates[(model, using, fields, nulls)] = statement
