"""
The reminder scheduler's rounds, in process, mailing through a real SMTP
server (aiosmtpd); its guarantees across worker processes are in
todoapp/tests/test_live_reminders.py.
"""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from testing.servers import SmtpSink
from todos import reminder_delivery
from todos.reminders import Reminder

pytestmark = pytest.mark.django_db


def now():
    return dt.datetime.now(dt.UTC)


def at(instant):
    return instant.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


@pytest.fixture
def smtp(settings):
    with SmtpSink() as sink:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", sink.port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        yield sink


def create(client, **fields):
    response = client.post("/api/v1/todos", {"title": "Call", **fields}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def reminded(client, in_seconds=30, **fields):
    """A todo due in an hour with a reminder `in_seconds` from now."""
    fires = now() + dt.timedelta(seconds=in_seconds)
    todo = create(
        client,
        due_date="2030-06-03",
        due_time="09:00",
        due_timezone="Europe/Paris",
        reminders=[{"at": at(fires)}],
        **fields,
    )
    return todo, fires


def reminded_whom(smtp):
    return [m["To"] for m in smtp.received() if m["Subject"].startswith("Reminder")]


def a_tick_after(fires):
    return reminder_delivery.deliver_batch(now=fires + dt.timedelta(seconds=1))


def test_a_due_reminder_is_mailed_once_to_the_creator(auth_client, user, smtp):
    todo, fires = reminded(auth_client, title="Call the dentist")

    assert reminder_delivery.deliver_batch(now=fires - dt.timedelta(seconds=1)) == 0
    assert a_tick_after(fires) == 1

    (message,) = smtp.received(user.email)
    assert message["Subject"] == "Reminder: Call the dentist"
    text = message.get_body(("plain",)).get_content()
    assert "Due: Monday 3 June 2030, 09:00 (Europe/Paris)" in text
    assert "List: Inbox" in text
    assert f"http://localhost:8000/todos/{todo['id']}" in text
    assert message["Message-ID"].startswith(f"<reminder.{todo['id']}.0.")
    assert not Reminder.objects.exists()
    assert a_tick_after(fires) == 0
    assert len(smtp.received()) == 1


def test_the_link_leads_to_the_front_end_when_there_is_one(
    auth_client, user, smtp, settings
):
    settings.ACCOUNT_LINK_BASE_URL = "https://app.example.com"
    todo, fires = reminded(auth_client)
    a_tick_after(fires)
    (message,) = smtp.received(user.email)
    text = message.get_body(("plain",)).get_content()
    assert f"https://app.example.com/todos/{todo['id']}" in text
    page = auth_client.get(f"/todos/{todo['id']}")
    assert page.status_code == 200
    assert "Call" not in page.content.decode()


def test_an_assigned_todo_reminds_its_assignee_and_a_former_member_no_more(
    auth_client, other_client, user, other_user, smtp
):
    other_user.email_verified = True
    other_user.save()
    shared = auth_client.post("/api/v1/lists", {"name": "Home"}, format="json").json()
    invited = auth_client.post(
        f"/api/v1/lists/{shared['id']}/invitations",
        {"email": other_user.email, "role": "editor"},
        format="json",
    ).json()
    accepted = other_client.post(f"/api/v1/invitations/{invited['id']}/accept")
    assert accepted.status_code == 200, accepted.content

    todo, fires = reminded(auth_client, list=shared["id"], assignee_id=other_user.pk)
    a_tick_after(fires)
    assert reminded_whom(smtp) == [other_user.email]
    # (Mailed at a time simulated ahead of the clock, it would re-arm when
    # its assignee leaves: it is gone before.)
    auth_client.delete(f"/api/v1/todos/{todo['id']}")

    # Created by the member, who then leaves: their reminders go to the owner.
    theirs, fires = reminded(other_client, in_seconds=40, list=shared["id"])
    left = other_client.delete(f"/api/v1/lists/{shared['id']}/members/{other_user.pk}")
    assert left.status_code == 204, left.content
    owners = auth_client.get("/api/v1/reminders/upcoming").json()["results"]
    assert [item["todo_id"] for item in owners] == [theirs["id"]]
    assert other_client.get("/api/v1/reminders/upcoming").json()["results"] == []
    # Re-armed later (a new time), it still goes to the owner.
    fires = now() + dt.timedelta(seconds=50)
    auth_client.patch(
        f"/api/v1/todos/{theirs['id']}",
        {"reminders": [{"at": at(fires)}]},
        format="json",
    )
    assert Reminder.objects.get(todo_id=theirs["id"]).recipient_id == user.pk
    a_tick_after(fires)
    assert reminded_whom(smtp) == [other_user.email, user.email]


def test_a_mail_server_outage_defers_the_reminder_until_it_is_back(
    auth_client, user, smtp
):
    todo, fires = reminded(auth_client)
    smtp.stop()

    assert a_tick_after(fires) == 1
    deferred = Reminder.objects.get()
    assert deferred.attempts == 1 and deferred.claim is None
    assert deferred.next_attempt_at > fires + dt.timedelta(seconds=2)

    smtp.start()
    assert a_tick_after(fires) == 0  # not before its retry is due
    assert reminder_delivery.deliver_batch(now=deferred.next_attempt_at) == 1
    assert len(smtp.received(user.email)) == 1
    assert not Reminder.objects.exists()


def test_a_reminder_re_armed_while_taken_is_not_mailed_by_its_taker(auth_client, smtp):
    todo, fires = reminded(auth_client)
    claim, (taken,) = reminder_delivery.take_due(fires + dt.timedelta(seconds=1))
    later = at(now() + dt.timedelta(hours=1))
    auth_client.patch(
        f"/api/v1/todos/{todo['id']}", {"reminders": [{"at": later}]}, format="json"
    )

    reminder_delivery.deliver(taken, claim, now(), None)

    assert smtp.received() == []
    assert Reminder.objects.get().claim is None


def test_a_taken_reminder_is_taken_by_no_one_else_until_its_lease_ends(
    auth_client, settings
):
    _, fires = reminded(auth_client)
    soon = fires + dt.timedelta(seconds=1)
    claim, taken = reminder_delivery.take_due(soon)
    assert len(taken) == 1

    assert reminder_delivery.take_due(soon)[1] == []
    lease_over = soon + dt.timedelta(seconds=settings.REMINDER_LEASE + 1)
    again, retaken = reminder_delivery.take_due(lease_over)
    assert [r.pk for r in retaken] == [r.pk for r in taken] and again != claim


def test_an_idle_tick_is_one_query_whatever_is_armed(auth_client):
    for n in range(5):
        reminded(auth_client, in_seconds=3600 + n)
    with CaptureQueriesContext(connection) as queries:
        assert reminder_delivery.deliver_batch() == 0
    selects = [q["sql"] for q in queries if "todos_reminder" in q["sql"]]
    assert len(selects) == 1, selects


def test_a_tick_costs_a_fixed_number_of_queries_per_reminder_mailed(auth_client, smtp):
    def cost(count):
        fires = None
        for n in range(count):
            _, fires = reminded(auth_client, in_seconds=30 + n)
        with CaptureQueriesContext(connection) as queries:
            assert a_tick_after(fires) == count
        return len(queries)

    # Per batch: take, claim, read, their recipients; per reminder: renew
    # its lease, and delete it once mailed.
    one = cost(1)
    assert cost(4) - one == 2 * (4 - 1)
