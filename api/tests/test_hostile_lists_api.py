"""
Oversize lists are refused before any of their items is looked at: a body
of tens of thousands of entries costs one length check, not one check each.

Each hostile list below starts with an invalid item; the answer names the
list's length, never that item, which proves no item was examined.
"""

import json

import pytest
from django.conf import settings

from testing.helpers import assert_problem

pytestmark = pytest.mark.django_db

# As many short entries as fit a maximal (256 KiB) request body.
HOSTILE = 30_000


def post_json(client, path, body):
    payload = json.dumps(body)
    assert len(payload) <= settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return client.post(path, payload, content_type="application/json")


def messages(body):
    return {error["field"]: error["message"] for error in body["errors"]}


def test_create_rejects_a_tag_bomb_by_its_length(auth_client):
    tags = [7] + [str(n % 1000) for n in range(HOSTILE)]

    body = assert_problem(
        post_json(auth_client, "/api/v1/todos", {"title": "x", "tags": tags}),
        400,
        "tags",
    )

    assert messages(body) == {"tags": "At most 20 tags."}


def test_bulk_rejects_an_operations_bomb_by_its_length(auth_client):
    operations = [{"op": "explode"}] + [{}] * HOSTILE

    body = assert_problem(
        post_json(auth_client, "/api/v1/todos/bulk", {"operations": operations}),
        400,
        "operations",
    )

    assert list(messages(body)) == ["operations"]
    assert "no more than 100" in messages(body)["operations"]


def test_bulk_rejects_a_tag_bomb_inside_an_operation(auth_client):
    tags = [7] + ["t"] * 20_000
    operations = [{"op": "create", "data": {"title": "x", "tags": tags}}]

    response = post_json(auth_client, "/api/v1/todos/bulk", {"operations": operations})

    assert response.status_code == 200
    (result,) = response.json()["results"]
    assert result["status"] == 400
    assert messages(result["error"]) == {"tags": "At most 20 tags."}


def test_token_create_rejects_a_scopes_bomb_by_its_length(api_client, user):
    api_client.force_login(user)
    scopes = [7] + ["todos:read"] * (HOSTILE // 2)

    body = assert_problem(
        post_json(api_client, "/api/v1/auth/tokens", {"name": "x", "scopes": scopes}),
        400,
        "scopes",
    )

    assert list(messages(body)) == ["scopes"]


def test_tag_filter_rejects_a_long_list_by_its_length(auth_client):
    query = ",".join(["\x01"] + ["t"] * 500)

    body = assert_problem(auth_client.get("/api/v1/todos", {"tag": query}), 400, "tag")

    assert messages(body) == {"tag": "At most 20 tags."}


def test_ordering_rejects_more_keys_than_fields(auth_client):
    from todos.filters import ORDERING_FIELDS

    query = "&".join(["ordering=title"] * (len(ORDERING_FIELDS) + 1))

    assert_problem(auth_client.get(f"/api/v1/todos?{query}"), 400, "ordering")
