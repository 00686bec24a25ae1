"""Todos in lists: `list`, subtasks (`parent`), `assignee`, manual order (move)."""

import pytest

from testing.helpers import assert_problem, todo_changes

pytestmark = pytest.mark.django_db


def new_list(client, name="Groceries"):
    response = client.post("/api/v1/lists", {"name": name})
    assert response.status_code == 201
    return response.json()["id"]


def inbox_id(client):
    (inbox,) = [
        entry
        for entry in client.get("/api/v1/lists").json()["results"]
        if entry["is_default"]
    ]
    return inbox["id"]


def create(client, title="A todo", **fields):
    response = client.post("/api/v1/todos", {"title": title, **fields})
    assert response.status_code == 201, response.content
    return response.json()


def ids_of(client, query):
    return [
        todo["id"] for todo in client.get(f"/api/v1/todos?{query}").json()["results"]
    ]


def test_a_new_todo_is_in_the_inbox_made_by_the_caller(auth_client, user):
    todo = create(auth_client)

    assert todo["list"] == inbox_id(auth_client)
    assert todo["parent"] is None
    assert todo["assignee"] is None
    assert todo["created_by"] == {"id": user.pk, "email": user.email, "name": ""}
    assert isinstance(todo["position"], str) and todo["position"]


def test_a_todo_goes_in_the_list_given(auth_client):
    groceries = new_list(auth_client)

    todo = create(auth_client, list=groceries)

    assert todo["list"] == groceries
    assert ids_of(auth_client, f"list={groceries}") == [todo["id"]]


@pytest.mark.parametrize("bad", [0, -1, "3", None, 10**12])
def test_an_unknown_list_is_a_400_naming_list(auth_client, bad):
    response = auth_client.post("/api/v1/todos", {"title": "x", "list": bad})

    assert_problem(response, 400, "list")


def test_another_users_list_is_refused_like_a_missing_one(auth_client, other_client):
    foreign = inbox_id(other_client)

    response = auth_client.post("/api/v1/todos", {"title": "x", "list": foreign})

    body = assert_problem(response, 400, "list")
    missing = assert_problem(
        auth_client.post("/api/v1/todos", {"title": "x", "list": 10**12}), 400
    )
    assert body["errors"] == missing["errors"]


def test_new_todos_go_last_among_their_siblings(auth_client):
    first, second, third = (create(auth_client, title=f"t{n}") for n in range(3))

    assert ids_of(auth_client, "ordering=position") == [
        first["id"],
        second["id"],
        third["id"],
    ]


def test_subtasks_nest_in_the_same_list(auth_client):
    parent = create(auth_client, title="Party")
    child = create(auth_client, title="Cake", parent=parent["id"])

    assert child["parent"] == parent["id"]
    assert ids_of(auth_client, f"parent={parent['id']}") == [child["id"]]
    assert ids_of(auth_client, "parent=none") == [parent["id"]]


def test_a_parent_in_another_list_is_a_400(auth_client):
    parent = create(auth_client, title="Party")
    groceries = new_list(auth_client)

    response = auth_client.post(
        "/api/v1/todos", {"title": "x", "list": groceries, "parent": parent["id"]}
    )

    assert_problem(response, 400, "parent")


def test_another_users_todo_cannot_be_a_parent(auth_client, other_client):
    foreign = create(other_client)

    response = auth_client.post(
        "/api/v1/todos", {"title": "x", "parent": foreign["id"]}
    )

    assert_problem(response, 400, "parent")


def test_a_todo_cannot_become_its_own_ancestor(auth_client):
    top = create(auth_client, title="top")
    middle = create(auth_client, title="middle", parent=top["id"])
    bottom = create(auth_client, title="bottom", parent=middle["id"])

    for parent in (top["id"], middle["id"], bottom["id"]):
        response = auth_client.patch(f"/api/v1/todos/{top['id']}", {"parent": parent})
        assert_problem(response, 400, "parent")
    assert auth_client.get(f"/api/v1/todos/{top['id']}").json()["parent"] is None


