"""Due times with time zones (todos.due), through the HTTP API."""

import pytest

from testing.helpers import assert_problem

pytestmark = pytest.mark.django_db


def create(client, **fields):
    response = client.post("/api/v1/todos", {"title": "Timed", **fields}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def test_a_timed_todo_is_due_at_an_instant(auth_client):
    todo = create(
        auth_client,
        due_date="2026-12-07",
        due_time="09:00",
        due_timezone="Europe/Paris",
    )

    assert todo["due_time"] == "09:00:00"
    assert todo["due_timezone"] == "Europe/Paris"
    assert todo["due_at"] == "2026-12-07T08:00:00Z"
    assert auth_client.get(f"/api/v1/todos/{todo['id']}").json() == todo


def test_an_all_day_todo_has_no_instant(auth_client):
    todo = create(auth_client, due_date="2026-12-07")

    assert (todo["due_time"], todo["due_timezone"], todo["due_at"]) == (
        None,
        None,
        None,
    )


@pytest.mark.parametrize(
    "wall, instant",
    [
        # Spring forward in Paris: 02:00-03:00 does not exist; forward by the gap.
        (("2027-03-28", "02:30:00"), "2027-03-28T01:30:00Z"),
        # Fall back: 02:00-03:00 happens twice; the first one.
        (("2026-10-25", "02:30:00"), "2026-10-25T00:30:00Z"),
    ],
    ids=["gap", "ambiguous"],
)
def test_wall_times_around_a_dst_change(auth_client, wall, instant):
    day, time = wall
    todo = create(auth_client, due_date=day, due_time=time, due_timezone="Europe/Paris")

    assert todo["due_at"] == instant
    assert todo["due_time"] == time  # as the user wrote it


def test_a_floating_todo_follows_its_owner_across_time_zones(auth_client):
    auth_client.patch("/api/v1/auth/me", {"timezone": "America/New_York"})
    todo = create(auth_client, due_date="2026-12-07", due_time="09:00")
    assert todo["due_at"] == "2026-12-07T14:00:00Z"
    etag = auth_client.get(f"/api/v1/todos/{todo['id']}")["ETag"]
    cursor = auth_client.get("/api/v1/todos/changes").json()["cursor"]
    fixed = create(
        auth_client, due_date="2026-12-07", due_time="09:00", due_timezone="UTC"
    )

    auth_client.patch("/api/v1/auth/me", {"timezone": "Asia/Tokyo"})

    moved = auth_client.get(f"/api/v1/todos/{todo['id']}")
    assert moved.json()["due_at"] == "2026-12-07T00:00:00Z"
    assert moved["ETag"] != etag
    assert auth_client.get(f"/api/v1/todos/{fixed['id']}").json()["due_at"] == (
        "2026-12-07T09:00:00Z"
    )
    changed = auth_client.get("/api/v1/todos/changes", {"cursor": cursor}).json()
    ids = [c["todo"]["id"] for c in changed["changes"] if c["type"] == "todo"]
    assert todo["id"] in ids


def test_changing_the_date_time_or_zone_moves_the_instant(auth_client):
    todo = create(
        auth_client, due_date="2026-12-07", due_time="09:00", due_timezone="UTC"
    )
    url = f"/api/v1/todos/{todo['id']}"

    assert auth_client.patch(url, {"due_time": "10:30"}).json()["due_at"] == (
        "2026-12-07T10:30:00Z"
    )
    assert auth_client.patch(url, {"due_date": "2026-12-08"}).json()["due_at"] == (
        "2026-12-08T10:30:00Z"
    )
    zoned = auth_client.patch(url, {"due_timezone": "Asia/Kolkata"}).json()
    assert zoned["due_at"] == "2026-12-08T05:00:00Z"
    all_day = auth_client.patch(url, {"due_time": None}).json()
    assert all_day["due_at"] is None


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"due_time": "09:00"}, "due_time"),
        ({"due_date": "2026-12-07", "due_time": "9am"}, "due_time"),
        ({"due_date": "2026-12-07", "due_time": "09:00:00.5"}, "due_time"),
        ({"due_date": "2026-12-07", "due_time": "25:00"}, "due_time"),
        ({"due_date": "2026-12-07", "due_time": 900}, "due_time"),
        ({"due_date": "2026-12-07", "due_timezone": "Mars/Olympus"}, "due_timezone"),
        ({"due_date": "2026-12-07", "due_timezone": 1}, "due_timezone"),
    ],
)
def test_bad_due_times_say_which_field(auth_client, fields, field):
    response = auth_client.post(
        "/api/v1/todos", {"title": "x", **fields}, format="json"
    )

    assert_problem(response, 400, field)
    assert auth_client.get("/api/v1/todos").json()["count"] == 0


