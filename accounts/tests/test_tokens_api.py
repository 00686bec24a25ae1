"""Personal API tokens: scoped, hashed, shown once."""

import datetime as dt
import hashlib

import pytest
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from accounts.models import ApiToken
from testing.helpers import PASSWORD, assert_problem, bearer_client

pytestmark = pytest.mark.django_db

TOKENS = "/api/v1/auth/tokens"


def issue(client, scopes=("todos:read", "todos:write"), **extra):
    response = client.post(TOKENS, {"name": "script", "scopes": list(scopes), **extra})
    assert response.status_code == 201, response.content
    return response.json()


def test_create_token_shows_it_once_and_stores_only_its_hash(auth_client):
    body = issue(auth_client, expires_in_days=30)

    assert set(body) == {
        "id",
        "name",
        "scopes",
        "created_at",
        "last_used_at",
        "expires_at",
        "token",
    }
    assert body["token"].startswith("tda_")
    assert len(body["token"]) >= 4 + 43
    assert body["scopes"] == ["todos:read", "todos:write"]
    assert body["last_used_at"] is None
    expires = parse_datetime(body["expires_at"]) - parse_datetime(body["created_at"])
    assert expires == dt.timedelta(days=30)
    row = ApiToken.objects.get()
    assert row.key_hash == hashlib.sha256(body["token"].encode()).hexdigest()
    listed = auth_client.get(TOKENS)
    assert body["token"] not in listed.content.decode()
    assert [item["id"] for item in listed.json()] == [body["id"]]
    assert "token" not in listed.json()[0]


def test_token_expires_in_90_days_by_default(auth_client):
    body = issue(auth_client)

    delta = parse_datetime(body["expires_at"]) - parse_datetime(body["created_at"])
    assert delta == dt.timedelta(days=90)


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"scopes": ["todos:read"]}, "name"),
        ({"name": "", "scopes": ["todos:read"]}, "name"),
        ({"name": "x" * 101, "scopes": ["todos:read"]}, "name"),
        ({"name": "x"}, "scopes"),
        ({"name": "x", "scopes": []}, "scopes"),
        ({"name": "x", "scopes": ["admin"]}, "scopes.0"),
        ({"name": "x", "scopes": "todos:read"}, "scopes"),
        (
            {"name": "x", "scopes": ["todos:read"], "expires_in_days": 0},
            "expires_in_days",
        ),
        (
            {"name": "x", "scopes": ["todos:read"], "expires_in_days": 366},
            "expires_in_days",
        ),
        (
            {"name": "x", "scopes": ["todos:read"], "expires_in_days": "30"},
            "expires_in_days",
        ),
    ],
)
def test_create_token_rejects_bad_input(auth_client, payload, field):
    assert_problem(auth_client.post(TOKENS, payload), 400, field=field)
    assert not ApiToken.objects.exists()


def test_token_with_both_scopes_reads_and_writes_todos(auth_client):
    client = bearer_client(token=issue(auth_client)["token"])

    created = client.post("/api/v1/todos", {"title": "by script"})
    assert created.status_code == 201
    assert client.get("/api/v1/todos").json()["count"] == 1
    assert client.patch(created["Location"], {"completed": True}).status_code == 200
    assert client.delete(created["Location"]).status_code == 204


def test_read_only_token_gets_403_on_every_write(auth_client):
    todo = auth_client.post("/api/v1/todos", {"title": "x"})
    client = bearer_client(token=issue(auth_client, scopes=["todos:read"])["token"])

    assert client.get("/api/v1/todos").status_code == 200
    assert client.get("/api/v1/todos/stats").status_code == 200
    assert client.get("/api/v1/todos/changes").status_code == 200
    for response in (
        client.post("/api/v1/todos", {"title": "y"}),
        client.patch(todo["Location"], {"title": "z"}),
        client.put(todo["Location"], {"title": "z"}),
        client.delete(todo["Location"]),
        client.post("/api/v1/todos/bulk", {"operations": []}, format="json"),
    ):
        body = assert_problem(response, 403)
        assert "todos:write" in body["detail"]
    assert auth_client.get(todo["Location"]).json()["title"] == "x"


