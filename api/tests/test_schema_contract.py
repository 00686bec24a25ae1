"""
The schema says exactly what the server does, as generated clients read it:
no defaults on PATCH, every always-sent key required, unions discriminated,
every header and status declared.
"""

import json

import pytest
import yaml

from api.views import SchemaView

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    from django.test import Client

    with django_db_blocker.unblock():
        return Client().get("/api/schema/?format=json").json()


def components(schema):
    return schema["components"]["schemas"]


def operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def test_schema_format_json_answers_json_and_yaml_yaml(client):
    as_json = client.get("/api/schema/?format=json")
    as_yaml = client.get("/api/schema/?format=yaml")

    assert as_json["Content-Type"].startswith("application/")
    assert "json" in as_json["Content-Type"]
    assert json.loads(as_json.content) == yaml.safe_load(as_yaml.content)
    assert "yaml" in as_yaml["Content-Type"] or "openapi" in as_yaml["Content-Type"]
    assert not as_yaml.content.lstrip().startswith(b"{")


def test_schema_rejects_an_unknown_format(client):
    response = client.get("/api/schema/?format=xml")

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "format"


def test_schema_is_built_once_per_process(client, django_assert_num_queries):
    SchemaView._rendered.clear()
    first = client.get("/api/schema/?format=json").content
    cached = dict(SchemaView._rendered)

    again = client.get("/api/schema/?format=json").content

    assert again == first
    # The very same bytes object: served, not rebuilt.
    assert all(SchemaView._rendered[key] is cached[key] for key in cached)


def test_no_component_carries_defaults(schema):
    patched = [name for name in components(schema) if name.startswith("Patched")]

    assert {"PatchedTodoRequest", "PatchedUserRequest"} <= set(patched)
    for name, component in components(schema).items():
        for field, property_schema in component.get("properties", {}).items():
            assert "default" not in property_schema, (name, field)


def test_create_states_the_defaults_the_server_applies(schema):
    todo = components(schema)["TodoRequest"]["properties"]

    assert 'Default: `"medium"`' in todo["priority"]["description"]
    assert "Default: `false`" in todo["completed"]["description"]
    assert "priority" not in components(schema)["TodoRequest"]["required"]


def test_response_components_require_every_key(schema):
    for name, component in components(schema).items():
        if name.endswith("Request") or "properties" not in component:
            continue
        if name == "Problem":  # `errors` only on validation errors
            continue
        assert set(component.get("required", [])) == set(component["properties"]), name


def test_todo_and_user_keys_are_required_and_nullable_where_null(schema):
    todo = components(schema)["Todo"]
    user = components(schema)["User"]
    page = components(schema)["PaginatedTodoList"]

    assert {"completed", "description", "due_date", "priority", "tags"} <= set(
        todo["required"]
    )
    assert todo["properties"]["due_date"]["nullable"] is True
    assert todo["properties"]["description"]["nullable"] is True
    assert {"name", "timezone"} <= set(user["required"])
    assert set(page["required"]) == {"count", "next", "previous", "results"}
    assert page["properties"]["next"]["nullable"] is True


def test_feed_change_and_bulk_shapes_are_discriminated_unions(schema):
    schemas = components(schema)
    change = schemas["Change"]
    result = schemas["BulkResult"]
    operation = schemas["BulkOperationRequest"]

    # Four variants, told apart by `type` and `op` together (no one
    # property, so no discriminator object): each requires both tags.
    variants = [ref["$ref"].rsplit("/", 1)[1] for ref in change["oneOf"]]
    assert variants == [
        "ChangeUpsert",
        "ChangeDelete",
        "ListChangeUpsert",
        "ListChangeDelete",
    ]
    for name in variants:
        assert {"type", "op"} <= set(schemas[name]["required"])
    assert set(schemas["ChangeUpsert"]["required"]) == {"type", "op", "todo", "etag"}
    assert set(schemas["ListChangeUpsert"]["required"]) == {
        "type",
        "op",
        "list",
        "etag",
    }
    assert result["discriminator"]["propertyName"] == "outcome"
    assert set(result["discriminator"]["mapping"]) == {"saved", "deleted", "failed"}
    assert operation["discriminator"]["propertyName"] == "op"
    create = schemas["BulkCreateRequest"]
    update = schemas["BulkUpdateRequest"]
    delete = schemas["BulkDeleteRequest"]
    assert set(create["required"]) == {"op", "data"}
    assert set(update["required"]) == {"op", "id", "data"}
    assert set(delete["required"]) == {"op", "id"}
    assert "TodoRequest" in json.dumps(create["properties"]["data"])
    assert "PatchedTodoRequest" in json.dumps(update["properties"]["data"])


