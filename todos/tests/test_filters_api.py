import datetime as dt

import pytest
from django.utils import timezone

from testing.helpers import assert_problem
from todos.models import Todo

pytestmark = pytest.mark.django_db

HIGH, MEDIUM, LOW = Todo.Priority.HIGH, Todo.Priority.MEDIUM, Todo.Priority.LOW


def titles(response):
    assert response.status_code == 200, response.content
    return [todo["title"] for todo in response.json()["results"]]


def ago(minutes):
    return timezone.now() - dt.timedelta(minutes=minutes)


# --- filters -----------------------------------------------------------------


@pytest.fixture
def todos(make_todo):
    """A small known set, created oldest first (a is the oldest)."""
    today = timezone.localdate()
    return {
        "a": make_todo(
            title="a",
            priority=LOW,
            tags=["work"],
            created_at=ago(50),
            due_date=today - dt.timedelta(days=3),
        ),
        "b": make_todo(
            title="b",
            priority=HIGH,
            tags=["work", "urgent"],
            created_at=ago(40),
            due_date=today + dt.timedelta(days=3),
            description="Call the Bank",
        ),
        "c": make_todo(
            title="c",
            priority=MEDIUM,
            tags=["home"],
            created_at=ago(30),
            completed=True,
            due_date=today - dt.timedelta(days=1),
        ),
        "d": make_todo(title="d", priority=HIGH, created_at=ago(20)),
        "e": make_todo(
            title="e banking",
            priority=MEDIUM,
            tags=["urgent"],
            created_at=ago(10),
            due_date=today,
        ),
    }


def test_list_default_order_is_newest_first(auth_client, todos):
    assert titles(auth_client.get("/api/v1/todos")) == ["e banking", "d", "c", "b", "a"]


@pytest.mark.parametrize(
    "query, expected",
    [
        ("completed=true", ["c"]),
        ("completed=false", ["e banking", "d", "b", "a"]),
        ("completed=FALSE", ["e banking", "d", "b", "a"]),
        ("priority=high", ["d", "b"]),
        ("priority=high,low", ["d", "b", "a"]),
        ("priority=high&priority=low", ["d", "b", "a"]),
        ("priority=high,low&priority=medium", ["e banking", "d", "c", "b", "a"]),
        ("tag=work", ["b", "a"]),
        ("tag=WORK", ["b", "a"]),
        ("tag=work&tag=urgent", ["b"]),
        ("tag=work,urgent", ["b"]),
        ("tag=nothing", []),
        ("overdue=true", ["a"]),
        ("overdue=false", ["e banking", "d", "c", "b"]),
        ("search=bank", ["e banking", "b"]),
        ("search=BANK", ["e banking", "b"]),
        ("search=%", []),
        ("search=_", []),
        ("completed=false&priority=high&tag=urgent", ["b"]),
        ("unknown=ignored", ["e banking", "d", "c", "b", "a"]),
    ],
)
def test_list_filters(auth_client, todos, query, expected):
    assert titles(auth_client.get(f"/api/v1/todos?{query}")) == expected


def test_list_due_range_is_inclusive(auth_client, todos):
    today = timezone.localdate()
    after, before = today - dt.timedelta(days=1), today + dt.timedelta(days=3)

    response = auth_client.get(f"/api/v1/todos?due_after={after}&due_before={before}")

    assert titles(response) == ["e banking", "c", "b"]


def test_list_overdue_uses_the_users_timezone(auth_client, user, make_todo):
    # Pick a zone whose date differs from UTC's right now.
    utc_now = timezone.now()
    zone = "Pacific/Kiritimati" if utc_now.hour >= 10 else "Etc/GMT+12"
    user.timezone = zone
    user.save()
    local_today = timezone.localdate(timezone=user.zoneinfo)
    make_todo(title="due utc today", due_date=utc_now.date())

    overdue = titles(auth_client.get("/api/v1/todos?overdue=true"))

    expected_overdue = utc_now.date() < local_today
    assert overdue == (["due utc today"] if expected_overdue else [])


@pytest.mark.parametrize(
    "query, parameter",
    [
        ("completed=maybe", "completed"),
        ("overdue=yes", "overdue"),
        ("priority=urgent", "priority"),
        ("priority=high,urgent", "priority"),
        ("due_after=tomorrow", "due_after"),
        ("due_before=2030-13-01", "due_before"),
        ("due_after=01/02/2030", "due_after"),
        ("ordering=owner", "ordering"),
        ("ordering=-title,colour", "ordering"),
        ("tag=" + "x" * 51, "tag"),
        ("search=" + "x" * 201, "search"),
        ("search=a%00b", "search"),
        ("page_size=0", "page_size"),
        ("page_size=ten", "page_size"),
        ("page_size=-5", "page_size"),
    ],
)
def test_list_rejects_malformed_parameter(auth_client, todos, query, parameter):
    assert_problem(auth_client.get(f"/api/v1/todos?{query}"), 400, field=parameter)


