"""
Every way of writing todos keeps the ledger's bookkeeping (todos.ledger):
after writes through each path, the maintained todo count, stats summary, tag
index and change feed equal what a fresh computation from the todos gives.
"""

import datetime as dt
import random
from collections import Counter

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from testing.helpers import todo_changes
from todos import ledger, summary
from todos.ledger import SyncState, TodoStat, TodoTag
from todos.models import Todo

pytestmark = pytest.mark.django_db

User = get_user_model()
TAGS = ["work", "home", "urgent", "errands"]


def random_fields(rng, today):
    fields = {"title": f"t{rng.randint(0, 999)}"}
    if rng.random() < 0.7:
        fields["priority"] = rng.choice(["low", "medium", "high"])
    if rng.random() < 0.7:
        fields["due_date"] = rng.choice(
            [None, str(today), str(today + dt.timedelta(days=rng.randint(-5, 5)))]
        )
    if rng.random() < 0.5:
        fields["completed"] = rng.random() < 0.5
    if rng.random() < 0.6:
        fields["tags"] = rng.sample(TAGS, k=rng.randint(0, 3))
    return fields


def assert_books_balance(owner, client=None):
    """The maintained bookkeeping of `owner` equals a fresh computation."""
    todos = list(Todo.objects.for_user(owner))
    state = SyncState.objects.get(user=owner)
    # The todo count behind an unfiltered list's `count`.
    assert state.todos == len(todos)
    # The tag index.
    indexed = Counter(TodoTag.objects.filter(owner=owner).values_list("todo", "name"))
    assert indexed == Counter((todo.pk, tag) for todo in todos for tag in todo.tags)
    # The stats summary, against a rebuild from the todos themselves.
    maintained = {
        (row.dimension, row.value, row.completed): row.n
        for row in TodoStat.objects.filter(owner=owner, n__gt=0)
    }
    summary.rebuild(owner_ids=[owner.pk])
    rebuilt = {
        (row.dimension, row.value, row.completed): row.n
        for row in TodoStat.objects.filter(owner=owner)
    }
    assert maintained == rebuilt
    # Change numbers: one per todo, none past the owner's latest.
    numbers = [todo.seq for todo in todos]
    assert len(set(numbers)) == len(numbers)
    assert all(0 < number <= state.seq for number in numbers)
    if client is not None:
        assert_feed_replays_to(client, todos)


def assert_feed_replays_to(client, todos):
    """Replaying the change feed from the start gives exactly these todos."""
    replica, cursor = {}, None
    while True:
        params = {"limit": 1000, **({"cursor": cursor} if cursor else {})}
        page = client.get("/api/v1/todos/changes", params).json()
        for change in todo_changes(page):
            if change["op"] == "upsert":
                replica[change["todo"]["id"]] = change["todo"]["updated_at"]
            else:
                replica.pop(change["id"], None)
        cursor = page["cursor"]
        if not page["has_more"]:
            break
    assert set(replica) == {todo.pk for todo in todos}
    listed = client.get("/api/v1/todos", {"page_size": 100}).json()
    assert listed["count"] == len(todos)


@pytest.fixture
def admin_client(client):
    admin = User.objects.create_superuser(email="admin@example.com", password="x")
    client.force_login(admin)
    return client


def admin_form(owner, **fields):
    return {
        "owner": owner.pk,
        "title": "from the admin",
        "description": "",
        "priority": 2,
        "due_date": "",
        "recurrence_basis": "due",
        "tags": '["Admin", "work"]',
        **fields,
    }