def test_subtasks_nest_at_most_five_levels(auth_client):
    chain = [create(auth_client, title="level 1")]
    for level in range(2, 6):
        chain.append(
            create(auth_client, title=f"level {level}", parent=chain[-1]["id"])
        )

    too_deep = auth_client.post(
        "/api/v1/todos", {"title": "level 6", "parent": chain[-1]["id"]}
    )
    assert_problem(too_deep, 400, "parent")

    # Nor by moving a subtree under another: 2 levels under level 4 make 6.
    other = create(auth_client, title="other")
    create(auth_client, title="other's child", parent=other["id"])
    response = auth_client.patch(
        f"/api/v1/todos/{other['id']}", {"parent": chain[3]["id"]}
    )
    assert_problem(response, 400, "parent")


def test_deleting_a_todo_deletes_its_subtasks(auth_client):
    parent = create(auth_client, title="Party")
    child = create(auth_client, title="Cake", parent=parent["id"])
    grandchild = create(auth_client, title="Candles", parent=child["id"])
    cursor = auth_client.get("/api/v1/todos/changes").json()["cursor"]

    assert auth_client.delete(f"/api/v1/todos/{parent['id']}").status_code == 204

    for todo in (parent, child, grandchild):
        assert auth_client.get(f"/api/v1/todos/{todo['id']}").status_code == 404
    changes = auth_client.get(f"/api/v1/todos/changes?cursor={cursor}").json()
    assert {c["id"] for c in todo_changes(changes) if c["op"] == "delete"} == {
        parent["id"],
        child["id"],
        grandchild["id"],
    }
    assert auth_client.get("/api/v1/todos/stats").json()["total"] == 0


def test_changing_list_moves_the_subtasks_along(auth_client):
    parent = create(auth_client, title="Party")
    child = create(auth_client, title="Cake", parent=parent["id"])
    grandchild = create(auth_client, title="Candles", parent=child["id"])
    groceries = new_list(auth_client)

    response = auth_client.patch(f"/api/v1/todos/{parent['id']}", {"list": groceries})

    assert response.status_code == 200
    for todo in (parent, child, grandchild):
        assert (
            auth_client.get(f"/api/v1/todos/{todo['id']}").json()["list"] == groceries
        )
    assert (
        auth_client.get(f"/api/v1/todos/{child['id']}").json()["parent"] == parent["id"]
    )
    counts = auth_client.get(f"/api/v1/lists/{groceries}").json()
    assert counts["todo_count"] == 3
    assert (
        auth_client.get(f"/api/v1/lists/{inbox_id(auth_client)}").json()["todo_count"]
        == 0
    )


def test_a_subtask_moved_alone_is_top_level_in_its_new_list(auth_client):
    parent = create(auth_client, title="Party")
    child = create(auth_client, title="Cake", parent=parent["id"])
    groceries = new_list(auth_client)

    moved = auth_client.patch(f"/api/v1/todos/{child['id']}", {"list": groceries})

    assert moved.json()["list"] == groceries
    assert moved.json()["parent"] is None


def test_put_without_list_keeps_the_todo_where_it_is(auth_client):
    groceries = new_list(auth_client)
    todo = create(auth_client, list=groceries)

    response = auth_client.put(f"/api/v1/todos/{todo['id']}", {"title": "renamed"})

    assert response.json()["list"] == groceries


def test_assignee_is_a_member_of_the_list(auth_client, user, other_user):
    todo = create(auth_client)

    assigned = auth_client.patch(
        f"/api/v1/todos/{todo['id']}", {"assignee_id": user.pk}
    )
    foreign = auth_client.patch(
        f"/api/v1/todos/{todo['id']}", {"assignee_id": other_user.pk}
    )

    assert assigned.json()["assignee"] == {
        "id": user.pk,
        "email": user.email,
        "name": "",
    }
    assert "assignee_id" not in assigned.json()
    assert_problem(foreign, 400, "assignee_id")
    assert ids_of(auth_client, "assignee=me") == [todo["id"]]
    assert ids_of(auth_client, f"assignee={user.pk}") == [todo["id"]]
    assert ids_of(auth_client, "assignee=none") == []

    cleared = auth_client.patch(f"/api/v1/todos/{todo['id']}", {"assignee_id": None})
    assert cleared.json()["assignee"] is None


@pytest.mark.parametrize(
    "query",
    [
        "list=abc",
        "list=1,x",
        "list=²",
        "parent=some",
        "parent=-3",
        "parent=0",
        "list=0",
        "assignee=0",
        "assignee=you",
        "ordering=positions",
        "list=" + ",".join(["1"] * 101),
    ],
)
def test_bad_list_filters_are_a_400_naming_them(auth_client, query):
    name = query.split("=")[0]

    assert_problem(auth_client.get(f"/api/v1/todos?{query}"), 400, name)
    assert_problem(auth_client.get(f"/api/v1/todos/stats?{query}"), 400, name)


