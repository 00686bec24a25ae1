"""ETags, If-Match and If-None-Match (RFC 9110) on todos, lists and stats."""

import pytest

from testing.helpers import assert_problem
from todos.models import Todo

pytestmark = pytest.mark.django_db


@pytest.fixture
def todo(auth_client):
    return auth_client.post("/api/v1/todos", {"title": "Sync me", "tags": ["a"]})


def url(response):
    return f"/api/v1/todos/{response.json()['id']}"


# --- single todo ETags -------------------------------------------------------


def test_every_single_todo_answer_carries_a_strong_etag(auth_client, todo):
    created = todo["ETag"]
    fetched = auth_client.get(url(todo))["ETag"]
    patched = auth_client.patch(url(todo), {"title": "changed"})["ETag"]
    put = auth_client.put(url(todo), {"title": "replaced"})["ETag"]

    for etag in (created, fetched, patched, put):
        assert etag.startswith('"') and etag.endswith('"')
    assert created == fetched
    assert len({created, patched, put}) == 3


def test_etag_does_not_change_without_a_change(auth_client, todo):
    before = auth_client.get(url(todo))

    same = auth_client.patch(url(todo), {"title": "Sync me", "tags": ["A"]})

    assert same.status_code == 200
    assert same["ETag"] == before["ETag"]
    assert same.json()["updated_at"] == before.json()["updated_at"]


def test_etag_changes_when_the_todo_changes_by_any_route(auth_client, todo):
    before = todo["ETag"]
    instance = Todo.objects.get()
    instance.completed = True
    instance.save()  # e.g. the admin

    assert auth_client.get(url(todo))["ETag"] != before


def test_etags_of_different_todos_differ(auth_client):
    first = auth_client.post("/api/v1/todos", {"title": "same"})
    second = auth_client.post("/api/v1/todos", {"title": "same"})

    assert first["ETag"] != second["ETag"]


# --- If-Match on writes ------------------------------------------------------


@pytest.mark.parametrize(
    "method, payload",
    [("put", {"title": "new"}), ("patch", {"title": "new"}), ("delete", None)],
)
def test_write_with_current_etag_succeeds(auth_client, todo, method, payload):
    response = getattr(auth_client, method)(
        url(todo), payload, HTTP_IF_MATCH=todo["ETag"]
    )

    assert response.status_code in (200, 204)


@pytest.mark.parametrize(
    "method, payload",
    [("put", {"title": "new"}), ("patch", {"title": "new"}), ("delete", None)],
)
def test_write_with_stale_etag_is_412_and_changes_nothing(
    auth_client, todo, method, payload
):
    auth_client.patch(url(todo), {"title": "someone else"})  # moves the ETag on
    before = auth_client.get(url(todo))

    response = getattr(auth_client, method)(
        url(todo), payload, HTTP_IF_MATCH=todo["ETag"]
    )

    assert_problem(response, 412)
    after = auth_client.get(url(todo))
    assert after.json() == before.json()
    assert after["ETag"] == before["ETag"]


@pytest.mark.parametrize(
    "header",
    ["*", '"nope", {current}', '{current}, "nope"'],
)
def test_if_match_accepts_star_and_lists(auth_client, todo, header):
    value = header.format(current=todo["ETag"])

    assert (
        auth_client.patch(url(todo), {"title": "x"}, HTTP_IF_MATCH=value).status_code
        == 200
    )


def test_if_match_never_matches_a_weak_etag(auth_client, todo):
    response = auth_client.patch(
        url(todo), {"title": "x"}, HTTP_IF_MATCH=f"W/{todo['ETag']}"
    )

    assert_problem(response, 412)


def test_if_match_on_a_missing_todo_is_404(auth_client):
    assert_problem(auth_client.patch("/api/v1/todos/99999", {}, HTTP_IF_MATCH="*"), 404)


def test_if_match_on_another_users_todo_is_404(other_client, todo):
    response = other_client.delete(url(todo), HTTP_IF_MATCH=todo["ETag"])

    assert_problem(response, 404)


