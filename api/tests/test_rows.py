"""api.rows: a whole row makes the instance Django's own from_db() makes."""

import pytest
from django.db import connection, models

from accounts.models import Session
from testing.helpers import token_for
from todos import ledger
from todos.ledger import SyncState
from todos.models import Todo

pytestmark = pytest.mark.django_db


def state_of(instance):
    fields = {key: value for key, value in instance.__dict__.items() if key != "_state"}
    return fields, instance._state.adding, instance._state.db


def djangos_own(model, fast):
    names = [field.attname for field in model._meta.concrete_fields]
    values = [getattr(fast, name) for name in names]
    return models.Model.from_db.__func__(model, connection.alias, names, values)


def test_a_whole_todo_row_reads_as_djangos_from_db_reads_it(make_todo, user):
    parent = make_todo(title="parent", tags=["a", "b"], priority=3)
    make_todo(title="child", parent=parent, due_date="2030-01-02", completed=True)

    for fast in Todo.objects.all():
        generic = djangos_own(Todo, fast)
        ledger.remember(generic)  # as Todo.from_db() does
        assert state_of(fast) == state_of(generic)
        assert fast.list.pk == fast.list_id  # relations still resolve
        assert (fast.parent.pk if fast.parent_id else None) == fast.parent_id


def test_a_session_its_user_and_sync_state_read_as_django_reads_them(user):
    token_for(user)
    ledger.SyncState.objects.advance(user.pk)
    rows = [
        *Session.objects.all(),
        *type(user).objects.all(),
        *SyncState.objects.all(),
    ]

    assert {type(row) for row in rows} == {Session, type(user), SyncState}
    for fast in rows:
        assert state_of(fast) == state_of(djangos_own(type(fast), fast))
    (session,) = Session.objects.all()
    assert session.user == user
    assert not user.check_password("wrong") and session.user.has_usable_password()


def test_a_partial_row_takes_djangos_path(make_todo):
    make_todo(title="x")

    (todo,) = Todo.objects.only("title")

    assert todo.title == "x"
    assert "priority" not in todo.__dict__  # deferred, loaded on access
    assert todo.priority == Todo.Priority.MEDIUM
