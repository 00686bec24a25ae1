"""
The worker of TASKS_BACKEND=redis: RQ's forking worker (django-tasks-rq runs
the jobs), held to the same promises as the database backend's.

RQ notices a worker that died mid-job only when the job's heartbeat lapses,
a minute and a half after the fact by default, and then files the job as
failed. Here the heartbeat lapses after JOB_LEASE seconds, as the database
backend's lease does, and an abandoned job is run again (up to
JOB_MAX_ATTEMPTS times), because an account mail lost with a machine is a
user locked out.
"""

import logging

from django.conf import settings
from rq import Worker
from rq.exceptions import AbandonedJobError

logger = logging.getLogger(__name__)


def run_abandoned_again(job, exc_type, exc_value, traceback):
    """
    RQ exception handler: called for a job whose worker died, before RQ
    decides between retrying and failing it; one retry left means run again.
    """
    if exc_type is not AbandonedJobError:
        return True  # an ordinary failure: jobs.retry decides
    abandoned = job.meta.get("abandoned", 0) + 1
    job.meta["abandoned"] = abandoned
    if abandoned < settings.JOB_MAX_ATTEMPTS:
        logger.warning("Running again job %s of a worker that died.", job.id)
        job.retries_left = 1
        job.retry_intervals = None
    return True


class LeasedWorker(Worker):
    def __init__(self, *args, **kwargs):
        lease = max(3, settings.JOB_LEASE)
        # Heartbeats every third of the lease, so two can be late before
        # the job counts as abandoned; registries are swept as often.
        kwargs.setdefault("job_monitoring_interval", max(1, lease // 3))
        kwargs.setdefault("maintenance_interval", max(1, min(lease // 3, 600)))
        super().__init__(*args, **kwargs)
        self.push_exc_handler(run_abandoned_again)

    def get_heartbeat_ttl(self, job, working_time=0.0):
        return max(3, settings.JOB_LEASE)

    @property
    def dequeue_timeout(self):
        # An idle worker wakes from its wait on the queue to sweep the
        # registries, else it would sweep only when a job arrives.
        return self.maintenance_interval
