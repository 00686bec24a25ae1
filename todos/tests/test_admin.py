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
            "recurrence_basis": "due",
            "tags": '["B", "c"]',
        },
    )

    assert response.status_code == 302
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

    assert response.status_code == 302
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


def test_list_changelist_runs_no_query_per_row_and_searches(
    admin_client, user, other_user, django_assert_max_num_queries
):
    from todos import ledger
    from todos.lists import TodoList

    for index in range(10):
        owner = user if index % 2 else other_user
        with ledger.writing(owner.pk) as book:
            book.create_list(TodoList(owner=owner, name=f"list {index}"))
    with django_assert_max_num_queries(12) as few:
        assert admin_client.get("/admin/todos/todolist/").status_code == 200
    for index in range(10, 30):
        with ledger.writing(user.pk) as book:
            book.create_list(TodoList(owner=user, name=f"list {index}"))
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = admin_client.get("/admin/todos/todolist/")
    assert "list 29" in response.content.decode()

    found = admin_client.get("/admin/todos/todolist/?q=other@example.com")
    assert "list 0" in found.content.decode()
    assert "list 1<" not in found.content.decode()


def test_a_list_renamed_or_deleted_in_the_admin_reaches_the_feed(
    admin_client, auth_client, user
):
    from todos.lists import TodoList

    groceries = auth_client.post("/api/v1/lists", {"name": "Groceries"}).json()
    auth_client.post("/api/v1/todos", {"title": "milk", "list": groceries["id"]})
    cursor = auth_client.get("/api/v1/todos/changes").json()["cursor"]

    url = f"/admin/todos/todolist/{groceries['id']}/change/"
    form = {
        "name": "Food",
        "color": "",
        "memberships-TOTAL_FORMS": "1",
        "memberships-INITIAL_FORMS": "1",
        "memberships-MIN_NUM_FORMS": "0",
        "memberships-MAX_NUM_FORMS": "1000",
        "invitations-TOTAL_FORMS": "0",
        "invitations-INITIAL_FORMS": "0",
        "invitations-MIN_NUM_FORMS": "0",
        "invitations-MAX_NUM_FORMS": "1000",
    }
    membership = TodoList.objects.get(pk=groceries["id"]).memberships.get()
    form["memberships-0-id"] = str(membership.pk)
    form["memberships-0-list"] = str(groceries["id"])
    response = admin_client.post(url, form)
    assert response.status_code == 302
    renamed = auth_client.get("/api/v1/todos/changes", {"cursor": cursor}).json()
    assert [c["list"]["name"] for c in renamed["changes"] if c["type"] == "list"] == [
        "Food"
    ]

    deleted = admin_client.post(
        f"/admin/todos/todolist/{groceries['id']}/delete/", {"post": "yes"}
    )
    assert deleted.status_code == 302
    later = auth_client.get("/api/v1/todos/changes", {"cursor": renamed["cursor"]})
    assert [(c["type"], c["op"]) for c in later.json()["changes"]] == [
        ("todo", "delete"),
        ("list", "delete"),
    ]
    inbox = TodoList.objects.get(owner=user, is_default=True)
    refused = admin_client.post(
        f"/admin/todos/todolist/{inbox.pk}/delete/", {"post": "yes"}
    )
    assert refused.status_code == 403


def test_a_lists_members_and_pending_invitations_show_in_the_admin(
    admin_client, auth_client, make_user, django_assert_max_num_queries
):
    from testing.helpers import bearer_client

    groceries = auth_client.post("/api/v1/lists", {"name": "Groceries"}).json()
    friend = make_user("friend@example.com", email_verified=True)
    url = f"/api/v1/lists/{groceries['id']}/invitations"
    auth_client.post(url, {"email": "friend@example.com", "role": "viewer"})
    auth_client.post(url, {"email": "pending@example.com"})
    (invitation,) = bearer_client(friend).get("/api/v1/invitations").json()["results"]
    bearer_client(friend).post(f"/api/v1/invitations/{invitation['id']}/accept")

    page = admin_client.get(f"/admin/todos/todolist/{groceries['id']}/change/")
    text = page.content.decode()
    assert "friend@example.com" in text and "viewer" in text
    assert "pending@example.com" in text

    for index in range(10):
        auth_client.post(url, {"email": f"p{index}@example.com"})
    with django_assert_max_num_queries(12) as few:
        assert admin_client.get("/admin/todos/invitation/?q=p").status_code == 200
    few = len(few.captured_queries)
    for index in range(10, 30):
        auth_client.post(url, {"email": f"p{index}@example.com"})
    with django_assert_max_num_queries(few):
        listing = admin_client.get("/admin/todos/invitation/?q=p")
    assert "p29@example.com" in listing.content.decode()


def test_a_todos_reminders_are_edited_and_armed_in_the_admin(
    admin_client, make_todo, user
):
    from todos.reminders import Reminder

    todo = make_todo(title="Call")
    form = {
        "owner": user.pk,
        "title": "Call",
        "description": "",
        "priority": 2,
        "due_date": "2030-01-07",
        "due_time": "09:00",
        "due_timezone": "Europe/Paris",
        "recurrence_basis": "due",
        "tags": "[]",
    }
    path = f"/admin/todos/todo/{todo.pk}/change/"

    refused = admin_client.post(path, {**form, "reminders": '[{"before": "soon"}]'})
    assert refused.status_code == 200
    assert "Reminder 1: Not an ISO 8601 duration" in refused.content.decode()

    saved = admin_client.post(path, {**form, "reminders": '[{"before": "PT15M"}]'})
    assert saved.status_code == 302
    (armed,) = Reminder.objects.filter(todo=todo)
    assert armed.fires_at.isoformat() == "2030-01-07T07:45:00+00:00"
    page = admin_client.get(path).content.decode()
    assert "2030-01-07 07:45:00 UTC" in page
