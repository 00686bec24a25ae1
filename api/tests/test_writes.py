"""
A todo's INSERT and UPDATE, compiled once (api.writes), are Django's: the
same statements and the same values, for todos of every kind of field and
every shape of update; a value Django would compile (an expression) still
goes through Django.
"""

import datetime as dt

import pytest
from django.db import DatabaseError, connection
from django.db.models import Value
from django.db.models import sql as models_sql
from django.db.models.functions import Upper
from django.utils import timezone

from todos.models import Todo

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2030, 5, 6, 7, 8, 9, 123456, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def frozen_now(monkeypatch):
    # auto_now columns take the time as each path prepares its values.
    monkeypatch.setattr(timezone, "now", lambda: NOW)


KINDS = [
    {"title": "plain"},
    {"title": "tagged", "tags": ["a", "b"], "priority": 3, "description": "d"},
    {
        "title": "timed",
        "due_date": dt.date(2030, 3, 30),
        "due_time": dt.time(9, 15),
        "due_timezone": "Europe/Paris",
        "due_at": dt.datetime(2030, 3, 30, 7, 15, tzinfo=dt.UTC),
        "reminders": [{"before": "PT15M"}],
        "recurrence": "FREQ=WEEKLY",
    },
    {"title": "done", "completed": True, "completed_at": NOW},
]


def new_todo(template, **fields):
    """A new todo in `template`'s list, as the ledger would insert it."""
    return Todo(
        owner_id=template.owner_id,
        list_id=template.list_id,
        created_by_id=template.owner_id,
        seq=template.seq + 1,
        position=template.position + "x",
        **fields,
    )


def insert_arguments():
    meta = Todo._meta
    fields = [
        field
        for field in meta.local_concrete_fields
        if not field.generated and field is not meta.auto_field
    ]
    return fields, meta.db_returning_fields


def comparable(statement):
    # psycopg's JSON wrappers do not compare by value.
    sql, params = statement
    return sql, [
        (type(param).__name__, param.obj) if hasattr(param, "obj") else param
        for param in params
    ]


def djangos_statement(todo, fields, returning):
    query = models_sql.InsertQuery(Todo)
    query.insert_values(fields, [todo])
    compiler = query.get_compiler(connection.alias)
    compiler.returning_fields = returning
    [(sql, params)] = compiler.as_sql()
    return sql, list(params)


@pytest.mark.parametrize("fields", KINDS, ids=[kind["title"] for kind in KINDS])
def test_the_insert_is_djangos(make_todo, fields):
    template = make_todo(title="template")
    todo = new_todo(template, **fields)
    columns, returning = insert_arguments()
    expected = djangos_statement(todo, columns, returning)
    ran = []

    def capture(execute, sql, params, many, context):
        ran.append((sql, list(params)))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(capture):
        [(pk,)] = todo._do_insert(
            Todo._base_manager, connection.alias, columns, returning, False
        )

    assert [comparable(statement) for statement in ran] == [comparable(expected)]
    stored = Todo.objects.values().get(pk=pk)
    assert stored["title"] == fields["title"] and stored["updated_at"] == NOW


def test_a_saved_todo_reads_back_as_saved(make_todo):
    template = make_todo(title="template")
    todo = new_todo(template, **KINDS[2])

    todo.save()

    stored = Todo.objects.get(pk=todo.pk)
    assert not todo._state.adding and todo._state.db == connection.alias
    for field in Todo._meta.concrete_fields:
        assert getattr(stored, field.attname) == getattr(todo, field.attname), field


def test_an_expression_goes_through_djangos_compiler(make_todo):
    template = make_todo(title="template")
    todo = new_todo(template, title="loud", description=Upper(Value("shout")))
    columns, returning = insert_arguments()

    [(pk,)] = todo._do_insert(
        Todo._base_manager, connection.alias, columns, returning, False
    )

    assert Todo.objects.values_list("description", flat=True).get(pk=pk) == "SHOUT"


def djangos_update(todo, values):
    query = Todo._base_manager.filter(pk=todo.pk).query.chain(models_sql.UpdateQuery)
    query.add_update_fields(values)
    sql, params = query.get_compiler(connection.alias).as_sql()
    return sql, list(params)


def update_values(todo, names=None):
    """What Model._save_table() hands _do_update(): (field, None, value)."""
    return [
        (field, None, field.pre_save(todo, False))
        for field in Todo._meta.local_concrete_fields
        if not field.primary_key
        and (names is None or field.name in names or field.attname in names)
    ]


UPDATES = [
    ({"title": "renamed"}, None),
    ({"title": "renamed", "description": None, "due_date": None}, None),
    ({"completed": True, "completed_at": NOW}, {"completed", "completed_at"}),
    ({"due_date": dt.date(2031, 1, 1), "reminders": []}, {"due_date", "reminders"}),
    ({"tags": ["x"], "priority": 1}, {"tags", "priority", "seq", "updated_at"}),
]


@pytest.mark.parametrize(("changes", "names"), UPDATES)
def test_the_update_is_djangos(make_todo, changes, names):
    todo = make_todo(title="before", tags=["a"], due_date=dt.date(2030, 1, 1))
    for name, value in changes.items():
        setattr(todo, name, value)
    values = update_values(todo, names)
    expected = djangos_update(todo, values)
    ran = []

    def capture(execute, sql, params, many, context):
        ran.append((sql, list(params)))
        return execute(sql, params, many, context)

    for _ in range(2):  # compiled, then reused
        ran.clear()
        with connection.execute_wrapper(capture):
            updated = todo._do_update(
                Todo._base_manager.using(connection.alias),
                connection.alias,
                todo.pk,
                values,
                names,
                names is not None,
            )
        assert updated is True
        assert [comparable(statement) for statement in ran] == [comparable(expected)]
    stored = Todo.objects.get(pk=todo.pk)
    for name, value in changes.items():
        assert getattr(stored, name) == value


def test_an_update_of_a_row_gone_updates_nothing(make_todo):
    todo = make_todo(title="going")
    Todo._base_manager.filter(pk=todo.pk)._raw_delete(connection.alias)
    todo.title = "gone"

    with pytest.raises(DatabaseError, match="did not affect any rows"):
        models_save(todo, update_fields=["title"])


def test_an_expression_in_an_update_goes_through_djangos_compiler(make_todo):
    todo = make_todo(title="quiet")
    todo.description = Upper(Value("shout"))

    models_save(todo, update_fields=["description"])

    assert Todo.objects.values_list("description", flat=True).get(pk=todo.pk) == (
        "SHOUT"
    )


def models_save(todo, **kwargs):
    """Model.save() itself, without the ledger's bookkeeping around it."""
    from django.db import models

    models.Model.save(todo, **kwargs)
