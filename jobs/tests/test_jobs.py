"""Retries with backoff, and jobs of dead workers put back (in-process)."""

import datetime as dt

import pytest
from django.utils import timezone
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from jobs.management.commands.worker import reclaim_stale_jobs
from jobs.retry import delay_before, retry_later

pytestmark = pytest.mark.django_db


def test_the_delay_doubles_up_to_its_cap(settings):
    settings.JOB_RETRY_DELAY = 30
    settings.JOB_RETRY_MAX_DELAY = 300

    delays = [delay_before(attempt).total_seconds() for attempt in range(1, 7)]

    assert delays == [30, 60, 120, 240, 300, 300]


def test_retries_stop_after_the_last_attempt(settings):
    from accounts.mail import send_password_reset

    settings.JOB_MAX_ATTEMPTS = 3
    assert retry_later(send_password_reset, "a@example.com", "http://x", attempt=2)
    assert not retry_later(send_password_reset, "a@example.com", "http://x", attempt=3)

    (queued,) = DBTaskResult.objects.all()
    assert queued.args_kwargs["kwargs"] == {"attempt": 3}
    assert queued.run_after > timezone.now()


def test_a_job_running_past_its_lease_is_put_back(user):
    from accounts.mail import send_account_mail

    send_account_mail.enqueue("password_changed", user.pk, "http://x", attempt=1)
    send_account_mail.enqueue("password_changed", user.pk, "http://x", attempt=1)
    stale, fresh = DBTaskResult.objects.order_by("enqueued_at")
    DBTaskResult.objects.filter(pk=stale.pk).update(
        status=TaskResultStatus.RUNNING,
        started_at=timezone.now() - dt.timedelta(seconds=601),
    )
    DBTaskResult.objects.filter(pk=fresh.pk).update(
        status=TaskResultStatus.RUNNING, started_at=timezone.now()
    )

    assert reclaim_stale_jobs(lease=600) == 1

    stale.refresh_from_db()
    fresh.refresh_from_db()
    assert stale.status == TaskResultStatus.READY
    assert fresh.status == TaskResultStatus.RUNNING