def test_stats_take_the_list_filters(auth_client):
    groceries = new_list(auth_client)
    create(auth_client, list=groceries)
    parent = create(auth_client)
    create(auth_client, parent=parent["id"])

    stats = auth_client.get

    assert stats(f"/api/v1/todos/stats?list={groceries}").json()["total"] == 1
    assert stats("/api/v1/todos/stats?parent=none").json()["total"] == 2
    assert stats(f"/api/v1/todos/stats?parent={parent['id']}").json()["total"] == 1


# --- move ----------------------------------------------------------------------


def move(client, todo, **body):
    return client.post(f"/api/v1/todos/{todo['id']}/move", body)


def test_move_puts_a_todo_after_a_sibling_or_first(auth_client):
    a, b, c = (create(auth_client, title=name) for name in "abc")

    first = move(auth_client, c, after=None)
    middle = move(auth_client, a, after=b["id"])

    assert first.status_code == 200 and middle.status_code == 200
    assert ids_of(auth_client, "ordering=position") == [c["id"], b["id"], a["id"]]
    assert first["ETag"] != auth_client.get(f"/api/v1/todos/{a['id']}")["ETag"]


def test_a_move_is_one_change_in_the_feed(auth_client):
    a, b = create(auth_client, title="a"), create(auth_client, title="b")
    cursor = auth_client.get("/api/v1/todos/changes").json()["cursor"]

    move(auth_client, a, after=b["id"])

    changes = auth_client.get(f"/api/v1/todos/changes?cursor={cursor}").json()
    assert [(c["op"], c["todo"]["id"]) for c in todo_changes(changes)] == [
        ("upsert", a["id"])
    ]


def test_many_moves_into_one_gap_keep_the_order(auth_client):
    a, b, c = (create(auth_client, title=name) for name in "abc")
    for _ in range(150):
        for moved in (b, c):
            assert move(auth_client, moved, after=a["id"]).status_code == 200

    assert ids_of(auth_client, "ordering=position") == [a["id"], c["id"], b["id"]]
    positions = [
        todo["position"]
        for todo in auth_client.get("/api/v1/todos?ordering=position").json()["results"]
    ]
    assert all(len(position) <= 64 for position in positions)


def test_move_into_another_list_and_under_a_parent(auth_client):
    groceries = new_list(auth_client)
    milk = create(auth_client, title="milk", list=groceries)
    dairy = create(auth_client, title="dairy", list=groceries)
    stray = create(auth_client, title="cheese")

    response = move(auth_client, stray, list=groceries, parent=dairy["id"], after=None)

    assert response.status_code == 200
    assert (response.json()["list"], response.json()["parent"]) == (
        groceries,
        dairy["id"],
    )
    assert ids_of(auth_client, f"parent={dairy['id']}") == [stray["id"]]
    assert milk["id"] in ids_of(auth_client, f"list={groceries}")


def test_move_honours_if_match(auth_client):
    a, b = create(auth_client, title="a"), create(auth_client, title="b")
    stale = auth_client.get(f"/api/v1/todos/{a['id']}")["ETag"]
    auth_client.patch(f"/api/v1/todos/{a['id']}", {"title": "changed"})

    response = auth_client.post(
        f"/api/v1/todos/{a['id']}/move", {"after": b["id"]}, HTTP_IF_MATCH=stale
    )

    assert_problem(response, 412)


@pytest.mark.parametrize("after", ["self", "foreign", "other list", 10**12, "x"])
def test_move_after_a_todo_that_is_no_sibling_is_a_400(
    auth_client, other_client, after
):
    todo = create(auth_client)
    elsewhere = create(auth_client, list=new_list(auth_client))
    after = {
        "self": todo["id"],
        "foreign": create(other_client)["id"],
        "other list": elsewhere["id"],
    }.get(after, after)

    response = move(auth_client, todo, after=after)

    assert_problem(response, 400, "after")


def test_move_needs_after(auth_client):
    todo = create(auth_client)

    assert_problem(move(auth_client, todo), 400, "after")


def test_another_users_todo_cannot_be_moved(auth_client, other_client):
    foreign = create(other_client)

    assert_problem(move(auth_client, foreign, after=None), 404)
