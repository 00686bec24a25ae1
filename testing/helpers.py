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


def todo_changes(feed_page):
    """The changes of todos in a page of GET todos/changes (lists left out)."""
    return [change for change in feed_page["changes"] if change["type"] == "todo"]


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
    Run the background jobs that are ready, here and now, in this process and
    its database connection (so in-process tests see what they do): each
    claimed and run by django-tasks-db's own Worker, as `manage.py worker`
    does, without its polling loop, which closes the connection between
    rounds and with it a test's transaction.
    """
    from django_tasks_db.management.commands.db_worker import Worker
    from django_tasks_db.models import DBTaskResult

    worker = Worker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="in-process",
        excluded_queue_names=[],
    )
    while (
        job := DBTaskResult.objects.ready().order_by("enqueued_at").first()
    ) is not None:
        job.claim(worker.worker_id)
        worker.run_task(job)


def mailed_link(message, path):
    """The link to `path` (with its token) in a mail of django.core.mail.outbox."""
    import re

    found = re.search(rf"https?://\S+{re.escape(path)}\?token=[\w-]+", message.body)
    assert found, message.body
    return found.group(0)


def token_of(link):
    return link.rsplit("token=", 1)[1]


def scoped_client(user, scopes):
    """A client with a new API token of `user`'s, of `scopes` only."""
    session = bearer_client(user)
    issued = session.post(
        "/api/v1/auth/tokens", {"name": "t", "scopes": scopes}, format="json"
    )
    assert issued.status_code == 201, issued.content
    return bearer_client(token=issued.json()["token"])
