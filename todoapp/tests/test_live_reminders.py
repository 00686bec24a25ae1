"""
Reminders as deployed: the project under its server, `manage.py worker`
processes (the Procfile's worker, which runs the reminder scheduler) on the
same database, and a real SMTP server (aiosmtpd) receiving the mail. Each
reminder is mailed once: with one worker, when the worker mailing it is
killed, with two workers, and across restarts of the server and workers.
"""

import datetime as dt
import signal

import pytest

from testing.servers import LiveServer, SmtpSink, Worker, scratch_database, wait_until

pytestmark = pytest.mark.live

EMAIL = "ada@example.com"
FAST = {"REMINDER_INTERVAL": "1", "REMINDER_LEASE": "3"}
GENEROUS_LIMITS = {
    "AUTH_THROTTLE_RATE": "100000/min",
    "ACCOUNT_MAIL_THROTTLE_RATE": "100000/min",
    "USER_THROTTLE_RATE": "100000/min",
}


@pytest.fixture
def database_url():
    with scratch_database() as url:
        yield url


def serve(database_url, smtp):
    return LiveServer(
        env={"DATABASE_URL": database_url, "EMAIL_URL": smtp.url, **GENEROUS_LIMITS}
    )


def worker(database_url, smtp, **env):
    return Worker(database_url, env={"EMAIL_URL": smtp.url, **FAST, **env})


def at(instant):
    return instant.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def reminder_mails(smtp):
    return [m for m in smtp.received() if m["Subject"].startswith("Reminder: ")]


class Account:
    """A signed-up user's API client on a live server."""

    def __init__(self, server, email=EMAIL):
        self.session = server.client(server.signup(email))
        self.api = server.api

    def remind(self, title, in_seconds):
        """A todo with a reminder `in_seconds` from now; when it fires."""
        fires = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=in_seconds)
        response = self.session.post(
            f"{self.api}/todos",
            json={
                "title": title,
                "due_date": "2030-06-03",
                "due_time": "09:00",
                "due_timezone": "Europe/Paris",
                "reminders": [{"at": at(fires)}],
            },
            timeout=60,
        )
        assert response.status_code == 201, response.text
        return response.json(), fires

    def armed(self):
        """How many of the caller's reminders are still to be mailed."""
        response = self.session.get(
            f"{self.api}/reminders/upcoming",
            params={"until": "9000-01-01T00:00:00Z", "page_size": 100},
            timeout=60,
        )
        assert response.status_code == 200, response.text
        return response.json()["count"]

    def wait_until_all_mailed(self):
        # A mailed reminder's row is deleted once its mail is accepted: with
        # none left, no scheduler has anything more to send.
        wait_until(lambda: self.armed() == 0, 120, interval=0.2, what="all mailed")


def test_a_reminder_is_mailed_within_a_minute_of_its_time(database_url):
    with SmtpSink() as smtp, serve(database_url, smtp) as server:
        ada = Account(server)
        with worker(database_url, smtp, REMINDER_INTERVAL="10", REMINDER_LEASE="60"):
            todo, fires = ada.remind("Call the dentist", in_seconds=5)
            wait_until(lambda: reminder_mails(smtp), 120, what="the reminder")
            arrived = dt.datetime.now(dt.UTC)
            ada.wait_until_all_mailed()

    (message,) = reminder_mails(smtp)
    assert message["To"] == EMAIL
    assert message["Subject"] == "Reminder: Call the dentist"
    text = message.get_body(("plain",)).get_content()
    assert "Due: Monday 3 June 2030, 09:00 (Europe/Paris)" in text
    assert f"/todos/{todo['id']}" in text
    assert fires <= arrived
    # Its default round every 10 s: on a loaded machine, well within 60 s.
    assert arrived - fires < dt.timedelta(seconds=60)


def test_a_reminder_of_a_killed_worker_is_mailed_once_by_another(database_url):
    with SmtpSink() as smtp, serve(database_url, smtp) as server:
        ada = Account(server)
        with worker(database_url, smtp):  # the sign-up's own mail goes first
            smtp.wait_for(EMAIL)
        # The worker is in the middle of sending it when it dies: the mail
        # server has its recipient, not yet the message. (Killed after the
        # server took the message and before its reply, the mail would go
        # again: see todos.reminder_delivery.)
        smtp.stall("rcpt")
        before = smtp.sending
        first = worker(database_url, smtp).start()
        try:
            ada.remind("Water the plants", in_seconds=2)
            wait_until(lambda: smtp.sending > before, 120, what="its sending")
        finally:
            first.kill()
        smtp.release()
        assert reminder_mails(smtp) == []

        with worker(database_url, smtp):
            ada.wait_until_all_mailed()

    (message,) = reminder_mails(smtp)
    assert message["Subject"] == "Reminder: Water the plants"


def test_two_workers_mail_each_reminder_once(database_url):
    with SmtpSink() as smtp, serve(database_url, smtp) as server:
        ada = Account(server)
        titles = [f"Task {n}" for n in range(30)]
        for title in titles:
            ada.remind(title, in_seconds=4)
        with worker(database_url, smtp), worker(database_url, smtp):
            ada.wait_until_all_mailed()

    subjects = sorted(message["Subject"] for message in reminder_mails(smtp))
    assert subjects == sorted(f"Reminder: {title}" for title in titles)


def test_reminders_survive_restarts_of_the_server_and_the_workers(database_url):
    with SmtpSink() as smtp:
        with serve(database_url, smtp) as server:
            ada = Account(server)
            token = ada.session.headers["Authorization"]
            with worker(database_url, smtp):
                ada.remind("Soon", in_seconds=3)
                _, later = ada.remind("Later", in_seconds=25)
                wait_until(lambda: reminder_mails(smtp), 120, what="the first")
        # Server and worker are down when the second one's time comes...
        wait_until(lambda: dt.datetime.now(dt.UTC) > later, 120, what="its time")
        # ...and up again afterwards: it is mailed, late, and the first not again.
        with serve(database_url, smtp) as server, worker(database_url, smtp):
            ada.api = server.api
            ada.session.headers["Authorization"] = token
            ada.wait_until_all_mailed()

    subjects = sorted(message["Subject"] for message in reminder_mails(smtp))
    assert subjects == ["Reminder: Later", "Reminder: Soon"]


def test_a_worker_stopped_mid_round_finishes_the_mail_in_hand(database_url):
    with SmtpSink() as smtp, serve(database_url, smtp) as server:
        ada = Account(server)
        with worker(database_url, smtp):
            smtp.wait_for(EMAIL)
        smtp.stall("rcpt")
        before = smtp.sending
        running = worker(database_url, smtp, REMINDER_LEASE="600").start()
        ada.remind("Pay the rent", in_seconds=2)
        wait_until(lambda: smtp.sending > before, 120, what="its sending")
        # One SIGTERM, as a deploy sends (the reaper passes it on; a second
        # would be the worker's "stop now").
        running.process.send_signal(signal.SIGTERM)
        smtp.release()
        running.process.wait(timeout=120)
        # Its lease of 10 minutes would have kept another worker off it: it
        # was mailed and marked so before the worker exited.
        assert ada.armed() == 0, running.output()

    assert [m["Subject"] for m in reminder_mails(smtp)] == ["Reminder: Pay the rent"]
