"""Helpers for the test suites (fixtures themselves live in the root conftest.py)."""

from rest_framework.test import APIClient

from testing import PASSWORD

__all__ = ["PASSWORD", "assert_problem", "bearer_client", "token_for"]


def token_for(user):
    """A real signed-in session for `user`; its key is a bearer token."""
    client = APIClient()
    client.force_login(user)
    return client.cookies["sessionid"].value


def bearer_client(user=None, token=None):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token or token_for(user)}")
    return client


def assert_problem(response, status, field=None):
    """Assert `response` is an RFC 9457 problem document; return its body."""
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["type"] == "about:blank"
    assert body["status"] == status
    assert isinstance(body["title"], str) and body["title"]
    assert isinstance(body["detail"], str) and body["detail"]
    if field is not None:
        assert field in [error["field"] for error in body["errors"]], body
    return body


def declared_rendering(todo):
    """
    `todo` as TodoSerializer's declared fields render it through DRF's generic
    path: what its hand-written fast path must equal (todos/tests/
    test_serializers.py), and what tests expect a todo's JSON to be.
    """
    from rest_framework.serializers import ModelSerializer

    from todos.serializers import TodoSerializer

    return ModelSerializer.to_representation(TodoSerializer(), todo)


def signin(client=None, email="user@example.com", password=PASSWORD, **extra):
    """POST auth/signin from `client` (a new one if none); returns the response."""
    client = client or APIClient()
    return client.post(
        "/api/v1/auth/signin", {"email": email, "password": password}, **extra
    )


def run_jobs():
    """
    Run the background jobs that are ready, here and now: the worker's own
    loop (django-tasks-db's db_worker) in batch mode, in this process and
    its database connection, so in-process tests see what the jobs do.
    """
    from django.core.management import call_command

    call_command("db_worker", "--batch", "--interval", "0", verbosity=0)


def mailed_link(message, path):
    """The link to `path` (with its token) in a mail of django.core.mail.outbox."""
    import re

    found = re.search(rf"https?://\S+{re.escape(path)}\?token=[\w-]+", message.body)
    assert found, message.body
    return found.group(0)


def token_of(link):
    return link.rsplit("token=", 1)[1]
