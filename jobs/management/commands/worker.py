import datetime as dt
import logging
import threading
from contextlib import contextmanager

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import close_old_connections, connection
from django.utils import timezone
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.management.commands.db_worker import (
    Command as DatabaseWorkerCommand,
)
from django_tasks_db.models import DBTaskResult

logger = logging.getLogger(__name__)


def reclaim_stale_jobs(lease):
    """
    Jobs a worker claimed more than `lease` seconds ago and never finished:
    it died (SIGKILL, a lost machine). Back to ready, so another worker runs
    them again; their `worker_ids` keep the history. Returns how many.
    """
    cutoff = timezone.now() - dt.timedelta(seconds=lease)
    return (
        DBTaskResult.objects.running()
        .filter(started_at__lt=cutoff)
        .update(status=TaskResultStatus.READY, started_at=None)
    )


def reclaim():
    if found := reclaim_stale_jobs(settings.JOB_LEASE):
        logger.warning("Put back %d job(s) of a worker that died.", found)


def periodic_duties():
    """(interval, function) pairs: each app config's periodic(), if it has one."""
    return [
        duty
        for config in apps.get_app_configs()
        if hasattr(config, "periodic")
        for duty in config.periodic()
    ]


@contextmanager
def running_periodically(duties):
    """
    Run each (interval, function) in a thread of its own, every `interval`
    seconds, while the block runs; on leaving it, let each finish the round
    in hand (a reminder being mailed is mailed and marked sent) and stop.
    """
    stop = threading.Event()
    threads = [
        threading.Thread(target=_every, args=(interval, duty, stop), daemon=True)
        for interval, duty in duties
    ]
    for thread in threads:
        thread.start()
    try:
        yield
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=settings.EMAIL_TIMEOUT * 2)


def _every(interval, duty, stop):
    while not stop.wait(interval):
        try:
            close_old_connections()
            duty()
        except Exception:  # the next round tries again
            logger.exception("%s failed.", duty.__qualname__)
        finally:
            connection.close()


class DatabaseWorker(DatabaseWorkerCommand):
    help = (
        "Run background jobs (the Procfile's worker): django-tasks-db's "
        "db_worker, which also puts back jobs left running by a worker that "
        "died (after JOB_LEASE seconds), and mails reminders as they come "
        "due. Run as many as you like, on as many machines; SIGTERM or SIGINT "
        "lets the job in hand finish, then exits."
    )

    def handle(self, *args, **options):
        reclaiming = (max(1.0, min(settings.JOB_LEASE / 4, 30.0)), reclaim)
        with running_periodically([reclaiming, *periodic_duties()]):
            return super().handle(*args, **options)


class RedisWorker(BaseCommand):
    """
    TASKS_BACKEND=redis: RQ's worker (jobs.rq.LeasedWorker) with its
    scheduler, which enqueues retries when their delay is over, on the
    queue django-tasks-rq uses. SIGTERM or SIGINT lets the job in hand
    finish, then exits (RQ's warm shutdown).
    """

    help = DatabaseWorker.help

    def handle(self, *args, **options):
        from django_rq.utils import reset_db_connections
        from django_rq.workers import get_worker
        from rq.logutils import setup_loghandlers

        setup_loghandlers("INFO")
        worker = get_worker("default")
        reset_db_connections()  # none may cross the fork of each job
        with running_periodically(periodic_duties()):
            worker.work(with_scheduler=True, logging_level="INFO")


# The loop that claims jobs is the backend's own.
Command = RedisWorker if settings.TASKS_BACKEND == "redis" else DatabaseWorker
