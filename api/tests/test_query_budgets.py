"""
Query budgets per request, authentication included, outside any test
transaction (so no SAVEPOINTs are counted: what production runs).

Each budget lists the queries it expects; BEGIN and COMMIT are counted too
(they are round trips). Without REDIS_URL (as here) the
rate-limit counter is a database upsert; with Redis it is not a query, and
every budget below is one lower. No budget grows with the number of rows.
"""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from testing.helpers import token_for

pytestmark = pytest.mark.django_db(transaction=True)

SESSION = "SELECT accounts_session"  # + user + sync state, joined
RATE = "INSERT accounts_ratelimitcounter"  # the per-user limit's counter
BEGIN, COMMIT = "BEGIN", "COMMIT"


def label(sql):
    """`VERB table` of a query: enough to tell the queries apart."""
    verb = sql.split()[0].upper()
    if verb == "SELECT" and re.match(r"SELECT COUNT\(\*\)", sql, re.I):
        verb = "COUNT"
    table = re.search(r'(?:FROM|INTO|UPDATE)\s+"?(\w+)"?', sql, re.I)
    return f"{verb} {table.group(1)}" if table else verb


def queries_of(client, method, path, data=None, **headers):
    with CaptureQueriesContext(connection) as captured:
        response = getattr(client, method)(path, data, format="json", **headers)
    assert response.status_code < 400, response.content
    return [label(query["sql"]) for query in captured.captured_queries], response


@pytest.fixture
def client(user, make_todo):
    from rest_framework.test import APIClient

    for index in range(60):
        make_todo(
            title=f"t{index}",
            tags=["a", "b"],
            priority=index % 3 + 1,
            due_date=f"2030-01-{index % 28 + 1:02d}",
        )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(user)}")
    client.get("/api/v1/auth/me")  # the session's first use is recorded once
    return client


@pytest.fixture
def todo_id(client):
    return client.get("/api/v1/todos").json()["results"][0]["id"]


@pytest.mark.parametrize("page_size", [1, 20, 100])
def test_list_budget(client, page_size):
    queries, _ = queries_of(client, "get", f"/api/v1/todos?page_size={page_size}")

    # 3: session (+ user + sync state: the ETag and the exact total, so no
    # COUNT of every todo), rate counter, the page.
    assert queries == [SESSION, RATE, "SELECT todos_todo"]


@pytest.mark.parametrize("page_size", [1, 20, 100])
def test_filtered_list_budget(client, page_size):
    filters = (
        "completed=false&priority=high,low&tag=a&search=t&due_after=2020-01-01"
        "&overdue=false&ordering=-due_date,title"
    )

    queries, _ = queries_of(
        client, "get", f"/api/v1/todos?page_size={page_size}&{filters}"
    )

    # 4: session (+ user + sync state for the ETag), rate counter, the count
    # of the matching todos, the page.
    assert queries == [SESSION, RATE, "COUNT todos_todo", "SELECT todos_todo"]


def test_conditional_list_budget(client):
    etag = client.get("/api/v1/todos")["ETag"]

    queries, response = queries_of(
        client, "get", "/api/v1/todos", HTTP_IF_NONE_MATCH=etag
    )

    # 2: session (+ user + sync state: the ETag), rate counter. Nothing else.
    assert response.status_code == 304
    assert queries == [SESSION, RATE]


def test_detail_budget(client, todo_id):
    queries, _ = queries_of(client, "get", f"/api/v1/todos/{todo_id}")

    # 3: session (+ user), rate counter, the todo.
    assert queries == [SESSION, RATE, "SELECT todos_todo"]


def test_create_budget(client):
    queries, _ = queries_of(
        client, "post", "/api/v1/todos", {"title": "x", "tags": ["a"]}
    )

    # 6 and a transaction: session (+ user), rate counter, the next change
    # number (the user's write lock), the todo, its tag rows, its stats counts.
    assert queries == [
        SESSION,
        RATE,
        BEGIN,
        "INSERT todos_syncstate",
        "INSERT todos_todo",
        "INSERT todos_todotag",
        "INSERT todos_todostat",
        COMMIT,
    ]


