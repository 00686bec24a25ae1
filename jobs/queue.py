"""
Enqueueing a job caused by a write: the one place that knows when a job may
leave the transaction that causes it.
"""

from functools import partial

from django.db import transaction
from django_tasks_db import DatabaseBackend


def enqueue(task, *args, **kwargs):
    """
    Enqueue `task(*args, **kwargs)` so that a rolled-back write sends
    nothing and a committed one loses nothing. On the database backend the
    job row is written in the current transaction, so both hold. A broker
    (TASKS_BACKEND=redis) is outside the transaction: the job is pushed once
    it commits, and a crash or a Redis outage between the commit and the
    push loses it (logged; the README says so).
    """
    if isinstance(task.get_backend(), DatabaseBackend):
        task.enqueue(*args, **kwargs)
    else:
        transaction.on_commit(partial(task.enqueue, *args, **kwargs), robust=True)
