import pytest
from django.contrib.auth import get_user_model

from todos.ledger import TodoTag
from todos.models import Todo

pytestmark = pytest.mark.django_db

User = get_user_model()


@pytest.fixture
def admin_client(client, make_user):
    admin = User.objects.create_superuser(email="admin@example.com", password="x")
    client.force_login(admin)
    return client


def test_todo_changelist_runs_no_query_per_row(
    admin_client, make_todo, user, other_user, django_assert_max_num_queries
):
    for index in range(30):
        make_todo(
            owner=user if index % 2 else other_user, title=f"t{index}", tags=["a", "b"]
        )

    with django_assert_max_num_queries(12) as few:
        assert admin_client.get("/admin/todos/todo/").status_code == 200
    for index in range(30, 60):
        make_todo(title=f"t{index}", tags=["c"])
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = admin_client.get("/admin/todos/todo/")
    assert "t59" in response.content.decode()


@pytest.mark.parametrize(
    "query",
    ["completed__exact=1", "priority__exact=3", "due_date__isnull=True", "q=owner@"],
)
def test_todo_changelist_filters_and_search(admin_client, make_todo, query):
    make_todo(title="findme")

    assert admin_client.get(f"/admin/todos/todo/?{query}").status_code == 200


def test_todo_change_form_saves_and_keeps_tag_index(admin_client, make_todo, user):
    todo = make_todo(title="Old", tags=["a"])

    response = admin_client.post(
        f"/admin/todos/todo/{todo.pk}/change/",
        {
            "owner": user.pk,
            "title": " New ",
            "description": "",
            "priority": 3,
            "due_date": "",
            "tags": '["B", "c"]',
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    todo.refresh_from_db()
    assert (todo.title, todo.tags) == ("New", ["b", "c"])
    assert sorted(TodoTag.objects.values_list("name", flat=True)) == ["b", "c"]


def test_admin_creates_user_by_email(admin_client):
    response = admin_client.post(
        "/admin/accounts/user/add/",
        {
            "email": "New@Example.com",
            "usable_password": "true",
            "password1": "a-long-password-42",
            "password2": "a-long-password-42",
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    assert User.objects.get(email="new@example.com").check_password(
        "a-long-password-42"
    )


def test_admin_user_pages_and_password_reset_form(admin_client, user):
    assert admin_client.get("/admin/accounts/user/").status_code == 200
    assert (
        admin_client.get(f"/admin/accounts/user/{user.pk}/change/").status_code == 200
    )

    response = admin_client.post(
        f"/admin/accounts/user/{user.pk}/password/",
        {
            "usable_password": "true",
            "password1": "brand-new-pass-99",
            "password2": "brand-new-pass-99",
        },
    )

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("brand-new-pass-99")


def test_admin_session_list_shows_sessions(admin_client, auth_client):
    assert admin_client.get("/admin/accounts/session/").status_code == 200


def test_admin_deactivation_ends_the_users_sessions(admin_client, auth_client, user):
    assert auth_client.get("/api/v1/auth/me").status_code == 200
    user.is_active = False
    user.save()

    assert auth_client.get("/api/v1/auth/me").status_code == 401
    assert Todo.objects.count() == 0


def test_todo_changelist_filters_by_owner_email_and_tag(
    admin_client, make_todo, user, other_user
):
    make_todo(owner=user, title="mine-tagged", tags=["garden"])
    make_todo(owner=user, title="mine-plain")
    make_todo(owner=other_user, title="theirs-tagged", tags=["garden"])

    by_owner = admin_client.get("/admin/todos/todo/?owner_email=USER@example.com")
    by_tag = admin_client.get("/admin/todos/todo/?tag=Garden")
    both = admin_client.get(
        "/admin/todos/todo/?tag=garden&owner_email=other@example.com"
    )

    def titles(response):
        page = response.content.decode()
        return {t for t in ("mine-tagged", "mine-plain", "theirs-tagged") if t in page}

    assert titles(by_owner) == {"mine-tagged", "mine-plain"}
    assert titles(by_tag) == {"mine-tagged", "theirs-tagged"}
    assert titles(both) == {"theirs-tagged"}
    assert 'name="owner_email"' in by_owner.content.decode()
    assert "todos/admin.css" in by_owner.content.decode()
