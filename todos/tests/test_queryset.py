import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from testing.helpers import todo_changes
from todos.ledger import TodoTag
from todos.models import Todo
from todos.tags import normalise_tags

pytestmark = pytest.mark.django_db


def test_for_user_scopes_to_the_owner(make_todo, user, other_user):
    mine = make_todo()
    make_todo(owner=other_user)

    assert list(Todo.objects.for_user(user)) == [mine]


def test_tagged_with_all_needs_every_tag(make_todo, user):
    both = make_todo(tags=["a", "b"])
    make_todo(tags=["a"])

    assert list(Todo.objects.for_user(user).tagged_with_all(["a", "b"])) == [both]


def test_save_keeps_the_tag_index_in_step(make_todo):
    todo = make_todo(tags=["A", "b", "a"])
    assert todo.tags == ["a", "b"]
    assert sorted(TodoTag.objects.values_list("name", flat=True)) == ["a", "b"]

    todo.tags = ["b", "c"]
    todo.save()

    rows = TodoTag.objects.filter(todo=todo)
    assert sorted(rows.values_list("name", flat=True)) == ["b", "c"]
    assert {row.owner_id for row in rows} == {todo.owner_id}


def test_overdue_and_not_overdue_partition_the_todos(make_todo, user):
    today = dt.date(2030, 6, 15)
    overdue = make_todo(due_date=dt.date(2030, 6, 14))
    make_todo(due_date=dt.date(2030, 6, 14), completed=True)
    make_todo(due_date=today)
    make_todo()
    todos = Todo.objects.for_user(user)

    assert list(todos.overdue(today)) == [overdue]
    assert todos.not_overdue(today).count() == 3


def test_stats_count_in_the_database(make_todo, user, django_assert_num_queries):
    make_todo(priority=Todo.Priority.HIGH, completed=True, tags=["x"])
    make_todo(priority=Todo.Priority.LOW, tags=["x", "y"])
    user.refresh_from_db()
    assert user.syncstate  # as the session brings it (accounts.sessions)

    with django_assert_num_queries(2):
        stats = Todo.objects.for_user(user).stats(today=dt.date(2030, 1, 1))

    assert stats["by_priority"]["high"] == {"total": 1, "completed": 1}
    assert stats["by_tag"] == {
        "x": {"total": 2, "completed": 1},
        "y": {"total": 1, "completed": 0},
    }


# The base manager's update() writes straight to the table, past every check
# in Python (Todo's own update() refuses: it would skip the ledger).


def test_database_rejects_an_unknown_priority(make_todo):
    todo = make_todo()

    with pytest.raises(IntegrityError):
        Todo._base_manager.filter(pk=todo.pk).update(priority=9)


def test_database_rejects_completed_at_on_an_open_todo(make_todo):
    todo = make_todo(completed=False)

    with pytest.raises(IntegrityError):
        Todo._base_manager.filter(pk=todo.pk).update(
            completed_at=dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
        )


def test_bulk_create_keeps_what_save_keeps(user, auth_client):
    created = Todo.objects.bulk_create(
        [
            Todo(owner=user, title=f" t{i} ", tags=["A", "b"], completed=i % 2 == 0)
            for i in range(4)
        ]
    )

    assert [todo.title for todo in created] == ["t0", "t1", "t2", "t3"]
    assert TodoTag.objects.count() == 8
    assert len({todo.seq for todo in created}) == 4
    assert all(todo.completed_at for todo in created if todo.completed)
    stats = auth_client.get("/api/v1/todos/stats").json()
    assert stats == auth_client.get("/api/v1/todos/stats?search=").json()
    assert stats["by_tag"]["a"] == {"total": 4, "completed": 2}
    changes = todo_changes(auth_client.get("/api/v1/todos/changes").json())
    assert len(changes) == 4


@pytest.mark.parametrize(
    "values, expected",
    [
        ([" Work ", "work", "HOME"], ["work", "home"]),
        ([], []),
        ([f"t{i}" for i in range(10)] * 2, [f"t{i}" for i in range(10)]),
        (["  emoji \U0001f600 ", "Café"], ["emoji \U0001f600", "café"]),
    ],
)
def test_normalise_tags(values, expected):
    assert normalise_tags(values) == expected


@pytest.mark.parametrize(
    "values",
    [
        "a",
        [""],
        ["   "],
        ["a,b"],
        ["x" * 51],
        [1],
        [f"t{i}" for i in range(21)],
        ["a"] * 21,
        ["tab\there"],
        ["nul\x00"],
        ["c1\x85"],
        ["lone \ud800"],
        # 50 characters that lower-case to 100.
        ["\u0130" * 50],
    ],
)
def test_normalise_tags_rejects(values):
    with pytest.raises(ValidationError):
        normalise_tags(values)
