"""
TASKS_BACKEND=redis (django-tasks-rq) in-process, on a throwaway
redis-server: a job leaves for Redis only once its write commits, and a job
whose worker died runs again a bounded number of times.
"""

import django_rq
import pytest
from django.db import transaction
from django.test import RequestFactory
from rq.exceptions import AbandonedJobError

from accounts.mail import mail_password_reset
from jobs.rq import run_abandoned_again
from testing.servers import TemporaryRedis

pytestmark = pytest.mark.django_db(transaction=True)


class Rollback(Exception):
    pass


@pytest.fixture(scope="module")
def redis_server():
    with TemporaryRedis() as redis:
        yield redis


@pytest.fixture
def queue(settings, redis_server):
    settings.RQ_QUEUES = {"default": {"URL": redis_server.url}}
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}
    }
    queue = django_rq.get_queue("default")
    queue.empty()
    return queue


def ask_reset():
    mail_password_reset(RequestFactory().post("/"), "ada@example.com")


def test_a_job_leaves_for_redis_when_its_write_commits(queue):
    with transaction.atomic():
        ask_reset()
        assert queue.count == 0  # not while the write could still roll back

    assert queue.count == 1
    (job,) = queue.get_jobs()
    assert job.func_name == "accounts.mail.send_password_reset"


def test_a_rolled_back_write_enqueues_nothing(queue):
    with pytest.raises(Rollback), transaction.atomic():
        ask_reset()
        raise Rollback

    assert queue.count == 0


def test_an_abandoned_job_runs_again_until_its_attempts_are_spent(settings, queue):
    settings.JOB_MAX_ATTEMPTS = 3
    job = queue.enqueue("accounts.mail.send_password_reset", "a@example.com", "x", 1)
    retried = []
    for _ in range(3):
        job.retries_left = None
        run_abandoned_again(job, AbandonedJobError, AbandonedJobError(), None)
        retried.append(job.retries_left == 1)

    assert retried == [True, True, False]


def test_an_ordinary_failure_is_left_to_the_jobs_own_retries(queue):
    job = queue.enqueue("accounts.mail.send_password_reset", "a@example.com", "x", 1)

    run_abandoned_again(job, ConnectionRefusedError, ConnectionRefusedError(), None)

    assert job.retries_left is None