def test_every_write_path_keeps_the_books(auth_client, user, admin_client):
    rng = random.Random(11)
    today = user.today()
    ids = []

    # The API: create, PUT, PATCH, DELETE.
    for _ in range(12):
        ids.append(
            auth_client.post("/api/v1/todos", random_fields(rng, today)).json()["id"]
        )
    for todo_id in ids[:4]:
        auth_client.put(f"/api/v1/todos/{todo_id}", random_fields(rng, today))
    for todo_id in ids[4:8]:
        auth_client.patch(f"/api/v1/todos/{todo_id}", random_fields(rng, today))
    auth_client.delete(f"/api/v1/todos/{ids.pop()}")
    assert_books_balance(user, auth_client)

    # Bulk, non-atomic with a failure among them, then atomic (applied, and
    # rolled back by a failure).
    for atomic, fail in ((False, True), (True, False), (True, True)):
        operations = [
            {"op": "create", "data": random_fields(rng, today)},
            {"op": "update", "id": ids[0], "data": random_fields(rng, today)},
            {"op": "delete", "id": ids[-1]},
        ]
        if fail:
            operations.append({"op": "update", "id": 10**12, "data": {}})
        results = auth_client.post(
            "/api/v1/todos/bulk",
            {"operations": operations, "atomic": atomic},
            format="json",
        ).json()["results"]
        if not (atomic and fail):
            ids.pop()
            ids.append(results[0]["todo"]["id"])
        assert_books_balance(user, auth_client)

    # The admin: add, change, delete one, delete selected.
    assert (
        admin_client.post("/admin/todos/todo/add/", admin_form(user)).status_code == 302
    )
    assert (
        admin_client.post(
            f"/admin/todos/todo/{ids[1]}/change/",
            admin_form(user, title="changed", priority=3, tags='["home"]'),
        ).status_code
        == 302
    )
    assert (
        admin_client.post(
            f"/admin/todos/todo/{ids[2]}/delete/", {"post": "yes"}
        ).status_code
        == 302
    )
    selected = {
        "action": "delete_selected",
        "_selected_action": ids[3:5],
        "post": "yes",
    }
    assert admin_client.post("/admin/todos/todo/", selected).status_code == 302
    assert_books_balance(user, auth_client)

    # Model and QuerySet calls, as a shell or a management command makes them.
    todo = Todo.objects.create(owner=user, title="shell", tags=["x"], completed=True)
    todo.priority = Todo.Priority.HIGH
    todo.save(update_fields=["priority"])
    Todo.objects.get(pk=ids[5]).delete()
    Todo.objects.bulk_create(
        [Todo(owner=user, title=f"bulk {i}", tags=["y", "z"]) for i in range(3)]
    )
    Todo.objects.filter(owner=user, title__startswith="bulk").exclude(
        title="bulk 0"
    ).delete()
    assert_books_balance(user, auth_client)


def test_seed_keeps_the_books(user):
    call_command("seed", "--users", "3", "--todos", "30", "--seed", "2", stdout=None)

    for owner in User.objects.filter(todos__isnull=False).distinct():
        assert_books_balance(owner)


def test_queryset_delete_across_owners_keeps_each_owners_books(
    make_todo, user, other_user
):
    for index in range(6):
        make_todo(owner=(user, other_user)[index % 2], tags=["a"], title=f"t{index}")

    deleted, _ = Todo.objects.filter(title__in=["t0", "t1", "t2"]).delete()

    assert deleted == 3 + 3  # the todos and their tag rows
    assert_books_balance(user)
    assert_books_balance(other_user)


def test_update_refuses_to_skip_the_books(make_todo):
    make_todo()

    with pytest.raises(TypeError, match="ledger"):
        Todo.objects.update(priority=Todo.Priority.HIGH)


def test_a_book_corrects_a_wrong_growth_hint(user):
    with ledger.writing(user.pk, changes=1, growth=0) as book:
        book.save(Todo(owner=user, title="counted anyway"))

    assert_books_balance(user)


def test_a_book_takes_more_numbers_than_it_reserved(user):
    before = SyncState.objects.get(user=user).seq  # the Inbox took one
    with ledger.writing(user.pk, changes=1, growth=3) as book:
        for index in range(3):
            book.save(Todo(owner=user, title=f"t{index}"))

    assert_books_balance(user)
    assert SyncState.objects.get(user=user).seq == before + 3