def test_patch_budget(client, todo_id):
    queries, _ = queries_of(
        client, "patch", f"/api/v1/todos/{todo_id}", {"completed": True}
    )

    # 7 and a transaction: session (+ user), rate counter, the change number
    # (write lock), the todo read under the lock, the update, its entry in
    # the completion history, the stats counts it moves. (Changed tags add
    # their rows.)
    assert queries == [
        SESSION,
        RATE,
        BEGIN,
        "INSERT todos_syncstate",
        "SELECT todos_todo",
        "UPDATE todos_todo",
        "INSERT todos_completion",
        "INSERT todos_todostat",
        COMMIT,
    ]


def test_unchanged_patch_writes_nothing(client, todo_id):
    current = client.get(f"/api/v1/todos/{todo_id}").json()

    queries, _ = queries_of(
        client, "patch", f"/api/v1/todos/{todo_id}", {"title": current["title"]}
    )

    # 4: as a patch, without the update.
    assert queries == [
        SESSION,
        RATE,
        BEGIN,
        "INSERT todos_syncstate",
        "SELECT todos_todo",
        COMMIT,
    ]


def test_delete_budget(client, todo_id):
    queries, _ = queries_of(client, "delete", f"/api/v1/todos/{todo_id}")

    # 11 and a transaction: session (+ user), rate counter, the change number
    # (write lock), the todo read under the lock, its subtasks (to delete
    # with it), its tombstone, its armed reminders, its tag rows, its
    # completions, the todo, and (as the ledger's book closes) its stats counts.
    assert queries == [
        SESSION,
        RATE,
        BEGIN,
        "INSERT todos_syncstate",
        "SELECT todos_todo",
        "SELECT todos_todo",
        "INSERT todos_tombstone",
        "DELETE todos_reminder",
        "DELETE todos_todotag",
        "DELETE todos_completion",
        "DELETE todos_todo",
        "INSERT todos_todostat",
        COMMIT,
    ]


def test_stats_budget(client):
    queries, _ = queries_of(client, "get", "/api/v1/todos/stats")

    # 3: session (+ user + sync state for the ETag), rate counter, the
    # user's maintained stats summary (a few dozen rows, however many todos).
    assert queries == [SESSION, RATE, "SELECT todos_todostat"]


def test_filtered_stats_budget(client):
    queries, _ = queries_of(client, "get", "/api/v1/todos/stats?completed=false&tag=a")

    # 4: session (+ user + sync state for the ETag), rate counter, one
    # aggregate over the filtered todos, one per-tag grouping of them.
    assert queries == [SESSION, RATE, "SELECT todos_todo", "SELECT todos_todotag"]


def test_me_budget(client):
    queries, _ = queries_of(client, "get", "/api/v1/auth/me")

    # 2: session (+ user), rate counter.
    assert queries == [SESSION, RATE]


def test_move_budget(client, todo_id):
    other = client.post("/api/v1/todos", {"title": "neighbour"}).json()["id"]

    queries, response = queries_of(
        client, "post", f"/api/v1/todos/{todo_id}/move", {"after": other}
    )

    # 8 and a transaction, however long the list: session (+ user), rate
    # counter, the change number (write lock), the todo, the sibling it goes
    # after, the next sibling's position, the update, and (the list changes
    # nothing else) no stats counts.
    assert response.status_code == 200
    assert queries == [
        SESSION,
        RATE,
        BEGIN,
        "INSERT todos_syncstate",
        "SELECT todos_todo",
        "SELECT todos_todo",
        "SELECT todos_todo",
        "UPDATE todos_todo",
        COMMIT,
    ]


def test_lists_page_budget(client):
    for name in ("a", "b", "c"):
        client.post("/api/v1/lists", {"name": name})

    queries, _ = queries_of(client, "get", "/api/v1/lists")

    # 4: session (+ user + sync state: the ETag), rate counter, the count,
    # the page with each list's owner and counts (subqueries, not a query
    # per list).
    assert queries == [
        SESSION,
        RATE,
        "COUNT todos_membership",
        "SELECT todos_membership",
    ]
