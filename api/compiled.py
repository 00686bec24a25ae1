"""
Querysets compiled once per shape and run many times with new ids.

Django builds a queryset and compiles its SQL on every evaluation. For a page
of todos that cost more CPU than running the query and making its rows into
todos: SQLCompiler.as_sql() alone was 21% of a list request's Python time
(`python -m bench.run --only list --profile` with `BENCH_PROFILE_ARGS=--gil`;
README, Performance). Django has no cache of compiled queries, so this is
one: a Plan compiles a queryset built with placeholder ids (Plan.arg(n))
and strings (Plan.text(n)) once, notes where they landed among the SQL's
parameters, and from then on only puts the request's values there and
appends the slice. Its rows become
instances as Django's ModelIterable makes them: the database's converters,
then Model.from_db().

For querysets of whole rows (and annotations), or of values_list(), whose
SQL depends on nothing but their shape and those ids (no expression
evaluated per request, no select_related());
a caller's test pins each of its plans to the ORM's own answer.
"""

from django.db import connections
from django.db.models.query import ModelIterable, ValuesListIterable

# Placeholder ids: far above any id or constant of this project, below 2**63
# so every database takes them.
_PLACEHOLDER_BASE = 7_000_000_000_000_000_000


# Placeholder strings, marked by a control character. A parameter is taken
# for one only if it is the whole placeholder, so a plan must not be built
# from request text that could be one whole: the filter plans' only free
# text, `search`, reaches the query inside a LIKE pattern, and tags refuse
# control characters (todos.tags). A placeholder taken into a pattern is not
# found either, and the caller's test fails.
_TEXT_PLACEHOLDER = "\x1eplan text "


def _placeholder_number(value):
    if isinstance(value, str):
        if value.startswith(_TEXT_PLACEHOLDER) and value.endswith("\x1e"):
            return int(value[len(_TEXT_PLACEHOLDER) : -1])
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value - _PLACEHOLDER_BASE if value >= _PLACEHOLDER_BASE else None
    return None


class Plan:
    def __init__(self, queryset):
        model = queryset.model
        compiler = queryset.query.get_compiler(queryset.db)
        sql, params = compiler.as_sql()
        # Instances (whole rows, then any annotations, which ModelIterable
        # sets as attributes), or the tuples of values_list().
        self.instances = queryset._iterable_class is ModelIterable
        whole = [field.attname for field in model._meta.concrete_fields]
        columns = compiler.select[: len(whole)]
        attnames = [
            getattr(getattr(column, "target", None), "attname", None)
            for column, _, _ in columns
        ]
        self.annotations = (
            list(compiler.annotation_col_map.items()) if self.instances else []
        )
        if not (
            (
                self.instances
                and attnames == whole
                and compiler.klass_info["select_fields"] == list(range(len(whole)))
                and len(compiler.select) == len(whole) + len(self.annotations)
            )
            or queryset._iterable_class is ValuesListIterable
        ):
            raise ValueError("A plan reads whole rows of its model, or values_list().")
        self.model = model
        self.alias = queryset.db
        self.sql = sql
        self.params = list(params)
        # Where each placeholder landed, and the type the backend gave it
        # (int, or on PostgreSQL an Int8 for a bigint column; str).
        self.slots = [
            (index, number, type(value))
            for index, value in enumerate(self.params)
            if (number := _placeholder_number(value)) is not None
        ]
        self.attnames = attnames
        self.converters = [
            (position, functions, column)
            for position, (functions, column) in compiler.get_converters(
                [column for column, _, _ in compiler.select]
            ).items()
        ]

    @staticmethod
    def arg(number):
        """The placeholder of the plan's `number`th argument (from 0), an id."""
        return _PLACEHOLDER_BASE + number

    @staticmethod
    def text(number):
        """The placeholder of the plan's `number`th argument, a string."""
        return f"{_TEXT_PLACEHOLDER}{number}\x1e"

    def sql_for(self, low=0, high=None):
        """The SQL of the rows [low:high], as the ORM would slice it."""
        if not low and high is None:
            return self.sql
        ops = connections[self.alias].ops
        return f"{self.sql} {ops.limit_offset_sql(low, high)}"

    def params_for(self, *ids):
        """The SQL's parameters, with these ids in the placeholders' places."""
        params = self.params.copy()
        for index, number, kind in self.slots:
            params[index] = kind(ids[number])
        return params

    def fetch(self, *ids, low=0, high=None):
        """
        The instances (or values_list() tuples) of rows [low:high] for these
        ids, in the query's order.
        """
        connection = connections[self.alias]
        with connection.cursor() as cursor:
            cursor.execute(self.sql_for(low, high), self.params_for(*ids))
            rows = cursor.fetchall()
        if self.converters:
            rows = [self._convert(list(row), connection) for row in rows]
        if not self.instances:
            return [tuple(row) for row in rows]
        from_db, alias, attnames = self.model.from_db, self.alias, self.attnames
        if not self.annotations:
            return [from_db(alias, attnames, row) for row in rows]
        instances, width = [], len(attnames)
        for row in rows:
            instance = from_db(alias, attnames, row[:width])
            for name, position in self.annotations:
                setattr(instance, name, row[position])
            instances.append(instance)
        return instances

    def count(self, *ids):
        """
        How many rows the plan reads for these ids: its query counted as
        Django counts one it cannot count in place, from a subquery (the
        planners of PostgreSQL and SQLite pull it up into a plain COUNT).
        Plan a values_list("pk") without ordering for it.
        """
        with connections[self.alias].cursor() as cursor:
            cursor.execute(
                f"SELECT COUNT(*) FROM ({self.sql}) counted", self.params_for(*ids)
            )
            return cursor.fetchone()[0]

    def _convert(self, row, connection):
        for position, functions, column in self.converters:
            value = row[position]
            for convert in functions:
                value = convert(value, column, connection)
            row[position] = value
        return row


class Slices:
    """
    A plan's rows as a Django Paginator takes them: count() either known (no
    query) or counted by a second plan, and each slice, a page, one run of
    the plan.
    """

    def __init__(self, plan, ids, count=None, counting=None):
        if (count is None) == (counting is None):
            raise TypeError("Slices take a count or a plan counting the rows.")
        self.plan, self.ids, self._count, self.counting = plan, ids, count, counting

    def count(self):
        if self._count is None:
            self._count = self.counting.count(*self.ids)
        return self._count

    def __getitem__(self, index):
        if not isinstance(index, slice) or index.step is not None:
            raise TypeError("Slices take a slice without a step.")
        low, high = index.start or 0, index.stop
        if high is not None and high <= low:
            return []  # as the ORM answers an empty slice: without a query
        return self.plan.fetch(*self.ids, low=low, high=high)
