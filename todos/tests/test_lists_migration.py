"""
The lists migration (todos 0005) on data written before it: every user gets
their Inbox, their todos move into it in the order they were made, and a
change feed cursor from before keeps working and hands over the Inbox.
"""

import datetime as dt
import importlib

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from testing.helpers import bearer_client

BEFORE = [("todos", "0004_todo_totals"), ("accounts", "0004_two_factor")]
AFTER = [("todos", "0005_lists")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.fixture
def old_world(transactional_db):
    """Two users with todos, written by the models of before the migration."""
    if connection.vendor != "postgresql":
        # Unapplying migrations on SQLite remakes tables, and Django's SQLite
        # introspection trips over this schema's CHECK constraints.
        pytest.skip("migrations are run backwards and forwards on PostgreSQL")
    apps = migrate(BEFORE)
    User = apps.get_model("accounts", "User")
    Todo = apps.get_model("todos", "Todo")
    SyncState = apps.get_model("todos", "SyncState")
    now = timezone.now()
    users = [
        User.objects.create(email=f"u{n}@example.com", password="!") for n in range(2)
    ]
    ids = {}
    for user in users:
        ids[user.pk] = [
            Todo.objects.create(
                owner=user,
                title=f"t{n}",
                created_at=now - dt.timedelta(minutes=10 - n),
                seq=n + 1,
            ).pk
            for n in range(5)
        ]
        SyncState.objects.create(user=user, seq=5, floor=0, todos=5)
    # The stats summary as it was kept then (per user).
    summary_then = importlib.import_module(
        "todos.migrations.0003_indexes_and_stats_summary"
    )
    summary_then._rebuild(
        models=[
            apps.get_model("todos", name) for name in ("Todo", "TodoTag", "TodoStat")
        ]
    )
    yield users, ids
    migrate(connection_leaf_nodes())


def connection_leaf_nodes():
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()


def test_every_user_gets_an_inbox_holding_their_todos_in_order(old_world):
    users, ids = old_world
    migrate(AFTER)
    migrate(connection_leaf_nodes())  # what today's models read
    from todos.lists import TodoList
    from todos.models import Todo

    for user in users:
        inbox = TodoList.objects.get(owner_id=user.pk, is_default=True)
        assert inbox.name == "Inbox"
        todos = list(Todo.objects.filter(owner_id=user.pk).order_by("position"))
        assert [todo.pk for todo in todos] == ids[user.pk]  # oldest first
        assert {todo.list_id for todo in todos} == {inbox.pk}
        assert {todo.created_by_id for todo in todos} == {user.pk}


def test_the_migrated_books_balance(old_world):
    users, _ = old_world
    migrate(AFTER)
    migrate(connection_leaf_nodes())  # what today's models read
    from todos import summary
    from todos.ledger import SyncState, TodoStat

    # The summary was per user before: it is per list now, the Inbox's.
    before = sorted(
        TodoStat.objects.values_list("owner_id", "list_id", "dimension", "value", "n")
    )
    summary.rebuild()
    after = sorted(
        TodoStat.objects.filter(n__gt=0).values_list(
            "owner_id", "list_id", "dimension", "value", "n"
        )
    )
    assert [row for row in before if row[-1]] == after
    for user in users:
        state = SyncState.objects.get(user_id=user.pk)
        assert state.inbox_id is not None and state.seq == 6


def test_a_cursor_of_before_hands_over_the_inbox_and_later_changes(old_world):
    users, ids = old_world
    from todos.feed import legacy_cursor

    cursor = legacy_cursor(5)  # a client fully synced before the migration
    migrate(connection_leaf_nodes())
    from django.contrib.auth import get_user_model

    client = bearer_client(get_user_model().objects.get(pk=users[0].pk))
    client.patch(f"/api/v1/todos/{ids[users[0].pk][0]}", {"title": "changed"})

    body = client.get("/api/v1/todos/changes", {"cursor": cursor}).json()

    assert [(c["type"], c["op"]) for c in body["changes"]] == [
        ("list", "upsert"),
        ("todo", "upsert"),
    ]
    assert body["changes"][0]["list"]["is_default"] is True
    assert body["changes"][0]["list"]["todo_count"] == 5
