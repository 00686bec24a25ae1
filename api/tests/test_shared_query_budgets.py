"""
Query budgets for a member of shared lists (see test_query_budgets.py):
fixed whatever the number of members, lists and todos, and what each query
is for.
"""

import pytest
from rest_framework.test import APIClient

from api.tests.test_query_budgets import BEGIN, COMMIT, RATE, SESSION, queries_of
from testing.helpers import token_for
from todos import ledger, sharing
from todos.lists import Invitation, TodoList
from todos.models import Todo

pytestmark = pytest.mark.django_db(transaction=True)

VERSION = "SELECT todos_syncstate"  # each owner's latest change: the ETag


def shared_world(make_user, user, members, lists):
    """`lists` lists of the user's, each shared with `members` editors."""
    people = [
        make_user(f"m{n}@example.com", email_verified=True) for n in range(members)
    ]
    for n in range(lists):
        with ledger.writing(user.pk) as book:
            todo_list = book.create_list(TodoList(owner=user, name=f"L{n}"))
        Todo.objects.bulk_create(
            [Todo(owner=user, list=todo_list, title=f"t{n}.{i}") for i in range(30)]
        )
        for person in people:
            with ledger.writing(user.pk) as book:
                invitation = sharing.invite(
                    book, todo_list, person.email, "editor", user, "http://x"
                )
            sharing.accept(person, Invitation.objects.get(pk=invitation.pk))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(people[0])}")
    client.get("/api/v1/auth/me")
    return client, people[0]


@pytest.fixture(params=[(2, 2), (6, 5)], ids=["few", "many"])
def member(request, make_user, user):
    members, lists = request.param
    return shared_world(make_user, user, members, lists)


def a_shared_todo(client):
    return next(
        todo
        for todo in client.get("/api/v1/todos").json()["results"]
        if todo["list"] != client.get("/api/v1/lists").json()["results"][0]["id"]
    )


def test_a_members_list_budget(member):
    client, _ = member
    queries, _ = queries_of(client, "get", "/api/v1/todos?page_size=50")

    # The version of what they see (ETag), the count, the page, the people
    # it names (its creators: the list's owner).
    assert queries == [
        SESSION,
        RATE,
        VERSION,
        "COUNT todos_todo",
        "SELECT todos_todo",
        "SELECT accounts_user",
    ]


def test_a_members_conditional_list_budget(member):
    client, _ = member
    etag = client.get("/api/v1/todos")["ETag"]

    queries, response = queries_of(
        client, "get", "/api/v1/todos", HTTP_IF_NONE_MATCH=etag
    )

    assert response.status_code == 304
    assert queries == [SESSION, RATE, VERSION]


def test_a_members_stats_budget(member):
    client, _ = member
    queries, _ = queries_of(client, "get", "/api/v1/todos/stats")

    assert queries == [SESSION, RATE, VERSION, "SELECT todos_todostat"]


def test_a_members_detail_budget(member):
    client, _ = member
    todo = a_shared_todo(client)

    queries, _ = queries_of(client, "get", f"/api/v1/todos/{todo['id']}")

    # The todo, and the people it names (its creator, another member).
    assert queries == [SESSION, RATE, "SELECT todos_todo", "SELECT accounts_user"]


def test_a_members_create_budget(member):
    client, _ = member
    list_id = a_shared_todo(client)["list"]

    queries, _ = queries_of(
        client, "post", "/api/v1/todos", {"title": "x", "list": list_id}
    )

    # The list's owner (whose books it goes in), their write lock, the
    # caller's role there, the todo, its stats.
    assert queries == [
        SESSION,
        RATE,
        "SELECT todos_todolist",
        BEGIN,
        "INSERT todos_syncstate",
        "SELECT todos_membership",
        "INSERT todos_todo",
        "INSERT todos_todostat",
        COMMIT,
    ]


def test_a_members_patch_budget(member):
    client, _ = member
    todo = a_shared_todo(client)

    queries, _ = queries_of(
        client, "patch", f"/api/v1/todos/{todo['id']}", {"completed": True}
    )

    # The todo's owner, their write lock, the todo, the caller's role, the
    # update, its completion, the stats, the people it names.
    assert queries == [
        SESSION,
        RATE,
        "SELECT todos_todo",
        BEGIN,
        "INSERT todos_syncstate",
        "SELECT todos_todo",
        "SELECT todos_membership",
        "UPDATE todos_todo",
        "INSERT todos_completion",
        "INSERT todos_todostat",
        COMMIT,
        "SELECT accounts_user",
    ]


def test_a_members_move_budget(member):
    client, _ = member
    todo = a_shared_todo(client)
    ids = client.get(f"/api/v1/todos?list={todo['list']}").json()["results"]
    other = next(item["id"] for item in ids if item["id"] != todo["id"])

    queries, response = queries_of(
        client, "post", f"/api/v1/todos/{todo['id']}/move", {"after": other}
    )

    # The todo's owner, their write lock, the todo, the caller's role, the
    # sibling it goes after, the next one's position, the update, the people.
    assert response.status_code == 200
    assert queries == [
        SESSION,
        RATE,
        "SELECT todos_todo",
        BEGIN,
        "INSERT todos_syncstate",
        "SELECT todos_todo",
        "SELECT todos_membership",
        "SELECT todos_todo",
        "SELECT todos_todo",
        "UPDATE todos_todo",
        COMMIT,
        "SELECT accounts_user",
    ]


def test_a_members_feed_budget(member):
    client, _ = member
    cursor = client.get("/api/v1/todos/changes").json()["cursor"]
    todo = a_shared_todo(client)
    client.patch(f"/api/v1/todos/{todo['id']}", {"title": "changed"})

    queries, _ = queries_of(client, "get", f"/api/v1/todos/changes?cursor={cursor}")

    # The lists seen with their owners' latest numbers (one reading), the
    # todos, the tombstones (labelled by their EXISTS on todos), the lists
    # changed or touched, the people named.
    assert queries == [
        SESSION,
        RATE,
        "SELECT todos_membership",
        "SELECT todos_todo",
        "SELECT todos_todo",
        "SELECT todos_membership",
        "SELECT accounts_user",
    ]
