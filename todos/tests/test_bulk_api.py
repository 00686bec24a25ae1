"""POST todos/bulk: many operations, each by the single-todo rules."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from testing.helpers import assert_problem, todo_changes
from todos.ledger import TodoTag
from todos.models import Todo

pytestmark = pytest.mark.django_db

BULK = "/api/v1/todos/bulk"


def bulk(client, operations, atomic=None, **headers):
    body = {"operations": operations}
    if atomic is not None:
        body["atomic"] = atomic
    return client.post(BULK, body, format="json", **headers)


@pytest.fixture
def existing(auth_client):
    response = auth_client.post("/api/v1/todos", {"title": "existing", "tags": ["a"]})
    return {"id": response.json()["id"], "etag": response["ETag"]}


def test_bulk_applies_operations_in_order(auth_client, existing):
    response = bulk(
        auth_client,
        [
            {"op": "create", "data": {"title": "new", "tags": ["B"]}},
            {"op": "update", "id": existing["id"], "data": {"completed": True}},
            {"op": "delete", "id": existing["id"]},
        ],
    )

    assert response.status_code == 200
    results = response.json()["results"]
    assert [result["status"] for result in results] == [201, 200, 204]
    assert results[0]["todo"]["title"] == "new"
    assert results[0]["todo"]["tags"] == ["b"]
    assert results[1]["todo"]["completed"] is True
    assert results[2] == {"outcome": "deleted", "status": 204}
    assert list(Todo.objects.values_list("title", flat=True)) == ["new"]
    assert list(TodoTag.objects.values_list("name", flat=True)) == ["b"]


def test_bulk_results_carry_etags_usable_as_if_match(auth_client):
    created = bulk(auth_client, [{"op": "create", "data": {"title": "x"}}]).json()
    result = created["results"][0]

    assert (
        auth_client.get(f"/api/v1/todos/{result['todo']['id']}")["ETag"]
        == result["etag"]
    )
    updated = bulk(
        auth_client,
        [
            {
                "op": "update",
                "id": result["todo"]["id"],
                "data": {"title": "y"},
                "if_match": result["etag"],
            }
        ],
    ).json()
    assert updated["results"][0]["status"] == 200


def test_non_atomic_failures_stand_alone(auth_client, existing, other_client):
    theirs = other_client.post("/api/v1/todos", {"title": "theirs"}).json()

    results = bulk(
        auth_client,
        [
            {"op": "create", "data": {"title": ""}},
            {"op": "create", "data": {"title": "fine"}},
            {"op": "update", "id": theirs["id"], "data": {"title": "mine now"}},
            {"op": "delete", "id": 999999},
            {
                "op": "update",
                "id": existing["id"],
                "data": {"title": "z"},
                "if_match": '"old"',
            },
            {"op": "update", "id": existing["id"], "data": {"priority": "urgent"}},
        ],
    ).json()["results"]

    assert [result["status"] for result in results] == [400, 201, 404, 404, 412, 400]
    assert results[0]["error"]["errors"][0]["field"] == "title"
    assert results[0]["error"]["status"] == 400
    assert results[5]["error"]["errors"][0]["field"] == "priority"
    assert set(Todo.objects.values_list("title", flat=True)) == {
        "existing",
        "fine",
        "theirs",
    }


def test_atomic_batch_with_a_failure_applies_nothing(auth_client, existing):
    before = auth_client.get(f"/api/v1/todos/{existing['id']}")

    results = bulk(
        auth_client,
        [
            {"op": "create", "data": {"title": "would be new"}},
            {"op": "update", "id": existing["id"], "data": {"completed": True}},
            {"op": "delete", "id": 999999},
        ],
        atomic=True,
    ).json()["results"]

    assert [result["status"] for result in results] == [424, 424, 404]
    assert "operation(s) 2 failed" in results[0]["error"]["detail"]
    assert Todo.objects.count() == 1
    after = auth_client.get(f"/api/v1/todos/{existing['id']}")
    assert after.json() == before.json()
    assert after["ETag"] == before["ETag"]
    feed = auth_client.get("/api/v1/todos/changes").json()
    assert len(todo_changes(feed)) == 1


def test_atomic_batch_without_failures_applies_all(auth_client, existing):
    results = bulk(
        auth_client,
        [
            {"op": "create", "data": {"title": "a"}},
            {"op": "delete", "id": existing["id"]},
        ],
        atomic=True,
    ).json()["results"]

    assert [result["status"] for result in results] == [201, 204]
    assert list(Todo.objects.values_list("title", flat=True)) == ["a"]


def test_bulk_changes_reach_the_feed_in_order(auth_client, existing):
    cursor = auth_client.get("/api/v1/todos/changes").json()["cursor"]
    bulk(
        auth_client,
        [
            {"op": "create", "data": {"title": "n1"}},
            {"op": "update", "id": existing["id"], "data": {"title": "e2"}},
            {"op": "create", "data": {"title": "n3"}},
        ],
    )

    changes = todo_changes(
        auth_client.get("/api/v1/todos/changes", {"cursor": cursor}).json()
    )

    assert [change["todo"]["title"] for change in changes] == ["n1", "e2", "n3"]


@pytest.mark.parametrize(
    "body, field",
    [
        ({}, "operations"),
        ({"operations": "all"}, "operations"),
        (
            {"operations": [{"op": "create", "data": {"title": "x"}}] * 101},
            "operations",
        ),
        ({"operations": [{"op": "explode"}]}, "operations.0.op"),
        ({"operations": [{"op": "update", "data": {}}]}, "operations.0.id"),
        ({"operations": [{"op": "delete", "id": "7"}]}, "operations.0.id"),
        ({"operations": [{"op": "delete", "id": 0}]}, "operations.0.id"),
        ({"operations": [{"op": "create"}]}, "operations.0.data"),
        ({"operations": [{"op": "create", "data": ["x"]}]}, "operations.0.data"),
        (
            {"operations": [{"op": "delete", "id": 1, "if_match": 5}]},
            "operations.0.if_match",
        ),
        ({"operations": ["create"]}, "operations.0"),
        ({"operations": [], "atomic": "yes"}, "atomic"),
    ],
)
def test_malformed_envelope_is_400_and_applies_nothing(auth_client, body, field):
    response = auth_client.post(BULK, body, format="json")

    assert_problem(response, 400, field=field)
    assert not Todo.objects.exists()


def test_bulk_of_100_operations_is_accepted(auth_client):
    operations = [{"op": "create", "data": {"title": f"t{i}"}} for i in range(100)]

    results = bulk(auth_client, operations).json()["results"]

    assert {result["status"] for result in results} == {201}
    assert Todo.objects.count() == 100


def test_bulk_requires_authentication(api_client):
    assert_problem(bulk(api_client, []), 401)


def test_bulk_costs_a_fixed_number_of_queries_per_operation(auth_client, user):
    def operations(n, existing_ids):
        ops = [
            {"op": "create", "data": {"title": f"c{i}", "tags": ["x"]}}
            for i in range(n)
        ]
        ops += [
            {"op": "update", "id": i, "data": {"priority": "high"}}
            for i in existing_ids
        ]
        return ops

    ids = [Todo.objects.create(owner=user, title=f"t{i}").pk for i in range(20)]
    with CaptureQueriesContext(connection) as small:
        bulk(auth_client, operations(5, ids[:5]))
    with CaptureQueriesContext(connection) as large:
        bulk(auth_client, operations(15, ids[5:20]))

    # 20 more operations (10 creates, 10 updates) cost 30 more queries: a
    # create is the todo insert and its tag rows; an update one UPDATE. The
    # lock, the change numbers, the reading of the named todos and the stats
    # counts are once per batch, however long.
    assert len(large) - len(small) == 10 * 2 + 10 * 1


def test_bulk_takes_lists_parents_assignees_and_moves(auth_client, user):
    groceries = auth_client.post("/api/v1/lists", {"name": "Groceries"}).json()["id"]
    first = auth_client.post("/api/v1/todos", {"title": "first"}).json()
    second = auth_client.post("/api/v1/todos", {"title": "second"}).json()

    results = bulk(
        auth_client,
        [
            {"op": "create", "data": {"title": "milk", "list": groceries}},
            {
                "op": "create",
                "data": {"title": "sub", "parent": first["id"], "assignee_id": user.pk},
            },
            {"op": "move", "id": second["id"], "after": None},
            {"op": "move", "id": first["id"], "list": groceries, "after": None},
            {"op": "create", "data": {"title": "bad", "list": 10**12}},
            {"op": "move", "id": second["id"], "after": second["id"]},
        ],
    ).json()["results"]

    assert [result["status"] for result in results] == [201, 201, 200, 200, 400, 400]
    assert results[0]["todo"]["list"] == groceries
    assert results[1]["todo"]["parent"] == first["id"]
    assert results[1]["todo"]["assignee"]["id"] == user.pk
    assert results[3]["todo"]["list"] == groceries
    assert results[4]["error"]["errors"][0]["field"] == "list"
    assert results[5]["error"]["errors"][0]["field"] == "after"
    # The subtask went along with its parent; the move put `second` first.
    sub = auth_client.get(f"/api/v1/todos/{results[1]['todo']['id']}").json()
    assert sub["list"] == groceries
    inbox = [
        t["id"]
        for t in auth_client.get("/api/v1/todos?parent=none&ordering=position").json()[
            "results"
        ]
        if t["list"] != groceries
    ]
    assert inbox == [second["id"]]


def test_a_bulk_move_honours_if_match(auth_client, existing):
    results = bulk(
        auth_client,
        [{"op": "move", "id": existing["id"], "after": None, "if_match": '"stale"'}],
    ).json()["results"]

    assert results[0]["status"] == 412
