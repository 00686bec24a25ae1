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
