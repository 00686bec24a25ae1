"""
The bodies built by hand for speed (stats, the change feed, bulk results)
match the schema components that document them, key for key: every
documented key present, no undocumented one, each of its documented type.
"""

import jsonschema
import pytest

from testing.helpers import todo_changes

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    from rest_framework.test import APIClient

    with django_db_blocker.unblock():
        return APIClient().get("/api/schema/", {"format": "json"}).json()


def strict(node):
    """
    An OpenAPI 3.0 schema as JSON Schema: `nullable` as a null type, and no
    keys beyond the documented ones on an object with declared properties.
    """
    if isinstance(node, list):
        return [strict(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: strict(value) for key, value in node.items()}
    if "properties" in node:
        node.setdefault("additionalProperties", False)
    if node.pop("nullable", False):
        return {"anyOf": [node, {"type": "null"}]}
    return node


def assert_documented(schema, path, method, status, body):
    response = schema["paths"][path][method]["responses"][str(status)]
    media = next(iter(response["content"].values()))
    # The components ride along, so that the answer's $refs resolve.
    document = {**media["schema"], "components": schema["components"]}
    jsonschema.validate(body, strict(document))


def test_stats_bodies_match_their_schema(schema, auth_client):
    auth_client.post("/api/v1/todos", {"title": "a", "tags": ["x"], "completed": True})
    auth_client.post("/api/v1/todos", {"title": "b", "due_date": "2000-01-01"})

    for params in ({}, {"search": ""}, {"tag": "x"}):  # summary and aggregate
        body = auth_client.get("/api/v1/todos/stats", params).json()
        assert body["total"] >= 1
        assert_documented(schema, "/api/v1/todos/stats", "get", 200, body)


def test_change_feed_bodies_match_their_schema(schema, auth_client):
    cursor = auth_client.get("/api/v1/todos/changes").json()["cursor"]
    kept = auth_client.post("/api/v1/todos", {"title": "kept"}).json()
    gone = auth_client.post("/api/v1/todos", {"title": "gone"}).json()
    auth_client.delete(f"/api/v1/todos/{gone['id']}")

    body = auth_client.get("/api/v1/todos/changes", {"cursor": cursor}).json()

    assert {change["op"] for change in todo_changes(body)} == {"upsert", "delete"}
    assert kept["id"] in [c.get("todo", {}).get("id") for c in body["changes"]]
    assert_documented(schema, "/api/v1/todos/changes", "get", 200, body)


def test_bulk_bodies_match_their_schema(schema, auth_client):
    todo = auth_client.post("/api/v1/todos", {"title": "t"}).json()

    for atomic in (False, True):
        other = auth_client.post("/api/v1/todos", {"title": "u"}).json()
        operations = [
            {"op": "create", "data": {"title": "new"}},
            {"op": "update", "id": todo["id"], "data": {"priority": "high"}},
            {"op": "delete", "id": other["id"]},
            {"op": "update", "id": 10**12, "data": {}},
            {"op": "create", "data": {"title": ""}},
            {"op": "update", "id": todo["id"], "data": {}, "if_match": '"stale"'},
        ]
        body = auth_client.post(
            "/api/v1/todos/bulk",
            {"operations": operations, "atomic": atomic},
            format="json",
        ).json()
        statuses = [result["status"] for result in body["results"]]
        assert statuses == (
            [424, 424, 424, 404, 400, 412] if atomic else [201, 200, 204, 404, 400, 412]
        )
        assert_documented(schema, "/api/v1/todos/bulk", "post", 200, body)
