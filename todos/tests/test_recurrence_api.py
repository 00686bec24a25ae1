"""Recurring todos and the completion history, through the HTTP API."""

import datetime as dt

import pytest

from testing.helpers import assert_problem, todo_changes

pytestmark = pytest.mark.django_db


def utc_today():
    return dt.datetime.now(dt.UTC).date()


def create(client, **fields):
    response = client.post("/api/v1/todos", {"title": "Again", **fields}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def complete(client, todo):
    response = client.patch(f"/api/v1/todos/{todo['id']}", {"completed": True})
    assert response.status_code == 200, response.content
    return response


def last_weekday_before(day, weekday):
    """The latest date before `day` falling on `weekday` (0 = Monday)."""
    back = (day.weekday() - weekday) % 7 or 7
    return day - dt.timedelta(days=back)


def test_completing_a_late_weekly_todo_moves_it_to_the_next_day_after_today(
    auth_client,
):
    today = utc_today()
    two_weeks_late = last_weekday_before(today, 0) - dt.timedelta(days=14)
    todo = create(
        auth_client,
        due_date=two_weeks_late.isoformat(),
        recurrence="FREQ=WEEKLY;BYDAY=MO,WE",
    )
    etag = auth_client.get(f"/api/v1/todos/{todo['id']}")["ETag"]
    cursor = auth_client.get("/api/v1/todos/changes").json()["cursor"]

    done = complete(auth_client, todo)

    body = done.json()
    due = dt.date.fromisoformat(body["due_date"])
    assert due > today and due.weekday() in (0, 2)
    assert due - today <= dt.timedelta(days=7)
    assert body["completed"] is False and body["completed_at"] is None
    assert body["last_completed_at"] is not None
    assert done["ETag"] != etag
    changes = todo_changes(
        auth_client.get("/api/v1/todos/changes", {"cursor": cursor}).json()
    )
    assert [(c["op"], c["todo"]["due_date"]) for c in changes] == [
        ("upsert", body["due_date"])
    ]
    (entry,) = auth_client.get("/api/v1/todos/completions").json()["results"]
    assert entry["todo_id"] == todo["id"]
    assert entry["due_date"] == two_weeks_late.isoformat()


def test_an_exhausted_rule_completes_the_todo_for_good(auth_client):
    start = utc_today() - dt.timedelta(days=5)
    todo = create(
        auth_client, due_date=start.isoformat(), recurrence="FREQ=DAILY;COUNT=2"
    )

    body = complete(auth_client, todo).json()

    assert body["completed"] is True
    assert body["due_date"] == start.isoformat()


def test_monthly_on_the_31st_skips_the_months_without_one(auth_client):
    todo = create(
        auth_client, due_date="2030-01-31", recurrence="FREQ=MONTHLY;BYMONTHDAY=31"
    )

    assert complete(auth_client, todo).json()["due_date"] == "2030-03-31"


def test_the_last_day_of_each_month(auth_client):
    todo = create(
        auth_client, due_date="2030-01-31", recurrence="FREQ=MONTHLY;BYMONTHDAY=-1"
    )

    assert complete(auth_client, todo).json()["due_date"] == "2030-02-28"


def test_a_daily_todo_keeps_its_local_time_across_a_dst_change(auth_client):
    todo = create(
        auth_client,
        due_date="2030-03-30",
        due_time="09:00",
        due_timezone="Europe/Paris",
        recurrence="FREQ=DAILY",
    )
    assert todo["due_at"] == "2030-03-30T08:00:00Z"

    body = complete(auth_client, todo).json()

    assert (body["due_date"], body["due_time"]) == ("2030-03-31", "09:00:00")
    assert body["due_at"] == "2030-03-31T07:00:00Z"  # summer time


def test_every_three_days_after_it_was_done(auth_client):
    todo = create(
        auth_client,
        due_date="2020-01-01",
        recurrence="FREQ=DAILY;INTERVAL=3",
        recurrence_basis="completion",
    )

    body = complete(auth_client, todo).json()

    assert body["due_date"] == (utc_today() + dt.timedelta(days=3)).isoformat()


def test_skip_moves_on_without_a_completion(auth_client):
    todo = create(auth_client, due_date="2030-01-07", recurrence="FREQ=WEEKLY")

    skipped = auth_client.post(f"/api/v1/todos/{todo['id']}/skip")

    assert skipped.status_code == 200
    assert skipped.json()["due_date"] == "2030-01-14"
    assert skipped.json()["last_completed_at"] is None
    assert auth_client.get("/api/v1/todos/completions").json()["count"] == 0
    plain = create(auth_client, due_date="2030-01-07")
    response = auth_client.post(f"/api/v1/todos/{plain['id']}/skip")
    assert assert_problem(response, 409)["code"] == "no_next_occurrence"


@pytest.mark.parametrize(
    "fields",
    [
        {"recurrence": "FREQ=WEEKLY"},  # no due date
        {"due_date": "2030-01-01", "recurrence": "FREQ=HOURLY"},
        {"due_date": "2030-01-01", "recurrence": "FREQ=MINUTELY"},
        {"due_date": "2030-01-01", "recurrence": "FREQ=SECONDLY"},
        {"due_date": "2030-01-01", "recurrence": "every monday"},
        {"due_date": "2030-01-01", "recurrence": "FREQ=WEEKLY;BYDAY=XX"},
        {"due_date": "2030-01-01", "recurrence": "FREQ=WEEKLY;COUNT=0"},
        {"due_date": "2030-01-01", "recurrence": "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30"},
        {"due_date": "2030-01-01", "recurrence": "FREQ=DAILY;BYHOUR=9"},
        {"due_date": "2030-01-01", "recurrence": "FREQ=WEEKLY;" + "X" * 400},
    ],
)
def test_bad_rules_say_recurrence(auth_client, fields):
    response = auth_client.post(
        "/api/v1/todos", {"title": "x", **fields}, format="json"
    )

    assert_problem(response, 400, "recurrence")
    assert auth_client.get("/api/v1/todos").json()["count"] == 0


def test_completions_of_plain_todos_come_and_go(auth_client):
    todo = create(auth_client, title="Once")
    complete(auth_client, todo)
    assert auth_client.get("/api/v1/todos/completions").json()["count"] == 1

    auth_client.patch(f"/api/v1/todos/{todo['id']}", {"completed": False})
    assert auth_client.get("/api/v1/todos/completions").json()["count"] == 0

    complete(auth_client, todo)
    auth_client.delete(f"/api/v1/todos/{todo['id']}")
    assert auth_client.get("/api/v1/todos/completions").json()["count"] == 0


def test_completions_are_filtered_newest_first_and_the_callers_own(
    auth_client, other_client
):
    groceries = auth_client.post("/api/v1/lists", {"name": "Groceries"}).json()
    weekly = create(auth_client, due_date="2030-01-07", recurrence="FREQ=WEEKLY")
    milk = create(auth_client, title="Milk", list=groceries["id"])
    for _ in range(2):
        complete(auth_client, weekly)
    complete(auth_client, milk)
    other = create(other_client, title="Not mine")
    complete(other_client, other)

    body = auth_client.get("/api/v1/todos/completions").json()
    assert [e["title"] for e in body["results"]] == ["Milk", "Again", "Again"]
    assert [e["due_date"] for e in body["results"][1:]] == ["2030-01-14", "2030-01-07"]
    only = auth_client.get(f"/api/v1/todos/completions?list={groceries['id']}").json()
    assert [e["title"] for e in only["results"]] == ["Milk"]
    later = body["results"][0]["completed_at"]
    since = auth_client.get("/api/v1/todos/completions", {"since": later}).json()
    assert [e["title"] for e in since["results"]] == ["Milk"]
    until = auth_client.get("/api/v1/todos/completions", {"until": later}).json()
    assert [e["title"] for e in until["results"]] == ["Again", "Again"]
    for bad in (
        "yesterday",
        "2030-13-01T00:00:00Z",
        "2030-01-01T00:00:00",  # no offset
        "9999-12-31T23:59:59-23:59",  # past year 9999 in UTC
    ):
        response = auth_client.get("/api/v1/todos/completions", {"since": bad})
        assert_problem(response, 400, "since")
    # An offset PostgreSQL could not hold is read in UTC.
    far = auth_client.get(
        "/api/v1/todos/completions", {"until": "4047-05-02T00:03:35-23:57"}
    )
    assert far.json()["count"] == 3


def test_the_recurring_filter(auth_client):
    create(auth_client, due_date="2030-01-07", recurrence="FREQ=WEEKLY")
    create(auth_client, title="Once")

    def titles(value):
        page = auth_client.get(f"/api/v1/todos?recurring={value}").json()
        return [todo["title"] for todo in page["results"]]

    assert titles("true") == ["Again"]
    assert titles("false") == ["Once"]


def test_bulk_completes_recurring_todos_too(auth_client):
    todo = create(auth_client, due_date="2030-01-07", recurrence="FREQ=WEEKLY")

    (result,) = auth_client.post(
        "/api/v1/todos/bulk",
        {
            "operations": [
                {"op": "update", "id": todo["id"], "data": {"completed": True}}
            ],
            "atomic": True,
        },
        format="json",
    ).json()["results"]

    assert result["todo"]["due_date"] == "2030-01-14"
    assert result["todo"]["completed"] is False
    assert auth_client.get("/api/v1/todos/completions").json()["count"] == 1


def test_a_changed_due_restarts_the_rule_from_it(auth_client):
    todo = create(auth_client, due_date="2030-01-07", recurrence="FREQ=WEEKLY;COUNT=2")
    complete(auth_client, todo)  # the second and last occurrence: 2030-01-14
    moved = auth_client.patch(
        f"/api/v1/todos/{todo['id']}", {"due_date": "2030-02-04"}
    ).json()

    assert complete(auth_client, moved).json()["due_date"] == "2030-02-11"


def test_daily_counts_of_completions_and_new_todos(
    auth_client, django_assert_max_num_queries
):
    groceries = auth_client.post("/api/v1/lists", {"name": "Groceries"}).json()
    weekly = create(auth_client, due_date="2030-01-07", recurrence="FREQ=WEEKLY")
    complete(auth_client, weekly)
    complete(auth_client, weekly)
    milk = create(auth_client, title="Milk", list=groceries["id"])
    complete(auth_client, milk)
    create(auth_client, title="Open")

    with django_assert_max_num_queries(5):
        days = auth_client.get("/api/v1/todos/stats/daily", {"days": 3}).json()

    today = utc_today()
    assert [day["date"] for day in days] == [
        (today - dt.timedelta(days=n)).isoformat() for n in (2, 1, 0)
    ]
    assert days[-1] == {"date": today.isoformat(), "completed": 3, "created": 3}
    assert days[0]["completed"] == days[0]["created"] == 0
    in_list = auth_client.get(
        "/api/v1/todos/stats/daily", {"days": 1, "list": groceries["id"]}
    ).json()
    assert in_list == [{"date": today.isoformat(), "completed": 1, "created": 1}]
    assert len(auth_client.get("/api/v1/todos/stats/daily").json()) == 30
    for bad in ("0", "367", "x"):
        response = auth_client.get("/api/v1/todos/stats/daily", {"days": bad})
        assert_problem(response, 400, "days")
