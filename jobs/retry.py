"""
Retries with backoff for jobs that can fail for a while (a mail server that
is down for ten minutes loses no mail).

django-tasks has no retries of its own (nor has Django 6's django.tasks), so
a job that fails in a way worth retrying calls retry_later() before raising:
the next attempt is enqueued to run after a delay that doubles from
JOB_RETRY_DELAY up to JOB_RETRY_MAX_DELAY, and after JOB_MAX_ATTEMPTS no
more is. Each attempt is a row of its own in the admin's task results; the
last failed one, with no successor, is what an operator looks for.
"""

import datetime as dt
from contextlib import contextmanager

from django.conf import settings
from django.utils import timezone

from jobs.queue import enqueue


def delay_before(attempt):
    """The delay before attempt `attempt + 1`, after attempt `attempt` failed."""
    seconds = settings.JOB_RETRY_DELAY * 2 ** (attempt - 1)
    return dt.timedelta(seconds=min(seconds, settings.JOB_RETRY_MAX_DELAY))


def retry_later(task, *args, attempt, **kwargs):
    """
    Enqueue attempt `attempt + 1` of `task(*args, **kwargs)` after its delay;
    returns False (and enqueues nothing) once JOB_MAX_ATTEMPTS were made.
    """
    if attempt >= settings.JOB_MAX_ATTEMPTS:
        return False
    run_after = timezone.now() + delay_before(attempt)
    enqueue(task.using(run_after=run_after), *args, attempt=attempt + 1, **kwargs)
    return True


@contextmanager
def retrying(task, *args, attempt, on, **kwargs):
    """
    Inside a job: if the block raises one of `on`, enqueue the next attempt
    of `task(*args, **kwargs)` (retry_later), then let the error fail this one.
    """
    try:
        yield
    except on:
        retry_later(task, *args, attempt=attempt, **kwargs)
        raise
