"""
The admin's messages still reach the next page, once, while a request that
uses none (every API request) makes no message storage at all.
"""

import pytest
from django.contrib.auth import get_user_model
from django.utils.functional import empty

from todos.models import Todo

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    admin = get_user_model().objects.create_superuser(
        email="admin@example.com", password="x"
    )
    client.force_login(admin)
    return client


def test_an_admin_message_is_shown_on_the_next_page_once(admin_client, make_todo):
    todo = make_todo(title="Going away")

    deleted = admin_client.post(f"/admin/todos/todo/{todo.pk}/delete/", {"post": "yes"})
    shown = admin_client.get("/admin/todos/todo/")
    again = admin_client.get("/admin/todos/todo/")

    assert deleted.status_code == 302
    assert not Todo.objects.filter(pk=todo.pk).exists()
    assert "was deleted successfully" in shown.content.decode()
    assert "was deleted successfully" not in again.content.decode()


def test_an_api_request_makes_no_message_storage(auth_client):
    response = auth_client.get("/api/v1/todos")

    assert response.status_code == 200
    assert response.wsgi_request._messages._wrapped is empty
    assert "messages" not in response.cookies
