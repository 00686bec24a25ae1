"""GET/POST lists, GET/PUT/PATCH/DELETE lists/{id}, POST lists/{id}/move."""

import pytest

from testing.helpers import assert_problem

pytestmark = pytest.mark.django_db


def lists_of(client):
    response = client.get("/api/v1/lists")
    assert response.status_code == 200
    return response.json()["results"]


def create_list(client, **body):
    response = client.post("/api/v1/lists", {"name": "Groceries", **body})
    assert response.status_code == 201, response.content
    return response.json()


def inbox_of(client):
    (inbox,) = [entry for entry in lists_of(client) if entry["is_default"]]
    return inbox


def test_every_account_has_its_inbox(auth_client, user):
    (inbox,) = lists_of(auth_client)

    assert inbox == {
        "id": inbox["id"],
        "name": "Inbox",
        "color": None,
        "position": inbox["position"],
        "is_default": True,
        "archived": False,
        "role": "owner",
        "owner": {"id": user.pk, "email": user.email, "name": user.name},
        "member_count": 1,
        "todo_count": 0,
        "open_count": 0,
        "created_at": inbox["created_at"],
        "updated_at": inbox["updated_at"],
    }


def test_a_signup_comes_with_an_inbox(api_client):
    from testing import PASSWORD

    api_client.post(
        "/api/v1/auth/signup", {"email": "new@example.com", "password": PASSWORD}
    )

    (inbox,) = lists_of(api_client)
    assert inbox["is_default"] and inbox["name"] == "Inbox"


def test_create_answers_201_with_location_and_etag(auth_client):
    response = auth_client.post(
        "/api/v1/lists", {"name": "  Groceries  ", "color": "#A0B1C2"}
    )

    assert response.status_code == 201
    body = response.json()
    assert body["name"] == "Groceries"
    assert body["color"] == "#a0b1c2"
    assert body["role"] == "owner" and not body["is_default"]
    assert response["Location"].endswith(f"/api/v1/lists/{body['id']}")
    assert auth_client.get(f"/api/v1/lists/{body['id']}")["ETag"] == response["ETag"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"name": 7}, "name"),
        ({}, "name"),
        ({"name": "ok", "color": "red"}, "color"),
        ({"name": "ok", "color": "#12345"}, "color"),
        ({"name": "ok", "color": 123}, "color"),
    ],
)
def test_create_refuses_bad_fields(auth_client, body, field):
    response = auth_client.post("/api/v1/lists", body)

    assert_problem(response, 400, field)
    assert len(lists_of(auth_client)) == 1


def test_new_lists_go_last_and_move_reorders(auth_client):
    inbox = inbox_of(auth_client)
    a = create_list(auth_client, name="A")
    b = create_list(auth_client, name="B")
    assert [entry["id"] for entry in lists_of(auth_client)] == [
        inbox["id"],
        a["id"],
        b["id"],
    ]

    first = auth_client.post(f"/api/v1/lists/{b['id']}/move", {"after": None})
    assert first.status_code == 200
    after_a = auth_client.post(f"/api/v1/lists/{inbox['id']}/move", {"after": a["id"]})
    assert after_a.status_code == 200

    assert [entry["id"] for entry in lists_of(auth_client)] == [
        b["id"],
        a["id"],
        inbox["id"],
    ]
    positions = [entry["position"] for entry in lists_of(auth_client)]
    assert positions == sorted(positions, key=str.encode)


def test_many_moves_into_one_gap_keep_the_order(auth_client):
    inbox = inbox_of(auth_client)
    a = create_list(auth_client, name="A")
    b = create_list(auth_client, name="B")
    # Alternately right after the Inbox: each move halves the same gap, past
    # the length at which keys are respaced.
    for _ in range(200):
        for moved in (a, b):
            response = auth_client.post(
                f"/api/v1/lists/{moved['id']}/move", {"after": inbox["id"]}
            )
            assert response.status_code == 200

    shown = lists_of(auth_client)
    assert [entry["id"] for entry in shown] == [inbox["id"], b["id"], a["id"]]
    assert all(len(entry["position"]) <= 64 for entry in shown)


