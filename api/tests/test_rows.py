"""Todo.from_db()'s fast path makes the todo Django's own from_db() makes."""

import pytest
from django.db import connection, models

from todos.models import Todo

pytestmark = pytest.mark.django_db


def state_of(todo):
    fields = {key: value for key, value in todo.__dict__.items() if key != "_state"}
    return fields, todo._state.adding, todo._state.db


def test_a_whole_row_reads_as_djangos_from_db_reads_it(make_todo, user):
    parent = make_todo(title="parent", tags=["a", "b"], priority=3)
    make_todo(title="child", parent=parent, due_date="2030-01-02", completed=True)
    names = [field.attname for field in Todo._meta.concrete_fields]

    for fast in Todo.objects.all():
        values = [getattr(fast, name) for name in names]
        generic = models.Model.from_db.__func__(Todo, connection.alias, names, values)
        from todos import ledger

        ledger.remember(generic)
        assert state_of(fast) == state_of(generic)
        assert fast.list.pk == fast.list_id  # relations still resolve
        assert (fast.parent.pk if fast.parent_id else None) == fast.parent_id


def test_a_partial_row_takes_djangos_path(make_todo):
    make_todo(title="x")

    (todo,) = Todo.objects.only("title")

    assert todo.title == "x"
    assert "priority" not in todo.__dict__  # deferred, loaded on access
    assert todo.priority == Todo.Priority.MEDIUM
