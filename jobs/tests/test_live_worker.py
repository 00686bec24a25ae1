"""
Background jobs as deployed: the project under its server, `manage.py
worker` processes (the Procfile's worker) on the same database, and a real
SMTP server (aiosmtpd) receiving the mail; each test on both job backends,
the database (the default) and Redis (TASKS_BACKEND=redis, on a throwaway
redis-server).
"""

import time

import pytest
import requests

from testing import PASSWORD
from testing.servers import (
    LiveServer,
    SmtpSink,
    TemporaryRedis,
    Worker,
    free_port,
    link_in,
    scratch_database,
    wait_until,
)

pytestmark = pytest.mark.live

GENEROUS_LIMITS = {
    "AUTH_THROTTLE_RATE": "100000/min",
    "ACCOUNT_MAIL_THROTTLE_RATE": "100000/min",
}


@pytest.fixture(params=["database", "redis"])
def backend(request):
    """The environment that selects the job backend."""
    if request.param == "database":
        yield {}
        return
    with TemporaryRedis() as redis:
        yield {"TASKS_BACKEND": "redis", "REDIS_URL": redis.url}


@pytest.fixture
def database(backend):
    with scratch_database() as url:
        yield Deployment(url, backend)


class Deployment:
    def __init__(self, url, backend):
        self.url = url
        self.backend = backend


def serve(database, smtp_url, **env):
    return LiveServer(
        env={
            "DATABASE_URL": database.url,
            "EMAIL_URL": smtp_url,
            **database.backend,
            **GENEROUS_LIMITS,
            **env,
        }
    )


def worker(database, smtp_url, **env):
    return Worker(database.url, env={"EMAIL_URL": smtp_url, **database.backend, **env})


def ask_reset(server, email):
    started = time.monotonic()
    response = requests.post(
        f"{server.api}/auth/password/reset", json={"email": email}, timeout=60
    )
    assert response.status_code == 202, response.text
    return time.monotonic() - started


def test_a_worker_mails_the_link_a_request_asked_for(database):
    with SmtpSink() as smtp, serve(database, smtp.url) as server:
        server.signup("ada@example.com")
        with worker(database, smtp.url):
            ask_reset(server, "ada@example.com")
            (message,) = [
                m
                for m in smtp.wait_for("ada@example.com", count=2)
                if m["Subject"] == "Reset your password"
            ]

        assert message.get_body(("html",)) is not None
        link = link_in(message, "/reset-password")
        assert link.startswith(server.url)
        token = link.rsplit("token=", 1)[1]
        confirmed = requests.post(
            f"{server.api}/auth/password/reset/confirm",
            json={"token": token, "new_password": "a-brand-new-passphrase-1"},
            timeout=60,
        )
        assert confirmed.status_code == 204
        signed_in = requests.post(
            f"{server.api}/auth/signin",
            json={"email": "ada@example.com", "password": "a-brand-new-passphrase-1"},
            timeout=60,
        )
        assert signed_in.status_code == 200


def test_mail_waits_out_a_mail_server_outage(database):
    port = free_port()
    smtp_url = f"smtp://127.0.0.1:{port}"  # nothing listens there yet
    env = {"JOB_RETRY_DELAY": "1", "JOB_RETRY_MAX_DELAY": "2"}
    with (
        serve(database, smtp_url) as server,
        worker(database, smtp_url, **env) as jobs,
    ):
        server.signup("grace@example.com")

        # The request answers at once: the mail is the worker's business.
        assert ask_reset(server, "grace@example.com") < 5
        wait_until(
            lambda: "ConnectionRefusedError" in jobs.output(),
            120,
            what="an attempt failing while the mail server is down",
        )

        with SmtpSink(port=port) as smtp:
            messages = smtp.wait_for("grace@example.com", count=2)

    subjects = sorted(message["Subject"] for message in messages)
    assert subjects == ["Reset your password", "Verify your email address"]


def test_a_job_of_a_killed_worker_runs_again(database):
    with SmtpSink() as smtp, serve(database, smtp.url) as server:
        # Every mail stalls in the middle of its sending...
        smtp.stall("rcpt")  # before the server has the message
        first = worker(database, smtp.url, JOB_LEASE="3").start()
        try:
            server.signup("linus@example.com")
            # ...so the worker is mid-job on the signup mail when it dies.
            wait_until(lambda: smtp.sending == 1, 120, what="the mail being sent")
        finally:
            first.kill()
        smtp.release()
        assert smtp.received("linus@example.com") == []

        with worker(database, smtp.url, JOB_LEASE="3"):
            (message,) = smtp.wait_for("linus@example.com")

    assert message["Subject"] == "Verify your email address"


def test_two_workers_send_each_mail_once(database):
    emails = [f"user{n}@example.com" for n in range(12)]
    with SmtpSink() as smtp, serve(database, smtp.url) as server:
        for email in emails:
            requests.post(
                f"{server.api}/auth/signup",
                json={"email": email, "password": PASSWORD},
                timeout=60,
            ).raise_for_status()
        with worker(database, smtp.url), worker(database, smtp.url):
            for email in emails:
                smtp.wait_for(email)
        # Both workers have stopped (each finishing the job in hand): every
        # mail that will ever be sent has been.

    assert sorted(message["To"] for message in smtp.received()) == sorted(emails)