def test_invalid_write_with_current_etag_is_400_and_keeps_the_etag(auth_client, todo):
    response = auth_client.patch(url(todo), {"title": ""}, HTTP_IF_MATCH=todo["ETag"])

    assert_problem(response, 400, field="title")
    assert auth_client.get(url(todo))["ETag"] == todo["ETag"]


# --- If-None-Match on reads --------------------------------------------------


def test_get_with_matching_if_none_match_is_304_without_body(auth_client, todo):
    response = auth_client.get(url(todo), HTTP_IF_NONE_MATCH=todo["ETag"])

    assert response.status_code == 304
    assert response.content == b""
    assert response["ETag"] == todo["ETag"]


@pytest.mark.parametrize("header", ['"other"', "W/{current}x"])
def test_get_with_other_if_none_match_is_200(auth_client, todo, header):
    response = auth_client.get(
        url(todo), HTTP_IF_NONE_MATCH=header.format(current=todo["ETag"])
    )

    assert response.status_code == 200


def test_get_with_weak_form_of_current_etag_is_304(auth_client, todo):
    assert (
        auth_client.get(url(todo), HTTP_IF_NONE_MATCH=f"W/{todo['ETag']}").status_code
        == 304
    )


@pytest.mark.parametrize("path", ["/api/v1/todos", "/api/v1/todos/stats"])
def test_collection_etag_gives_304_until_a_todo_changes(auth_client, todo, path):
    first = auth_client.get(path)
    etag = first["ETag"]

    assert auth_client.get(path, HTTP_IF_NONE_MATCH=etag).status_code == 304
    auth_client.patch(url(todo), {"completed": True})
    changed = auth_client.get(path, HTTP_IF_NONE_MATCH=etag)

    assert changed.status_code == 200
    assert changed["ETag"] != etag


@pytest.mark.parametrize("path", ["/api/v1/todos", "/api/v1/todos/stats"])
def test_collection_etag_changes_on_create_and_delete(auth_client, todo, path):
    etag = auth_client.get(path)["ETag"]
    auth_client.post("/api/v1/todos", {"title": "another"})
    after_create = auth_client.get(path)["ETag"]
    auth_client.delete(url(todo))
    after_delete = auth_client.get(path)["ETag"]

    assert len({etag, after_create, after_delete}) == 3


def test_collection_etag_depends_on_the_query(auth_client, todo):
    plain = auth_client.get("/api/v1/todos")["ETag"]
    filtered = auth_client.get("/api/v1/todos?completed=false")["ETag"]

    assert plain != filtered


def test_collection_etag_is_per_user(auth_client, other_client, todo):
    assert (
        auth_client.get("/api/v1/todos")["ETag"]
        != other_client.get("/api/v1/todos")["ETag"]
    )


def test_other_users_change_does_not_move_my_etag(auth_client, other_client, todo):
    etag = auth_client.get("/api/v1/todos")["ETag"]
    other_client.post("/api/v1/todos", {"title": "theirs"})

    assert auth_client.get("/api/v1/todos", HTTP_IF_NONE_MATCH=etag).status_code == 304


@pytest.mark.parametrize(
    "query, field",
    [("completed=maybe", "completed"), ("page_size=0", "page_size")],
)
def test_bad_query_is_400_even_with_a_matching_if_none_match(
    auth_client, todo, query, field
):
    # Found by fuzzing: a request that is a 400 without preconditions must
    # not turn into a 304 with them (RFC 9110 13.2.1).
    response = auth_client.get(f"/api/v1/todos?{query}", HTTP_IF_NONE_MATCH="*")

    assert_problem(response, 400, field=field)


def test_stale_if_match_is_checked_before_the_body(auth_client, todo):
    # RFC 9110 13.2.1: preconditions come before the content is processed.
    response = auth_client.patch(url(todo), {"title": ""}, HTTP_IF_MATCH='"stale"')

    assert_problem(response, 412)


@pytest.mark.parametrize("path", ["/api/v1/todos", "/api/v1/lists"])
def test_a_bad_page_is_a_400_whatever_the_preconditions(auth_client, path):
    response = auth_client.get(path, {"page": "null"}, HTTP_IF_NONE_MATCH="*")

    assert_problem(response, 400, "page")