def test_move_after_an_unknown_list_is_a_400(auth_client, other_client):
    mine = create_list(auth_client)
    foreign = inbox_of(other_client)

    for after in (foreign["id"], mine["id"], 10**12):
        response = auth_client.post(
            f"/api/v1/lists/{mine['id']}/move", {"after": after}
        )
        assert_problem(response, 400, "after")


def test_patch_renames_and_a_stale_if_match_is_412(auth_client):
    groceries = create_list(auth_client)
    etag = auth_client.get(f"/api/v1/lists/{groceries['id']}")["ETag"]

    renamed = auth_client.patch(
        f"/api/v1/lists/{groceries['id']}", {"name": "Food"}, HTTP_IF_MATCH=etag
    )
    stale = auth_client.patch(
        f"/api/v1/lists/{groceries['id']}", {"name": "Stale"}, HTTP_IF_MATCH=etag
    )

    assert renamed.status_code == 200 and renamed.json()["name"] == "Food"
    assert renamed["ETag"] != etag
    assert_problem(stale, 412)
    assert auth_client.get(f"/api/v1/lists/{groceries['id']}").json()["name"] == "Food"


def test_get_with_if_none_match_is_304(auth_client):
    groceries = create_list(auth_client)
    etag = auth_client.get(f"/api/v1/lists/{groceries['id']}")["ETag"]

    response = auth_client.get(
        f"/api/v1/lists/{groceries['id']}", HTTP_IF_NONE_MATCH=etag
    )

    assert response.status_code == 304


def test_the_etag_follows_the_todo_counts(auth_client):
    groceries = create_list(auth_client)
    etag = auth_client.get(f"/api/v1/lists/{groceries['id']}")["ETag"]

    auth_client.post("/api/v1/todos", {"title": "Milk", "list": groceries["id"]})

    shown = auth_client.get(f"/api/v1/lists/{groceries['id']}")
    assert shown["ETag"] != etag
    assert shown.json()["todo_count"] == 1 and shown.json()["open_count"] == 1


def test_put_replaces_name_color_and_archived(auth_client):
    groceries = create_list(auth_client, color="#112233")

    response = auth_client.put(f"/api/v1/lists/{groceries['id']}", {"name": "Food"})

    assert response.status_code == 200
    assert response.json()["color"] is None
    assert response.json()["name"] == "Food"


def test_counts_follow_the_todos(auth_client):
    groceries = create_list(auth_client)
    ids = [
        auth_client.post(
            "/api/v1/todos", {"title": f"t{n}", "list": groceries["id"]}
        ).json()["id"]
        for n in range(3)
    ]
    auth_client.patch(f"/api/v1/todos/{ids[0]}", {"completed": True})
    auth_client.delete(f"/api/v1/todos/{ids[1]}")

    shown = auth_client.get(f"/api/v1/lists/{groceries['id']}").json()
    assert (shown["todo_count"], shown["open_count"]) == (2, 1)
    assert inbox_of(auth_client)["todo_count"] == 0


def test_the_default_list_cannot_be_deleted_or_archived(auth_client):
    inbox = inbox_of(auth_client)

    deleted = auth_client.delete(f"/api/v1/lists/{inbox['id']}")
    archived = auth_client.patch(f"/api/v1/lists/{inbox['id']}", {"archived": True})

    assert assert_problem(deleted, 409)["code"] == "default_list"
    assert assert_problem(archived, 409)["code"] == "default_list"
    assert inbox_of(auth_client)["archived"] is False


def test_the_default_list_can_be_renamed(auth_client):
    inbox = inbox_of(auth_client)

    response = auth_client.patch(f"/api/v1/lists/{inbox['id']}", {"name": "Home"})

    assert response.status_code == 200
    assert inbox_of(auth_client)["name"] == "Home"


