"""
A model mixin: Model.save() of a new row runs an INSERT compiled once.

Django compiles the INSERT of every new row afresh: for a todo's 25 columns
SQLInsertCompiler took ~1,000 Python calls, a fifth of a create request's
(`python -m bench.calls --only create`), most of them asking of each value
whether it is an expression and how to place it. For plain values the
statement depends only on the table, the columns and what it returns, so
it is compiled by Django once per database and column list, and each save
then only prepares the values as Django does (the field's pre_save(), then
get_db_prep_save()) and runs it. Everything else about save() (signals,
the instance's state, what Django does with the returned id) is Django's,
which still calls _do_insert() as before.

A row holding an expression (an F(), a database default, a function)
goes through Django's own compiler; so does every insert of a backend that
cannot return the new id from the INSERT itself.
api/tests/test_inserts.py holds the statement and its values to Django's.
"""

import functools

from django.db import connections
from django.db.models import sql


class InsertCompiledOnce:
    def _do_insert(self, manager, using, fields, returning_fields, raw):
        values = [
            getattr(self, field.attname) if raw else field.pre_save(self, add=True)
            for field in fields
        ]
        statement = _statement(
            type(self), using, tuple(fields), tuple(returning_fields)
        )
        if statement is None or any(
            hasattr(value, "resolve_expression") for value in values
        ):
            return super()._do_insert(manager, using, fields, returning_fields, raw)
        return statement.run(values, using)


class _Statement:
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
def _statement(model, using, fields, returning_fields):
    """The compiled INSERT, or None where Django's compiler must be used."""
    features = connections[using].features
    if returning_fields and not features.can_return_columns_from_insert:
        return None
    if any(getattr(field, "get_placeholder", None) for field in fields):
        return None  # a column whose placeholder may depend on its value
    statement = _Statement(model, using, fields, returning_fields)
    return statement if statement.plain else None
