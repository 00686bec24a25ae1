"""The change feed: GET todos/changes."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone

from testing.helpers import assert_problem, todo_changes
from todos.ledger import Tombstone
from todos.models import Todo

pytestmark = pytest.mark.django_db

FEED = "/api/v1/todos/changes"


def sync(client, replica, cursor=None, limit=None):
    """Apply the feed to `replica` ({id: todo}) like a client; return the cursor."""
    pages = 0
    while True:
        params = {
            key: value for key, value in (("cursor", cursor), ("limit", limit)) if value
        }
        response = client.get(FEED, params)
        assert response.status_code == 200, response.content
        body = response.json()
        for change in todo_changes(body):
            if change["op"] == "upsert":
                replica[change["todo"]["id"]] = change["todo"]
            else:
                replica.pop(change["id"], None)
        cursor = body["cursor"]
        pages += 1
        if not body["has_more"]:
            return cursor, pages


def server_state(client):
    todos = client.get("/api/v1/todos?page_size=100").json()["results"]
    return {todo["id"]: todo for todo in todos}


def test_first_sync_returns_the_current_todos_oldest_change_first(auth_client):
    ids = [
        auth_client.post("/api/v1/todos", {"title": f"t{i}"}).json()["id"]
        for i in range(3)
    ]
    auth_client.patch(f"/api/v1/todos/{ids[0]}", {"title": "t0 again"})

    body = auth_client.get(FEED).json()

    assert [change["op"] for change in todo_changes(body)] == ["upsert"] * 3
    assert [change["todo"]["id"] for change in todo_changes(body)] == [
        ids[1],
        ids[2],
        ids[0],
    ]
    assert todo_changes(body)[2]["todo"]["title"] == "t0 again"
    assert body["has_more"] is False
    assert isinstance(body["cursor"], str) and body["cursor"]


def test_upserts_carry_the_todo_and_its_etag(auth_client):
    created = auth_client.post("/api/v1/todos", {"title": "x", "tags": ["a"]})

    change = todo_changes(auth_client.get(FEED).json())[0]

    assert change["todo"] == created.json()
    assert change["etag"] == created["ETag"]


def test_following_the_cursor_replays_updates_and_deletions(auth_client):
    keep = auth_client.post("/api/v1/todos", {"title": "keep"}).json()
    doomed = auth_client.post("/api/v1/todos", {"title": "doomed"}).json()
    replica = {}
    cursor, _ = sync(auth_client, replica)

    auth_client.patch(f"/api/v1/todos/{keep['id']}", {"completed": True})
    auth_client.delete(f"/api/v1/todos/{doomed['id']}")
    new = auth_client.post("/api/v1/todos", {"title": "new"}).json()
    body = auth_client.get(FEED, {"cursor": cursor}).json()

    assert [(c["op"], c.get("id") or c["todo"]["id"]) for c in todo_changes(body)] == [
        ("upsert", keep["id"]),
        ("delete", doomed["id"]),
        ("upsert", new["id"]),
    ]
    sync(auth_client, replica, cursor)
    assert replica == server_state(auth_client)


def test_nothing_new_returns_no_changes_and_a_usable_cursor(auth_client):
    auth_client.post("/api/v1/todos", {"title": "x"})
    cursor = auth_client.get(FEED).json()["cursor"]

    body = auth_client.get(FEED, {"cursor": cursor}).json()

    assert body == {"changes": [], "cursor": cursor, "has_more": False}


def test_paging_with_small_limit_skips_and_repeats_nothing(auth_client):
    ids = [
        auth_client.post("/api/v1/todos", {"title": f"t{i}"}).json()["id"]
        for i in range(7)
    ]
    auth_client.delete(f"/api/v1/todos/{ids[3]}")
    replica = {}
    cursor, pages = sync(auth_client, replica, limit=2)

    assert pages >= 3
    assert replica == server_state(auth_client)

    for todo_id in ids[:3]:
        auth_client.patch(f"/api/v1/todos/{todo_id}", {"priority": "high"})
    auth_client.delete(f"/api/v1/todos/{ids[5]}")
    seen = []
    while True:
        body = auth_client.get(FEED, {"cursor": cursor, "limit": 2}).json()
        seen += [(c["op"], c.get("id") or c["todo"]["id"]) for c in todo_changes(body)]
        cursor = body["cursor"]
        if not body["has_more"]:
            break
    assert seen == [
        ("upsert", ids[0]),
        ("upsert", ids[1]),
        ("upsert", ids[2]),
        ("delete", ids[5]),
    ]


def test_a_client_replaying_a_long_history_ends_with_the_servers_todos(auth_client):
    replica = {}
    cursor, _ = sync(auth_client, replica)
    ids = []
    for round_ in range(5):
        ids += [
            auth_client.post("/api/v1/todos", {"title": f"r{round_}"}).json()["id"]
            for _ in range(4)
        ]
        auth_client.patch(f"/api/v1/todos/{ids[-1]}", {"tags": [f"round{round_}"]})
        auth_client.delete(f"/api/v1/todos/{ids.pop(0)}")
        if round_ % 2:
            cursor, _ = sync(auth_client, replica, cursor, limit=3)

    sync(auth_client, replica, cursor, limit=3)

    assert replica == server_state(auth_client)


def test_feed_shows_nothing_of_another_user(auth_client, other_client):
    other_client.post("/api/v1/todos", {"title": "theirs"})
    theirs = other_client.post("/api/v1/todos", {"title": "gone"}).json()
    other_client.delete(f"/api/v1/todos/{theirs['id']}")
    mine = auth_client.post("/api/v1/todos", {"title": "mine"}).json()

    body = auth_client.get(FEED).json()
    later = auth_client.get(FEED, {"cursor": body["cursor"]}).json()

    assert [change["todo"]["id"] for change in todo_changes(body)] == [mine["id"]]
    assert todo_changes(later) == []


def test_deletions_through_the_admin_bulk_action_reach_the_feed(auth_client, user):
    ids = [
        auth_client.post("/api/v1/todos", {"title": f"t{i}"}).json()["id"]
        for i in range(3)
    ]
    cursor = auth_client.get(FEED).json()["cursor"]

    Todo.objects.filter(pk__in=ids[:2]).delete()

    body = auth_client.get(FEED, {"cursor": cursor}).json()
    assert sorted(change["id"] for change in todo_changes(body)) == sorted(ids[:2])


def test_limit_defaults_to_100_and_takes_up_to_1000(auth_client, user):
    for index in range(105):
        Todo(owner=user, title=f"t{index}").save()

    assert len(todo_changes(auth_client.get(FEED).json())) == 99
    assert len(todo_changes(auth_client.get(FEED, {"limit": 1000}).json())) == 105


@pytest.mark.parametrize(
    "params, field",
    [
        ({"limit": "0"}, "limit"),
        ({"limit": "many"}, "limit"),
        ({"limit": "-1"}, "limit"),
        ({"limit": "1001"}, "limit"),
        ({"limit": "①"}, "limit"),
        ({"limit": "²"}, "limit"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"cursor": "djEueHl6"}, "cursor"),
    ],
)
def test_malformed_parameters_are_400(auth_client, params, field):
    assert_problem(auth_client.get(FEED, params), 400, field=field)


def test_cursor_older_than_the_kept_tombstones_is_410(auth_client, settings):
    ids = [
        auth_client.post("/api/v1/todos", {"title": f"t{i}"}).json()["id"]
        for i in range(3)
    ]
    old_cursor = auth_client.get(FEED).json()["cursor"]
    auth_client.delete(f"/api/v1/todos/{ids[0]}")
    Tombstone.objects.update(deleted_at=timezone.now() - dt.timedelta(days=31))
    auth_client.delete(f"/api/v1/todos/{ids[1]}")

    call_command("prune", stdout=None)

    body = assert_problem(auth_client.get(FEED, {"cursor": old_cursor}), 410)
    assert "without a cursor" in body["detail"]
    fresh = auth_client.get(FEED).json()
    assert [change["todo"]["id"] for change in todo_changes(fresh)] == [ids[2]]
    # A cursor taken after the pruned deletion still works.
    later = auth_client.get(FEED, {"cursor": fresh["cursor"]})
    assert later.status_code == 200
    assert Tombstone.objects.count() == 1


def test_cursor_from_the_future_is_410(auth_client):
    from todos.feed import legacy_cursor

    assert_problem(auth_client.get(FEED, {"cursor": legacy_cursor(10**6)}), 410)


def test_feed_page_costs_a_fixed_number_of_queries(
    auth_client, user, django_assert_num_queries
):
    cursor = auth_client.get(FEED).json()["cursor"]
    for index in range(30):
        auth_client.post("/api/v1/todos", {"title": f"t{index}", "tags": ["a"]})
    for todo in Todo.objects.all()[:10]:
        todo.delete()

    # 5 = session (+ user + sync state), rate counter, todos page,
    # tombstones page, lists (changed, or with changed todos). (A member of
    # others' lists: one more, the lists seen with their owners' numbers.)
    for limit in (1, 40):
        with django_assert_num_queries(5):
            assert (
                auth_client.get(FEED, {"cursor": cursor, "limit": limit}).status_code
                == 200
            )


def test_feed_requires_authentication(api_client):
    assert_problem(api_client.get(FEED), 401)


# --- lists in the feed -----------------------------------------------------------


def replay(client, replica=None, cursor=None, limit=None):
    """Apply the feed to {("todo"|"list", id): body}; return (replica, cursor)."""
    replica = {} if replica is None else replica
    while True:
        params = {k: v for k, v in (("cursor", cursor), ("limit", limit)) if v}
        body = client.get(FEED, params).json()
        for change in body["changes"]:
            kind = change["type"]
            if change["op"] == "upsert":
                replica[kind, change[kind]["id"]] = change[kind]
            else:
                replica.pop((kind, change["id"]), None)
        cursor = body["cursor"]
        if not body["has_more"]:
            return replica, cursor


def seen_by(client):
    lists = client.get("/api/v1/lists?page_size=100").json()["results"]
    todos = client.get("/api/v1/todos?page_size=100").json()["results"]
    return {
        **{("list", entry["id"]): entry for entry in lists},
        **{("todo", todo["id"]): todo for todo in todos},
    }


def test_a_first_sync_delivers_the_lists_before_their_todos(auth_client):
    todo = auth_client.post("/api/v1/todos", {"title": "x"}).json()

    changes = auth_client.get(FEED).json()["changes"]

    assert [(c["type"], c["op"]) for c in changes] == [
        ("list", "upsert"),
        ("todo", "upsert"),
    ]
    assert changes[0]["list"]["id"] == todo["list"]
    assert changes[0]["list"]["todo_count"] == 1
    assert (
        changes[0]["etag"] == auth_client.get(f"/api/v1/lists/{todo['list']}")["ETag"]
    )


def test_list_changes_and_deletions_reach_the_feed(auth_client):
    replica, cursor = replay(auth_client)
    groceries = auth_client.post("/api/v1/lists", {"name": "Groceries"}).json()
    milk = auth_client.post(
        "/api/v1/todos", {"title": "milk", "list": groceries["id"]}
    ).json()
    replica, cursor = replay(auth_client, replica, cursor)
    assert replica == seen_by(auth_client)

    auth_client.patch(f"/api/v1/lists/{groceries['id']}", {"name": "Food"})
    auth_client.post(f"/api/v1/lists/{groceries['id']}/move", {"after": None})
    replica, cursor = replay(auth_client, replica, cursor)
    assert replica == seen_by(auth_client)

    auth_client.delete(f"/api/v1/lists/{groceries['id']}")
    body = auth_client.get(FEED, {"cursor": cursor}).json()
    assert [(c["type"], c["op"], c["id"]) for c in body["changes"]] == [
        ("todo", "delete", milk["id"]),
        ("list", "delete", groceries["id"]),
    ]
    replica, cursor = replay(auth_client, replica, cursor)
    assert replica == seen_by(auth_client)


def test_a_todo_moved_between_ones_own_lists_is_an_upsert_only(auth_client):
    groceries = auth_client.post("/api/v1/lists", {"name": "Groceries"}).json()
    todo = auth_client.post("/api/v1/todos", {"title": "milk"}).json()
    replica, cursor = replay(auth_client)

    auth_client.patch(f"/api/v1/todos/{todo['id']}", {"list": groceries["id"]})

    body = auth_client.get(FEED, {"cursor": cursor}).json()
    assert [(c["type"], c["op"]) for c in body["changes"] if c["type"] == "todo"] == [
        ("todo", "upsert")
    ]
    replica, _ = replay(auth_client, replica, cursor)
    assert replica == seen_by(auth_client)


def test_a_replica_of_lists_and_todos_converges_page_by_page(auth_client):
    lists = [
        auth_client.post("/api/v1/lists", {"name": f"L{n}"}).json()["id"]
        for n in range(3)
    ]
    ids = [
        auth_client.post(
            "/api/v1/todos", {"title": f"t{n}", "list": lists[n % 3]}
        ).json()["id"]
        for n in range(9)
    ]
    replica, cursor = replay(auth_client, limit=2)
    auth_client.patch(f"/api/v1/todos/{ids[0]}", {"completed": True})
    auth_client.delete(f"/api/v1/todos/{ids[1]}")
    auth_client.post(f"/api/v1/todos/{ids[2]}/move", {"after": None})
    auth_client.patch(f"/api/v1/todos/{ids[3]}", {"list": lists[2]})
    auth_client.delete(f"/api/v1/lists/{lists[1]}")

    replica, _ = replay(auth_client, replica, cursor, limit=2)

    assert replica == seen_by(auth_client)