def test_deleting_a_list_deletes_its_todos_each_a_deletion_in_the_feed(auth_client):
    groceries = create_list(auth_client)
    cursor = auth_client.get("/api/v1/todos/changes").json()["cursor"]
    parent = auth_client.post(
        "/api/v1/todos", {"title": "Party", "list": groceries["id"]}
    ).json()
    child = auth_client.post(
        "/api/v1/todos",
        {"title": "Cake", "list": groceries["id"], "parent": parent["id"]},
    ).json()
    kept = auth_client.post("/api/v1/todos", {"title": "Elsewhere"}).json()

    response = auth_client.delete(f"/api/v1/lists/{groceries['id']}")

    assert response.status_code == 204
    assert auth_client.get(f"/api/v1/lists/{groceries['id']}").status_code == 404
    assert auth_client.get(f"/api/v1/todos/{parent['id']}").status_code == 404
    assert auth_client.get(f"/api/v1/todos/{child['id']}").status_code == 404
    assert auth_client.get(f"/api/v1/todos/{kept['id']}").status_code == 200
    changes = auth_client.get(f"/api/v1/todos/changes?cursor={cursor}").json()
    deleted = {
        change["id"]
        for change in changes["changes"]
        if change["op"] == "delete" and change.get("type", "todo") == "todo"
    }
    assert {parent["id"], child["id"]} <= deleted


def test_another_users_list_is_a_404(auth_client, other_client):
    foreign = inbox_of(other_client)

    for method in ("get", "patch", "put", "delete"):
        response = getattr(auth_client, method)(
            f"/api/v1/lists/{foreign['id']}", {"name": "mine now"}
        )
        assert_problem(response, 404)
    moved = auth_client.post(f"/api/v1/lists/{foreign['id']}/move", {"after": None})
    assert_problem(moved, 404)
    assert inbox_of(other_client)["name"] == "Inbox"


def test_anonymous_is_401(api_client):
    response = api_client.get("/api/v1/lists")

    assert_problem(response, 401)
    assert "WWW-Authenticate" in response


def test_archived_lists_leave_todos_and_stats_unless_named(auth_client):
    groceries = create_list(auth_client)
    hidden = auth_client.post(
        "/api/v1/todos", {"title": "Milk", "list": groceries["id"]}
    ).json()
    shown = auth_client.post("/api/v1/todos", {"title": "Call mum"}).json()

    archived = auth_client.patch(f"/api/v1/lists/{groceries['id']}", {"archived": True})
    assert archived.status_code == 200 and archived.json()["archived"] is True

    listed = auth_client.get("/api/v1/todos").json()
    assert [todo["id"] for todo in listed["results"]] == [shown["id"]]
    assert listed["count"] == 1
    assert auth_client.get("/api/v1/todos/stats").json()["total"] == 1
    named = auth_client.get(f"/api/v1/todos?list={groceries['id']}").json()
    assert [todo["id"] for todo in named["results"]] == [hidden["id"]]
    assert (
        auth_client.get(f"/api/v1/todos/stats?list={groceries['id']}").json()["total"]
        == 1
    )

    auth_client.patch(f"/api/v1/lists/{groceries['id']}", {"archived": False})
    assert auth_client.get("/api/v1/todos").json()["count"] == 2
    assert auth_client.get("/api/v1/todos/stats").json()["total"] == 2


def test_the_collection_etag_changes_with_any_write(auth_client):
    etag = auth_client.get("/api/v1/lists")["ETag"]
    assert auth_client.get("/api/v1/lists", HTTP_IF_NONE_MATCH=etag).status_code == 304

    auth_client.post("/api/v1/todos", {"title": "counts change"})

    assert auth_client.get("/api/v1/lists", HTTP_IF_NONE_MATCH=etag).status_code == 200


def test_listing_costs_the_same_whatever_the_number_of_lists(
    auth_client, django_assert_max_num_queries
):
    for n in range(3):
        create_list(auth_client, name=f"L{n}")
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        auth_client.get("/api/v1/lists")
    for n in range(12):
        create_list(auth_client, name=f"M{n}")
    with CaptureQueriesContext(connection) as many:
        auth_client.get("/api/v1/lists")

    assert len(many) == len(few) <= 4