def test_a_timed_todo_keeps_its_date_or_loses_its_time_first(auth_client):
    todo = create(auth_client, due_date="2026-12-07", due_time="09:00")
    url = f"/api/v1/todos/{todo['id']}"

    assert_problem(
        auth_client.patch(url, {"due_date": None}, format="json"), 400, "due_time"
    )
    cleared = auth_client.patch(
        url, {"due_date": None, "due_time": None}, format="json"
    )
    assert cleared.status_code == 200
    assert cleared.json()["due_at"] is None


# --- overdue, due today, order ------------------------------------------------

import datetime as dt  # noqa: E402


def a_zone_at_midday():
    """A fixed-offset zone where it is now between 10:00 and 14:00."""
    now = dt.datetime.now(dt.UTC)
    for hours in range(-12, 15):
        # Etc/GMT-3 is three hours ahead of UTC (POSIX signs).
        name = f"Etc/GMT{-hours:+d}" if hours else "UTC"
        if 10 <= (now + dt.timedelta(hours=hours)).hour < 14:
            return name, now + dt.timedelta(hours=hours)
    raise AssertionError("some zone is at midday")


@pytest.fixture
def midday(auth_client):
    """The caller lives where it is midday: an hour either way is today."""
    name, local = a_zone_at_midday()
    auth_client.patch("/api/v1/auth/me", {"timezone": name})
    return local


def at(local, hours):
    moment = local + dt.timedelta(hours=hours)
    return {"due_date": moment.date().isoformat(), "due_time": moment.strftime("%H:%M")}


def test_timed_todos_are_overdue_once_their_instant_is_past(auth_client, midday):
    today = midday.date()
    made = {
        "an hour ago": create(auth_client, title="an hour ago", **at(midday, -1)),
        "in an hour": create(auth_client, title="in an hour", **at(midday, 1)),
        "all day today": create(
            auth_client, title="all day today", due_date=today.isoformat()
        ),
        "all day yesterday": create(
            auth_client,
            title="all day yesterday",
            due_date=(today - dt.timedelta(days=1)).isoformat(),
        ),
        "tomorrow": create(auth_client, title="tomorrow", **at(midday, 25)),
    }
    create(auth_client, title="done", completed=True, **at(midday, -1))

    overdue = auth_client.get("/api/v1/todos?overdue=true").json()["results"]
    assert {todo["title"] for todo in overdue} == {"an hour ago", "all day yesterday"}
    on_time = auth_client.get("/api/v1/todos?overdue=false").json()["results"]
    assert {todo["title"] for todo in on_time} == {
        "in an hour",
        "all day today",
        "tomorrow",
        "done",
    }
    for path in ("/api/v1/todos/stats", "/api/v1/todos/stats?completed=false"):
        stats = auth_client.get(path).json()
        assert (stats["overdue"], stats["due_today"]) == (2, 3), path
    assert made


def test_ordering_by_due_date_puts_all_day_first_then_by_instant(auth_client):
    day = "2030-05-01"
    late = create(
        auth_client, title="late", due_date=day, due_time="18:00", due_timezone="UTC"
    )
    early = create(
        auth_client,
        title="early",
        due_date=day,
        due_time="09:00",
        due_timezone="Asia/Tokyo",
    )
    all_day = create(auth_client, title="all day", due_date=day)
    before = create(auth_client, title="the day before", due_date="2030-04-30")
    undated = create(auth_client, title="undated")

    def titles(ordering):
        page = auth_client.get(f"/api/v1/todos?ordering={ordering}").json()
        return [todo["title"] for todo in page["results"]]

    assert titles("due_date") == [
        before["title"],
        all_day["title"],
        early["title"],
        late["title"],
        undated["title"],
    ]
    assert titles("-due_date") == [
        late["title"],
        early["title"],
        all_day["title"],
        before["title"],
        undated["title"],
    ]
