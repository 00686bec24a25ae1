"""Hostile input gets a 400 (or 413) naming what is wrong, and changes nothing."""

import json

import pytest
from django.contrib.auth import get_user_model

from testing.helpers import PASSWORD, assert_problem
from todos.models import Todo

pytestmark = pytest.mark.django_db

User = get_user_model()

NUL = "bad\x00value"
SURROGATE = '"bad\\ud800value"'  # a lone surrogate, as JSON text


def post_raw(client, path, text, method="post"):
    return getattr(client, method)(path, text, content_type="application/json")


@pytest.mark.parametrize(
    "field, base",
    [("title", {}), ("description", {"title": "ok"})],
)
def test_nul_byte_in_a_todo_string_is_400_naming_it(auth_client, field, base):
    response = auth_client.post("/api/v1/todos", {**base, field: NUL})

    assert_problem(response, 400, field=field)
    assert not Todo.objects.exists()


def test_nul_byte_in_a_tag_is_400(auth_client):
    assert_problem(
        auth_client.post("/api/v1/todos", {"title": "ok", "tags": [NUL]}), 400, "tags"
    )
    assert not Todo.objects.exists()


@pytest.mark.parametrize(
    "template, field",
    [
        ('{"title": %s}', "title"),
        ('{"title": "ok", "description": %s}', "description"),
        ('{"title": "ok", "tags": [%s]}', "tags"),
    ],
)
def test_lone_surrogate_in_a_todo_string_is_400(auth_client, template, field):
    response = post_raw(auth_client, "/api/v1/todos", template % SURROGATE)

    assert_problem(response, 400, field=field)
    assert not Todo.objects.exists()


@pytest.mark.parametrize(
    "path, template, field",
    [
        ("/api/v1/auth/signup", '{"email": %s, "password": "x"}', "email"),
        (
            "/api/v1/auth/signup",
            '{"email": "a@example.com", "password": %s}',
            "password",
        ),
        (
            "/api/v1/auth/signup",
            '{"email": "a@example.com", "password": "long enough pass", "name": %s}',
            "name",
        ),
        (
            "/api/v1/auth/signin",
            '{"email": "a@example.com", "password": %s}',
            "password",
        ),
    ],
)
def test_nul_and_surrogates_in_account_fields_are_400(
    api_client, path, template, field
):
    for value in (json.dumps(NUL), SURROGATE):
        assert_problem(post_raw(api_client, path, template % value), 400, field=field)
    assert not User.objects.exists()


@pytest.mark.parametrize("field", ["name", "timezone"])
def test_nul_and_surrogates_in_profile_fields_are_400(auth_client, user, field):
    for value in (json.dumps(NUL), SURROGATE):
        response = post_raw(
            auth_client,
            "/api/v1/auth/me",
            f'{{"{field}": {value}}}',
            method="patch",
        )
        assert_problem(response, 400, field=field)
    user.refresh_from_db()
    assert (user.name, user.timezone) == ("", "UTC")


def test_nul_in_a_query_parameter_is_400(auth_client):
    assert_problem(auth_client.get("/api/v1/todos?search=a%00b"), 400, field="search")
    assert_problem(auth_client.get("/api/v1/todos?tag=a%00b"), 400, field="tag")


@pytest.mark.parametrize(
    "body",
    [
        '{"title": ' + "[" * 50_000 + "]" * 50_000 + "}",
        "{" + '"a": {' * 30_000 + "}" * 30_001,
        '{"title": "ok", "priority": ' + "9" * 5000 + "}",
    ],
)
def test_absurd_json_is_400(auth_client, body):
    assert_problem(post_raw(auth_client, "/api/v1/todos", body), 400)
    assert not Todo.objects.exists()


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"title": "ok", "priority": 10**300}, "priority"),
        ({"title": "ok", "completed": 10**300}, "completed"),
        ({"title": ["a", "b"]}, "title"),
        ({"title": {"nested": "object"}}, "title"),
        ({"title": "ok", "due_date": ["2030-01-01"]}, "due_date"),
        ({"title": "ok", "tags": [["nested"]]}, "tags"),
        ({"title": "ok", "tags": {"a": 1}}, "tags"),
        ({"title": None}, "title"),
    ],
)
def test_wrongly_typed_values_are_400_naming_the_field(auth_client, payload, field):
    assert_problem(auth_client.post("/api/v1/todos", payload), 400, field=field)
    assert not Todo.objects.exists()


def test_number_too_large_for_a_float_is_400(auth_client):
    response = post_raw(auth_client, "/api/v1/todos", '{"title": 1e999}')

    assert_problem(response, 400, field="title")


@pytest.mark.parametrize("field", ["priority", "due_date"])
def test_error_quoting_a_lone_surrogate_still_renders(auth_client, field):
    body = f'{{"title": "ok", "{field}": {SURROGATE}}}'

    assert_problem(post_raw(auth_client, "/api/v1/todos", body), 400, field=field)


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"email": None, "password": PASSWORD}, "email"),
        ({"email": "a@example.com", "password": None}, "password"),
        ({"email": ["a@example.com"], "password": PASSWORD}, "email"),
    ],
)
def test_wrongly_typed_credentials_are_400(api_client, payload, field):
    assert_problem(api_client.post("/api/v1/auth/signin", payload), 400, field=field)


def test_oversized_body_is_413_and_changes_nothing(auth_client, settings):
    body = json.dumps({"title": "ok", "description": "x" * (300 * 1024)})

    response = post_raw(auth_client, "/api/v1/todos", body)

    assert_problem(response, 413)
    assert not Todo.objects.exists()


def test_oversized_update_is_413_and_changes_nothing(auth_client, make_todo):
    todo = make_todo(title="same")
    body = json.dumps({"title": "x" * (300 * 1024)})

    assert_problem(
        post_raw(auth_client, f"/api/v1/todos/{todo.pk}", body, "patch"), 413
    )
    todo.refresh_from_db()
    assert todo.title == "same"