def test_stats_rejects_malformed_filter(auth_client):
    assert_problem(
        auth_client.get("/api/v1/todos/stats?completed=perhaps"), 400, "completed"
    )


# --- ordering ----------------------------------------------------------------


@pytest.mark.parametrize(
    "ordering, expected",
    [
        ("title", ["a", "b", "c", "d", "e banking"]),
        ("-title", ["e banking", "d", "c", "b", "a"]),
        ("created_at", ["a", "b", "c", "d", "e banking"]),
        ("-created_at", ["e banking", "d", "c", "b", "a"]),
        # By rank, not alphabetically; ties newest first.
        ("priority", ["a", "e banking", "c", "d", "b"]),
        ("-priority", ["d", "b", "e banking", "c", "a"]),
        # Todos without a due date last in both directions.
        ("due_date", ["a", "c", "e banking", "b", "d"]),
        ("-due_date", ["b", "e banking", "c", "a", "d"]),
        ("-priority,title", ["b", "d", "c", "e banking", "a"]),
    ],
)
def test_list_ordering(auth_client, todos, ordering, expected):
    assert titles(auth_client.get(f"/api/v1/todos?ordering={ordering}")) == expected


def test_list_ordering_by_updated_at(auth_client, todos):
    todos["b"].title = "b"
    todos["b"].save()  # now the most recently updated

    assert titles(auth_client.get("/api/v1/todos?ordering=-updated_at"))[0] == "b"
    assert titles(auth_client.get("/api/v1/todos?ordering=updated_at"))[-1] == "b"


# --- pagination --------------------------------------------------------------


def test_list_paginates_20_by_default(auth_client, make_todo):
    for index in range(25):
        make_todo(title=f"t{index}")

    first = auth_client.get("/api/v1/todos").json()
    second = auth_client.get(first["next"]).json()

    assert first["count"] == 25
    assert len(first["results"]) == 20
    assert first["previous"] is None
    assert len(second["results"]) == 5
    assert second["next"] is None
    assert second["previous"].startswith("http://testserver/api/v1/todos")


def test_list_pages_are_stable_when_timestamps_tie(auth_client, make_todo):
    same_time = timezone.now()
    created = [make_todo(title=f"t{index}", created_at=same_time) for index in range(7)]

    pages = [
        titles(auth_client.get(f"/api/v1/todos?page_size=3&page={page}"))
        for page in (1, 2, 3)
    ]

    seen = [title for page in pages for title in page]
    assert seen == [todo.title for todo in sorted(created, key=lambda t: -t.pk)]


def test_list_serves_page_size_100(auth_client, make_todo, user):
    Todo.objects.bulk_create([Todo(owner=user, title=f"t{i}") for i in range(105)])

    response = auth_client.get("/api/v1/todos?page_size=100")

    assert len(response.json()["results"]) == 100


def test_list_rejects_page_size_over_100_as_documented(auth_client):
    assert_problem(auth_client.get("/api/v1/todos?page_size=101"), 400, "page_size")


def test_list_page_past_the_last_is_404(auth_client, make_todo):
    make_todo()

    assert_problem(auth_client.get("/api/v1/todos?page=3&page_size=1"), 404)


@pytest.mark.parametrize(
    "query, parameter",
    [
        ("page=0", "page"),
        ("page=-1", "page"),
        ("page=abc", "page"),
        ("page=1.5", "page"),
        ("page=%C2%B2", "page"),  # superscript two: isdigit() but not int()
        ("page_size=%C2%B2", "page_size"),
        ("page_size=%E2%91%A0", "page_size"),  # circled digit one
        ("page_size=%D9%A3", "page_size"),  # Arabic-Indic three: int() takes it
    ],
)
def test_list_rejects_non_ascii_or_malformed_numbers(auth_client, query, parameter):
    assert_problem(auth_client.get(f"/api/v1/todos?{query}"), 400, field=parameter)


def test_list_of_nothing_is_an_empty_first_page(auth_client):
    response = auth_client.get("/api/v1/todos")

    assert response.json() == {
        "count": 0,
        "next": None,
        "previous": None,
        "results": [],
    }