def test_untyped_parts_are_typed(schema):
    schemas = components(schema)
    params = {
        p["name"]: p for p in schema["paths"]["/api/v1/todos"]["get"]["parameters"]
    }
    feed = {
        p["name"]: p
        for p in schema["paths"]["/api/v1/todos/changes"]["get"]["parameters"]
    }

    for name in ("ApiToken", "IssuedApiToken", "ApiTokenCreateRequest"):
        scopes = schemas[name]["properties"]["scopes"]
        assert scopes["type"] == "array"
        assert "ScopesEnum" in json.dumps(scopes["items"])
    tag = schemas["TodoRequest"]["properties"]["tags"]
    assert tag["maxItems"] == 20 and tag["items"]["pattern"]
    assert params["search"]["schema"]["maxLength"] == 200
    page_size, limit = params["page_size"]["schema"], feed["limit"]["schema"]
    assert (page_size["minimum"], page_size["maximum"]) == (1, 100)
    assert (limit["minimum"], limit["maximum"]) == (1, 1000)


def test_ordering_is_documented_as_repeated_keys(schema):
    params = {
        p["name"]: p for p in schema["paths"]["/api/v1/todos"]["get"]["parameters"]
    }

    assert params["ordering"]["schema"]["type"] == "array"
    assert params["ordering"].get("explode", True) is True


def test_stats_documents_the_list_filters(schema):
    def names(path):
        return {p["name"] for p in schema["paths"][path]["get"]["parameters"]}

    filters = names("/api/v1/todos") - {"page", "page_size"}

    assert filters <= names("/api/v1/todos/stats")
    assert {"completed", "tag", "search", "overdue"} <= filters


def test_every_operation_has_a_summary_and_declares_500_and_request_id(schema):
    summaries = []
    for path, method, operation in operations(schema):
        assert operation.get("summary"), (method, path)
        summaries.append(operation["summary"])
        assert "500" in operation["responses"], (method, path)
        for status, response in operation["responses"].items():
            assert "X-Request-ID" in response.get("headers", {}), (path, status)
    assert len(summaries) == len(set(summaries))


def test_todo_crud_operations_are_described(schema):
    for path in ("/api/v1/todos", "/api/v1/todos/{id}"):
        for method, operation in schema["paths"][path].items():
            assert operation.get("description"), (method, path)


def test_headers_are_declared_where_sent(schema):
    paths = schema["paths"]
    create = paths["/api/v1/todos"]["post"]["responses"]["201"]["headers"]
    bulk = paths["/api/v1/todos/bulk"]["post"]["responses"]["200"]["headers"]
    signin = paths["/api/v1/auth/signin"]["post"]["responses"]
    listed = paths["/api/v1/todos"]["get"]["responses"]

    assert {"Location", "ETag", "Idempotent-Replayed", "RateLimit-Limit"} <= set(create)
    assert "Idempotent-Replayed" in bulk
    assert "Set-Cookie" in signin["200"]["headers"]
    assert (
        "Set-Cookie"
        in paths["/api/v1/auth/signup"]["post"]["responses"]["201"]["headers"]
    )
    assert "Retry-After" in signin["429"]["headers"]
    assert "Retry-After" in listed["503"]["headers"]


def test_create_links_to_the_created_todo(schema):
    links = schema["paths"]["/api/v1/todos"]["post"]["responses"]["201"]["links"]
    operation_ids = {operation["operationId"] for _, _, operation in operations(schema)}

    assert {link["operationId"] for link in links.values()} == {
        "todos_retrieve",
        "todos_update",
        "todos_partial_update",
        "todos_destroy",
    }
    assert {link["operationId"] for link in links.values()} <= operation_ids
    assert all(
        link["parameters"] == {"id": "$response.body#/id"} for link in links.values()
    )


def test_every_create_links_to_the_created_resource(schema):
    # Derived from the paths (api.schema.link_created_resources), so a new
    # resource gets its links without declaring them.
    created = schema["paths"]["/api/v1/auth/tokens"]["post"]["responses"]["201"]
    assert {link["operationId"] for link in created["links"].values()} == {
        "auth_tokens_destroy"
    }
