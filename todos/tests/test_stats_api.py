import datetime as dt

import pytest
from django.utils import timezone

from testing.helpers import assert_problem
from todos.models import Todo

pytestmark = pytest.mark.django_db

HIGH, MEDIUM, LOW = Todo.Priority.HIGH, Todo.Priority.MEDIUM, Todo.Priority.LOW

EMPTY = {
    "total": 0,
    "completed": 0,
    "pending": 0,
    "overdue": 0,
    "due_today": 0,
    "completion_rate": 0,
    "by_priority": {
        "low": {"total": 0, "completed": 0},
        "medium": {"total": 0, "completed": 0},
        "high": {"total": 0, "completed": 0},
    },
    "by_tag": {},
}


@pytest.fixture
def known_set(make_todo, other_user):
    today = timezone.localdate()
    yesterday, tomorrow = today - dt.timedelta(days=1), today + dt.timedelta(days=1)
    make_todo(title="1", priority=HIGH, due_date=yesterday, tags=["work", "urgent"])
    make_todo(
        title="2", priority=HIGH, due_date=yesterday, completed=True, tags=["work"]
    )
    make_todo(title="3", priority=MEDIUM, due_date=today, tags=["home"])
    make_todo(title="4", priority=MEDIUM, due_date=today, completed=True)
    make_todo(title="5", priority=LOW, due_date=tomorrow, tags=["work"])
    make_todo(title="6", priority=LOW)
    # Another user's todos never count.
    make_todo(owner=other_user, title="x", due_date=yesterday, tags=["work", "theirs"])


def test_stats_counts_the_users_todos(auth_client, known_set):
    response = auth_client.get("/api/v1/todos/stats")

    assert response.status_code == 200
    assert response.json() == {
        "total": 6,
        "completed": 2,
        "pending": 4,
        "overdue": 1,
        "due_today": 1,
        "completion_rate": 0.3333,
        "by_priority": {
            "low": {"total": 2, "completed": 0},
            "medium": {"total": 2, "completed": 1},
            "high": {"total": 2, "completed": 1},
        },
        "by_tag": {
            "home": {"total": 1, "completed": 0},
            "urgent": {"total": 1, "completed": 0},
            "work": {"total": 3, "completed": 1},
        },
    }


def test_stats_with_no_todos_are_zero(auth_client):
    assert auth_client.get("/api/v1/todos/stats").json() == EMPTY


def test_stats_honour_list_filters(auth_client, known_set):
    body = auth_client.get("/api/v1/todos/stats?priority=high").json()

    assert (body["total"], body["completed"], body["overdue"]) == (2, 1, 1)
    assert body["completion_rate"] == 0.5
    assert body["by_priority"]["low"] == {"total": 0, "completed": 0}


def test_stats_tag_filter_counts_every_tag_of_the_filtered_todos(
    auth_client, known_set
):
    body = auth_client.get("/api/v1/todos/stats?tag=urgent").json()

    assert body["total"] == 1
    assert body["by_tag"] == {
        "urgent": {"total": 1, "completed": 0},
        "work": {"total": 1, "completed": 0},
    }


def test_stats_with_filter_matching_nothing(auth_client, known_set):
    assert auth_client.get("/api/v1/todos/stats?search=zzz").json() == EMPTY


def test_stats_completion_rate_rounds_to_four_places(auth_client, make_todo):
    for index in range(7):
        make_todo(title=str(index), completed=index < 2)

    assert auth_client.get("/api/v1/todos/stats").json()["completion_rate"] == 0.2857


def test_stats_today_is_the_users_local_date(auth_client, user, make_todo):
    # A zone whose date differs from UTC's right now.
    utc_now = timezone.now()
    zone = "Pacific/Kiritimati" if utc_now.hour >= 10 else "Etc/GMT+12"
    user.timezone = zone
    user.save()
    local_today = timezone.localdate(timezone=user.zoneinfo)
    assert local_today != utc_now.date()
    make_todo(title="local today", due_date=local_today)
    make_todo(title="utc today", due_date=utc_now.date())
    make_todo(title="local today, done", due_date=local_today, completed=True)

    body = auth_client.get("/api/v1/todos/stats").json()

    assert body["due_today"] == 1
    # UTC's date is local yesterday (overdue) east of UTC, tomorrow west of it.
    assert body["overdue"] == (1 if utc_now.date() < local_today else 0)


def test_stats_require_authentication(api_client):
    assert_problem(api_client.get("/api/v1/todos/stats"), 401)
