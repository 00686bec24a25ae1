"""Reminders through the HTTP API: how they are set, armed and listed."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from accounts.models import ApiToken
from testing.helpers import assert_problem, scoped_client
from todos.reminders import Reminder

pytestmark = pytest.mark.django_db


def now():
    return dt.datetime.now(dt.UTC)


def at(instant):
    return instant.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def timed_in(hours, zone="Europe/Paris"):
    """due_date and due_time (local to `zone`) `hours` from now, to the second."""
    local = (now() + dt.timedelta(hours=hours)).astimezone(ZoneInfo(zone))
    return {
        "due_date": local.date().isoformat(),
        "due_time": local.strftime("%H:%M:%S"),
        "due_timezone": zone,
    }


def create(client, **fields):
    response = client.post("/api/v1/todos", {"title": "Call", **fields}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def armed(todo_id):
    return sorted(
        (row.position, row.fires_at) for row in Reminder.objects.filter(todo_id=todo_id)
    )


def upcoming(client, **params):
    response = client.get("/api/v1/reminders/upcoming", params)
    assert response.status_code == 200, response.content
    return response.json()["results"]


def test_a_timed_todo_with_reminders_arms_each_and_renders_them_as_given(
    auth_client,
):
    when = now() + dt.timedelta(days=2)
    todo = create(
        auth_client,
        **timed_in(48),
        reminders=[{"before": "pt15m"}, {"at": when.isoformat()}],
    )

    assert todo["reminders"] == [{"before": "PT15M"}, {"at": at(when)}]
    due_at = dt.datetime.fromisoformat(todo["due_at"])
    assert armed(todo["id"]) == [
        (0, due_at - dt.timedelta(minutes=15)),
        (1, when),
    ]
    fetched = auth_client.get(f"/api/v1/todos/{todo['id']}").json()
    assert fetched["reminders"] == todo["reminders"]


def test_a_todo_has_no_reminders_unless_given(auth_client):
    todo = create(auth_client)
    assert todo["reminders"] == []
    assert armed(todo["id"]) == []


@pytest.mark.parametrize(
    ("reminders", "field"),
    [
        ([{"before": "15 minutes"}], "reminders.0.before"),
        ([{"before": "P1M"}], "reminders.0.before"),
        ([{"before": "-PT5M"}], "reminders.0.before"),
        ([{"before": "P400D"}], "reminders.0.before"),
        ([{"before": "PT"}], "reminders.0.before"),
        ([{"before": 15}], "reminders.0.before"),
        ([{"before": "PT5M"}, {"at": "2026-12-03T08:00:00"}], "reminders.1.at"),
        ([{"before": "PT5M"}, {"at": "tomorrow"}], "reminders.1.at"),
        ([{"before": "PT5M"}, {"before": "pt5m"}], "reminders.1"),
        ([{"before": "PT1H"}, {"before": "PT60M"}], "reminders.1"),
        (
            [{"at": "2030-01-01T09:00:00+01:00"}, {"at": "2030-01-01T08:00:00Z"}],
            "reminders.1",
        ),
        ([{"before": "PT5M", "at": "2026-12-03T08:00:00Z"}], "reminders.0"),
        ([{"after": "PT5M"}], "reminders.0"),
        (["PT5M"], "reminders.0"),
        ([{"before": f"PT{n}M"} for n in range(1, 7)], "reminders"),
        ({"before": "PT5M"}, "reminders"),
    ],
)
def test_invalid_reminders_are_refused_naming_the_position(
    auth_client, reminders, field
):
    response = auth_client.post(
        "/api/v1/todos",
        {"title": "Call", **timed_in(5), "reminders": reminders},
        format="json",
    )
    assert_problem(response, 400, field)
    assert not Reminder.objects.exists()


def test_a_reminder_before_the_due_needs_a_timed_todo(auth_client):
    response = auth_client.post(
        "/api/v1/todos",
        {"title": "Call", "due_date": "2030-01-01", "reminders": [{"before": "P1D"}]},
        format="json",
    )
    assert_problem(response, 400, "reminders.0.before")

    todo = create(auth_client, **timed_in(5), reminders=[{"before": "PT1H"}])
    response = auth_client.patch(
        f"/api/v1/todos/{todo['id']}", {"due_time": None}, format="json"
    )
    assert_problem(response, 400, "reminders.0.before")
    assert len(armed(todo["id"])) == 1


def test_an_oversize_reminder_list_is_refused_before_any_per_item_work(auth_client):
    response = auth_client.post(
        "/api/v1/todos",
        {"title": "Call", "reminders": [{"before": "x"}] * 10_000},
        format="json",
    )
    body = assert_problem(response, 400, "reminders")
    assert len(body["errors"]) == 1


def test_a_reminder_whose_time_is_past_when_set_never_arms(auth_client):
    todo = create(
        auth_client,
        **timed_in(1),
        reminders=[{"before": "PT2H"}, {"at": at(now() - dt.timedelta(minutes=1))}],
    )
    assert todo["reminders"][0] == {"before": "PT2H"}
    assert armed(todo["id"]) == []


def test_changing_the_due_re_arms_the_reminders_before_it(auth_client):
    todo = create(auth_client, **timed_in(5), reminders=[{"before": "PT30M"}])
    moved = auth_client.patch(
        f"/api/v1/todos/{todo['id']}", timed_in(10), format="json"
    ).json()

    due_at = dt.datetime.fromisoformat(moved["due_at"])
    assert armed(todo["id"]) == [(0, due_at - dt.timedelta(minutes=30))]


def test_a_write_that_touches_nothing_they_follow_leaves_them_armed(auth_client):
    todo = create(auth_client, **timed_in(5), reminders=[{"before": "PT30M"}])
    row = Reminder.objects.get(todo_id=todo["id"])

    auth_client.patch(f"/api/v1/todos/{todo['id']}", {"title": "Call back"})

    assert Reminder.objects.get(todo_id=todo["id"]).pk == row.pk


def test_completing_disarms_and_reopening_re_arms(auth_client):
    todo = create(auth_client, **timed_in(5), reminders=[{"before": "PT30M"}])
    path = f"/api/v1/todos/{todo['id']}"

    auth_client.patch(path, {"completed": True}, format="json")
    assert armed(todo["id"]) == []
    assert not upcoming(auth_client, until=at(now() + dt.timedelta(days=1)))

    auth_client.patch(path, {"completed": False}, format="json")
    assert len(armed(todo["id"])) == 1


def test_clearing_the_reminders_disarms_them(auth_client):
    todo = create(auth_client, **timed_in(5), reminders=[{"before": "PT30M"}])
    auth_client.patch(f"/api/v1/todos/{todo['id']}", {"reminders": []}, format="json")
    assert armed(todo["id"]) == []


def test_deleting_a_todo_deletes_its_armed_reminders(auth_client):
    todo = create(auth_client, **timed_in(5), reminders=[{"before": "PT30M"}])
    auth_client.delete(f"/api/v1/todos/{todo['id']}")
    assert not Reminder.objects.exists()


def test_a_recurring_todo_re_arms_for_its_next_occurrence(auth_client):
    todo = create(
        auth_client,
        **timed_in(5),
        recurrence="FREQ=DAILY",
        reminders=[{"before": "PT15M"}],
    )
    done = auth_client.patch(
        f"/api/v1/todos/{todo['id']}", {"completed": True}, format="json"
    ).json()

    assert done["completed"] is False
    due_at = dt.datetime.fromisoformat(done["due_at"])
    assert due_at == dt.datetime.fromisoformat(todo["due_at"]) + dt.timedelta(days=1)
    assert armed(todo["id"]) == [(0, due_at - dt.timedelta(minutes=15))]

    skipped = auth_client.post(f"/api/v1/todos/{todo['id']}/skip").json()
    due_at = dt.datetime.fromisoformat(skipped["due_at"])
    assert armed(todo["id"]) == [(0, due_at - dt.timedelta(minutes=15))]


def test_a_floating_todo_re_arms_when_its_owner_changes_time_zone(auth_client):
    todo = create(
        auth_client,
        **{**timed_in(30, "UTC"), "due_timezone": None},
        reminders=[{"before": "PT15M"}],
    )
    auth_client.patch("/api/v1/auth/me", {"timezone": "Asia/Tokyo"}, format="json")

    moved = auth_client.get(f"/api/v1/todos/{todo['id']}").json()
    assert moved["due_at"] != todo["due_at"]
    due_at = dt.datetime.fromisoformat(moved["due_at"])
    assert armed(todo["id"]) == [(0, due_at - dt.timedelta(minutes=15))]


def test_bulk_creates_and_completes_with_reminders(auth_client):
    response = auth_client.post(
        "/api/v1/todos/bulk",
        {
            "operations": [
                {
                    "op": "create",
                    "data": {
                        "title": f"Call {n}",
                        **timed_in(5 + n),
                        "reminders": [{"before": "PT15M"}],
                    },
                }
                for n in range(3)
            ]
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    ids = [result["todo"]["id"] for result in response.json()["results"]]
    assert Reminder.objects.filter(todo_id__in=ids).count() == 3

    auth_client.post(
        "/api/v1/todos/bulk",
        {"operations": [{"op": "update", "id": ids[0], "data": {"completed": True}}]},
        format="json",
    )
    assert Reminder.objects.filter(todo_id__in=ids).count() == 2


# --- upcoming -------------------------------------------------------------------


def test_upcoming_lists_the_callers_armed_reminders_soonest_first(
    auth_client, other_client
):
    later = create(auth_client, **timed_in(20), reminders=[{"before": "PT1H"}])
    sooner = create(
        auth_client,
        **timed_in(10),
        reminders=[{"before": "PT5M"}, {"at": at(now() + dt.timedelta(hours=1))}],
    )
    create(other_client, **timed_in(2), reminders=[{"before": "PT5M"}])

    found = upcoming(auth_client, until=at(now() + dt.timedelta(days=1)))

    assert [(item["todo_id"], item["due_at"]) for item in found] == [
        (sooner["id"], sooner["due_at"]),
        (sooner["id"], sooner["due_at"]),
        (later["id"], later["due_at"]),
    ]
    fires = [dt.datetime.fromisoformat(item["fires_at"]) for item in found]
    assert fires == sorted(fires)
    assert fires[1] == dt.datetime.fromisoformat(sooner["due_at"]) - dt.timedelta(
        minutes=5
    )
    assert found[0]["fires_at"].endswith("Z")

    soon = upcoming(auth_client, until=at(now() + dt.timedelta(hours=15)))
    assert [item["todo_id"] for item in soon] == [sooner["id"], sooner["id"]]


def test_upcoming_defaults_to_the_next_week(auth_client):
    create(auth_client, **timed_in(24), reminders=[{"before": "PT1H"}])
    create(auth_client, **timed_in(24 * 9), reminders=[{"before": "PT1H"}])
    assert len(upcoming(auth_client)) == 1


@pytest.mark.parametrize(
    "until", ["tomorrow", "2026-12-03T08:00:00", "9999-99-99T00:00:00Z", "x" * 500]
)
def test_upcoming_refuses_an_until_that_is_no_instant(auth_client, until):
    response = auth_client.get("/api/v1/reminders/upcoming", {"until": until})
    assert_problem(response, 400, "until")


def test_upcoming_needs_a_signed_in_caller(api_client):
    response = api_client.get("/api/v1/reminders/upcoming")
    assert_problem(response, 401)


def test_upcoming_needs_the_read_scope_and_reminders_the_write_scope(user):
    writer = scoped_client(user, [ApiToken.Scope.WRITE])
    assert_problem(writer.get("/api/v1/reminders/upcoming"), 403)
    reader = scoped_client(user, [ApiToken.Scope.READ])
    assert reader.get("/api/v1/reminders/upcoming").status_code == 200
    refused = reader.post(
        "/api/v1/todos",
        {"title": "Call", **timed_in(5), "reminders": [{"before": "PT5M"}]},
        format="json",
    )
    assert_problem(refused, 403)
    assert not Reminder.objects.exists()


def test_a_reminders_change_is_a_change_of_the_todo(auth_client):
    todo = create(auth_client, **timed_in(5))
    path = f"/api/v1/todos/{todo['id']}"
    etag = auth_client.get(path)["ETag"]
    cursor = auth_client.get("/api/v1/todos/changes").json()["cursor"]

    stale = auth_client.patch(
        path, {"reminders": [{"before": "PT5M"}]}, format="json", HTTP_IF_MATCH='"0"'
    )
    assert_problem(stale, 412)
    changed = auth_client.patch(
        path, {"reminders": [{"before": "PT5M"}]}, format="json", HTTP_IF_MATCH=etag
    )
    assert changed.status_code == 200 and changed["ETag"] != etag
    feed = auth_client.get("/api/v1/todos/changes", {"cursor": cursor}).json()
    (change,) = [c for c in feed["changes"] if c.get("todo")]
    assert change["todo"]["reminders"] == [{"before": "PT5M"}]
    again = auth_client.patch(path, {"reminders": [{"before": "pt5m"}]}, format="json")
    assert again["ETag"] == changed["ETag"]  # the same reminders: no change


def test_a_reminder_keeps_to_local_time_across_the_dst_change(auth_client):
    # Paris moves to summer time in the night of 30 to 31 March 2030.
    todo = create(
        auth_client,
        due_date="2030-03-30",
        due_time="09:00",
        due_timezone="Europe/Paris",
        recurrence="FREQ=DAILY",
        reminders=[{"before": "PT15M"}],
    )
    winter = dt.datetime(2030, 3, 30, 7, 45, tzinfo=dt.UTC)
    assert armed(todo["id"]) == [(0, winter)]

    auth_client.patch(f"/api/v1/todos/{todo['id']}", {"completed": True}, format="json")

    summer = dt.datetime(2030, 3, 31, 6, 45, tzinfo=dt.UTC)  # 08:45 in Paris
    assert armed(todo["id"]) == [(0, summer)]
    (item,) = upcoming(auth_client, until="2030-04-01T00:00:00Z")
    assert item == {
        "todo_id": todo["id"],
        "fires_at": "2030-03-31T06:45:00Z",
        "due_at": "2030-03-31T07:00:00Z",
    }