def test_write_only_token_cannot_read(auth_client):
    client = bearer_client(token=issue(auth_client, scopes=["todos:write"])["token"])

    assert_problem(client.get("/api/v1/todos"), 403)
    assert client.post("/api/v1/todos", {"title": "y"}).status_code == 201


@pytest.mark.parametrize(
    "method, path, payload",
    [
        ("get", TOKENS, None),
        ("post", TOKENS, {"name": "x", "scopes": ["todos:read"]}),
        ("delete", f"{TOKENS}/1", None),
        ("get", "/api/v1/auth/sessions", None),
        ("delete", "/api/v1/auth/sessions/1", None),
        ("post", "/api/v1/auth/signout", None),
        ("post", "/api/v1/auth/signout-all", None),
        (
            "post",
            "/api/v1/auth/password",
            {"current_password": PASSWORD, "new_password": "n" * 20},
        ),
        ("patch", "/api/v1/auth/me", {"name": "x"}),
        ("delete", "/api/v1/auth/me", {"password": PASSWORD}),
    ],
)
def test_api_tokens_cannot_manage_tokens_sessions_password_or_account(
    auth_client, user, method, path, payload
):
    client = bearer_client(token=issue(auth_client)["token"])

    assert_problem(getattr(client, method)(path, payload), 403)
    user.refresh_from_db()
    assert user.check_password(PASSWORD) and user.name == ""
    assert ApiToken.objects.count() == 1


def test_api_token_may_read_the_profile(auth_client):
    client = bearer_client(token=issue(auth_client, scopes=["todos:read"])["token"])

    assert client.get("/api/v1/auth/me").json()["email"] == "user@example.com"


def test_revoked_token_is_401(auth_client):
    body = issue(auth_client)
    client = bearer_client(token=body["token"])

    assert auth_client.delete(f"{TOKENS}/{body['id']}").status_code == 204
    assert_problem(client.get("/api/v1/todos"), 401)


def test_another_users_token_cannot_be_revoked(auth_client, other_client):
    theirs = issue(other_client)

    assert_problem(auth_client.delete(f"{TOKENS}/{theirs['id']}"), 404)
    assert bearer_client(token=theirs["token"]).get("/api/v1/todos").status_code == 200


def test_expired_token_is_401(auth_client):
    client = bearer_client(token=issue(auth_client)["token"])
    ApiToken.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))

    assert_problem(client.get("/api/v1/todos"), 401)


@pytest.mark.parametrize("token", ["tda_", "tda_not-a-real-token", "tda_" + "x" * 43])
def test_unknown_token_is_401(token):
    assert_problem(bearer_client(token=token).get("/api/v1/todos"), 401)


def test_token_use_is_recorded(auth_client):
    body = issue(auth_client)

    bearer_client(token=body["token"]).get("/api/v1/todos")

    assert auth_client.get(TOKENS).json()[0]["last_used_at"] is not None


def test_password_change_keeps_tokens(auth_client, user):
    client = bearer_client(token=issue(auth_client)["token"])

    auth_client.post(
        "/api/v1/auth/password",
        {"current_password": PASSWORD, "new_password": "a whole new passphrase"},
    )

    assert client.get("/api/v1/todos").status_code == 200


def test_account_deletion_revokes_tokens(auth_client):
    client = bearer_client(token=issue(auth_client)["token"])

    auth_client.delete("/api/v1/auth/me", {"password": PASSWORD})

    assert_problem(client.get("/api/v1/todos"), 401)
    assert not ApiToken.objects.exists()


def test_deactivated_users_tokens_are_401(auth_client, user):
    client = bearer_client(token=issue(auth_client)["token"])
    user.is_active = False
    user.save()

    assert_problem(client.get("/api/v1/todos"), 401)


def test_token_sees_only_its_users_todos(auth_client, other_client):
    other_client.post("/api/v1/todos", {"title": "theirs"})
    client = bearer_client(token=issue(auth_client)["token"])

    assert client.get("/api/v1/todos").json()["count"] == 0
